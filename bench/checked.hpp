#pragma once
// Size arithmetic that cannot wrap: every product of user-given sizes is computed with overflow
// checks before it meets a memory check or an allocation.
#include <fmt/format.h>

#include <cstdint>
#include <initializer_list>
#include <string_view>

#include "bench/error.hpp"

namespace mlhpc {

// The product of non-negative `factors`, or usage_error naming `what` when it exceeds 2^63 - 1.
inline std::int64_t checked_product(std::initializer_list<std::int64_t> factors,
                                    std::string_view what) {
  std::int64_t out = 1;
  for (const std::int64_t f : factors) {
    MLHPC_ASSERT(f >= 0);
    if (__builtin_mul_overflow(out, f, &out))
      throw usage_error(fmt::format("{}: the size product overflows 64 bits", what));
  }
  return out;
}

// a + b for non-negative sizes, or usage_error naming `what`.
inline std::int64_t checked_sum(std::int64_t a, std::int64_t b, std::string_view what) {
  std::int64_t out = 0;
  if (__builtin_add_overflow(a, b, &out))
    throw usage_error(fmt::format("{}: the size sum overflows 64 bits", what));
  return out;
}

}  // namespace mlhpc
