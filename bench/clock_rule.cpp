#include "bench/clock_rule.hpp"

namespace mlhpc {

clock_filter filter_by_clock(const std::vector<std::optional<double>>& clocks_hz,
                             std::optional<double> reference_hz, double fraction) {
  clock_filter f;
  const bool judged = reference_hz && *reference_hz > 0;
  if (judged) {
    f.reference_hz = *reference_hz;
    f.threshold_hz = *reference_hz * fraction;
  }
  for (std::size_t i = 0; i < clocks_hz.size(); ++i) {
    if (!judged || !clocks_hz[i]) {
      ++f.unknown;
      f.kept.push_back(i);
    } else if (*clocks_hz[i] < f.threshold_hz) {
      ++f.dropped;
    } else {
      f.kept.push_back(i);
    }
  }
  return f;
}

}  // namespace mlhpc
