#pragma once
// Error types of the suite. See STYLE.md "Errors":
//  - usage_error: the user asked for something invalid (an option, a path, a file's content); the
//    driver prints the message and exits 2.
//  - io_failure: the system refused to read or write a file that was fine to ask for (full disk,
//    quota, file-size limit, I/O error); the message names the path and the cause; exit 3.
//  - runtime_failure: a library or system call failed; a decoded message (file:line apart, in
//    where()); exit 3.
//  - anything else reaching the driver is a bug: "internal error" with what is known; exit 4.
//  - MLHPC_ASSERT: a broken invariant of our own; aborts with file:line.
#include <fmt/format.h>

#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <string>

namespace mlhpc {

class usage_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class runtime_failure : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
  runtime_failure(const std::string& what, const char* file, int line)
      : std::runtime_error(what), m_where(fmt::format("{}:{}", file, line)) {}
  // Where it was thrown ("bench/scratch.cpp:166") when MLHPC_FAIL threw it, else empty: for a
  // bug report, never part of the message (a user's reason names the cause, not our sources).
  const std::string& where() const { return m_where; }

 private:
  std::string m_where;
};

class io_failure : public runtime_failure {
 public:
  using runtime_failure::runtime_failure;
};

[[noreturn]] inline void assert_fail(const char* expr, const char* file, int line) {
  std::fprintf(stderr, "mlhpc: internal error: %s:%d: assertion '%s' failed\n", file, line, expr);
  std::abort();
}

}  // namespace mlhpc

#define MLHPC_ASSERT(cond) \
  ((cond) ? static_cast<void>(0) : ::mlhpc::assert_fail(#cond, __FILE__, __LINE__))

// Throws runtime_failure with a fmt-formatted message; the source location is kept apart
// (runtime_failure::where), out of the message users read.
#define MLHPC_FAIL(...) throw ::mlhpc::runtime_failure(fmt::format(__VA_ARGS__), __FILE__, __LINE__)
