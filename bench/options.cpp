#include "bench/options.hpp"

#include <fmt/format.h>

#include <charconv>
#include <cmath>

#include "bench/error.hpp"
#include "bench/text.hpp"

namespace mlhpc {

std::string describe_range(const numeric_rule& r) {
  const auto lo = r.min_open ? fmt::format("more than {}", r.min) : fmt::format("{}", r.min);
  const auto hi = r.max_open ? fmt::format("less than {}", r.max) : fmt::format("{}", r.max);
  if (!r.min_open && !r.max_open) return fmt::format("between {} and {}", r.min, r.max);
  return fmt::format("{} and {}", lo, r.max_open ? hi : fmt::format("at most {}", r.max));
}

double parse_number(std::string_view text, const numeric_rule& r, std::string_view name) {
  const auto expected =
      r.integer ? fmt::format("expected a whole number of {}, {}", r.expected, describe_range(r))
                : fmt::format("expected {}, {}", r.expected, describe_range(r));
  auto refuse = [&] {
    return usage_error(fmt::format("{} '{}': {}", name, terminal_text(text), expected));
  };
  if (text.empty()) throw refuse();
  double v = 0;
  if (r.integer) {
    long long i = 0;
    const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), i);
    if (ec != std::errc() || ptr != text.data() + text.size()) throw refuse();
    v = static_cast<double>(i);
  } else {
    const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    // Subnormal values (below 2.2e-308) are refused as well: they are no one's setting, and the
    // standard conversions (std::stod) throw on them where the value is used again.
    if (ec != std::errc() || ptr != text.data() + text.size() || !std::isfinite(v) ||
        (v != 0 && !std::isnormal(v)))
      throw refuse();
  }
  const bool low = r.min_open ? !(v > r.min) : !(v >= r.min);
  const bool high = r.max_open ? !(v < r.max) : !(v <= r.max);
  if (low || high) throw refuse();
  return v;
}

std::uint64_t parse_u64(std::string_view text, std::string_view name) {
  std::uint64_t v = 0;
  const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (text.empty() || ec != std::errc() || ptr != text.data() + text.size())
    throw usage_error(fmt::format(
        "{} '{}': expected a whole number between 0 and 18446744073709551615 (unsigned 64-bit)",
        name, terminal_text(text)));
  return v;
}

}  // namespace mlhpc
