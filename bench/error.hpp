#pragma once
// Error types of the suite. See STYLE.md "Errors":
//  - usage_error: the user asked for something invalid; the driver prints the message and exits 2.
//  - runtime_failure: a library or system call failed; carries file:line and a decoded message.
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
};

[[noreturn]] inline void assert_fail(const char* expr, const char* file, int line) {
  std::fprintf(stderr, "mlhpc: internal error: %s:%d: assertion '%s' failed\n", file, line, expr);
  std::abort();
}

}  // namespace mlhpc

#define MLHPC_ASSERT(cond) \
  ((cond) ? static_cast<void>(0) : ::mlhpc::assert_fail(#cond, __FILE__, __LINE__))

// Throws runtime_failure("file:line: message") with a fmt-formatted message.
#define MLHPC_FAIL(...)           \
  throw ::mlhpc::runtime_failure( \
      fmt::format("{}:{}: {}", __FILE__, __LINE__, fmt::format(__VA_ARGS__)))
