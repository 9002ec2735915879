#pragma once
// Which samples of a device problem count, by the SM clock each was taken at. The rule: a sample
// whose clock is below 90 % of the clock the problem started at is dropped and counted, and the
// result is flagged `gpu_throttled`. nvbench instead discards samples under 75 % of the default
// clock and cools down; we judge against the start clock because a GPU under tensor load runs
// below its maximum by design (the H100 SXM's tensor figures assume 1830 of 1980 MHz, 92 %), so
// a fixed share of the default would either accept a 25 % slowdown or drop every sample of a
// healthy GEMM; the start clock and the threshold are recorded with the result.
#include <cstddef>
#include <optional>
#include <vector>

namespace mlhpc {

inline constexpr double throttle_fraction = 0.90;

struct clock_filter {
  std::vector<std::size_t> kept;  // indices of the samples that count, in order
  std::size_t dropped = 0;        // below the threshold
  std::size_t unknown = 0;        // no clock read for the sample: kept, and counted
  double reference_hz = 0;        // the clock the problem started at
  double threshold_hz = 0;        // reference x fraction
  bool throttled() const { return dropped > 0; }
};

// `clocks_hz[i]` is sample i's SM clock (nullopt when unread). With no positive reference every
// sample is kept (nothing to judge against) and `unknown` counts them all.
clock_filter filter_by_clock(const std::vector<std::optional<double>>& clocks_hz,
                             std::optional<double> reference_hz,
                             double fraction = throttle_fraction);

}  // namespace mlhpc
