#pragma once
// The message of the usage_error `f` throws, or "(no usage_error thrown)": tests compare whole
// messages, so that a changed word in what a user reads is a failing test.
#include <functional>
#include <string>

#include "bench/error.hpp"

namespace mlhpc::test {

inline std::string usage_message(const std::function<void()>& f) {
  try {
    f();
  } catch (const usage_error& e) {
    return e.what();
  }
  return "(no usage_error thrown)";
}

}  // namespace mlhpc::test
