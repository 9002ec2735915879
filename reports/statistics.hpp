#pragma once
// Statistics for comparing two sets of samples: the Mann-Whitney U test and a bootstrap
// confidence interval of the ratio of medians. Plain functions over vectors; edge cases written
// down.
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "bench/stats.hpp"

namespace mlhpc::reports {

struct mann_whitney {
  double u = 0;        // U of the first sample: pairs (x, y) with x > y, ties counted 1/2
  double p_value = 1;  // two-sided
  bool exact = false;  // exact distribution (small samples without ties) or normal approximation
};
// Two-sided Mann-Whitney U test of x against y. Exact null distribution when both samples have
// at most 20 values and there are no ties; otherwise the normal approximation with tie
// correction and continuity correction (as scipy.stats.mannwhitneyu, method "asymptotic").
// Both samples must be non-empty.
mann_whitney mann_whitney_u(std::span<const double> x, std::span<const double> y);

// Samples per side (or per group) up to which a bootstrap resample is built value by value;
// above it, the resample's median is drawn directly as an order statistic of the sorted samples
// (exact for the median, O(1) per resample), so 10^6 samples a side take seconds.
inline constexpr std::size_t direct_resampling_limit = 5000;
inline constexpr const char* direct_method = "percentile bootstrap";
inline constexpr const char* order_statistic_method =
    "percentile bootstrap, resample medians drawn as order statistics (Beta-distributed "
    "uniform order statistics through the sorted samples; exact for the median)";

struct ratio_interval {
  double ratio = 0;  // median(y) / median(x) of the samples themselves
  double low = 0, high = 0;
  int resamples = 0;
  const char* method = direct_method;
};
// Percentile bootstrap of median(y) / median(x): both samples resampled with replacement,
// independently, `resamples` times with a counter-based generator seeded by `seed` (the same
// inputs and seed give the same interval). `level` 0.95 gives the 2.5th and 97.5th percentiles.
ratio_interval bootstrap_median_ratio(std::span<const double> x, std::span<const double> y,
                                      int resamples = 2000, double level = 0.95,
                                      std::uint64_t seed = 1);

struct group_ratio_interval {
  double ratio = 0;  // geomean over groups of median(new group) / geomean of median(base group)
  double low = 0, high = 0;
  int resamples = 0;
  bool paired = false;
  std::vector<double> group_ratios;    // paired: per group (round) median(new) / median(base)
  const char* method = direct_method;  // how groups above direct_resampling_limit were resampled
};
// Two-level (hierarchical) percentile bootstrap for several groups of samples per side: a group is
// one run (a round of an A/B protocol, or one result file), so the interval carries the variation
// between runs as well as within them (Kalibera and Jones, "Rigorous benchmarking in reasonable
// time", ISMM 2013). Each resample draws groups with replacement, then samples with replacement
// within each drawn group, and recomputes the statistic. `paired`: base[i] and neu[i] ran in the
// same round, so round i is drawn for both sides at once (the drift the two share cancels);
// needs as many groups on both sides. Every group must be non-empty. Seeded and deterministic.
group_ratio_interval hierarchical_bootstrap_ratio(const std::vector<std::vector<double>>& base,
                                                  const std::vector<std::vector<double>>& neu,
                                                  bool paired, int resamples = 2000,
                                                  double level = 0.95, std::uint64_t seed = 1);

// Geometric mean of positive values (1 for none).
double geometric_mean(std::span<const double> v);

// robust_z: bench/stats.hpp (the runner's node acceptance uses it too).
using mlhpc::robust_z;

}  // namespace mlhpc::reports
