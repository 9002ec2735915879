#pragma once
// Statistics over per-repetition samples: plain functions over vectors, edge cases written down.
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace mlhpc {

// Quantile of sorted data, linear interpolation between order statistics (Hyndman-Fan type 7,
// the default of R and numpy). p in [0, 1]. n = 1 returns the only sample. n = 0 is an error.
double quantile_sorted(std::span<const double> sorted, double p);

// Distribution-free confidence interval of the median from order statistics: the widest-indexed
// pair (x_(k), x_(n-k+1)) whose binomial coverage 1 - 2 P(B <= k-1), B ~ Bin(n, 1/2), is still at
// least `level`. For level 0.95 this needs n >= 6; with fewer samples no such interval exists and
// std::nullopt is returned. `achieved` is the exact coverage of the returned pair.
struct median_interval {
  double low = 0;
  double high = 0;
  double achieved = 0;
  std::size_t lower_rank = 0;  // 1-based order statistic used for `low`
};
std::optional<median_interval> median_ci(std::span<const double> sorted, double level = 0.95);

// Summary of samples. stddev is the sample standard deviation (n - 1); for n = 1 it is absent,
// as is the CV; the CV is absent when the mean is 0.
struct summary {
  std::size_t n = 0;
  double median = 0, mean = 0, min = 0, max = 0, p5 = 0, p95 = 0;
  std::optional<double> stddev, cv;
  std::optional<median_interval> ci95;
};
summary summarize(std::span<const double> samples);

// Relative half-width of the median's 95 % interval: max(median - low, high - median) / median.
// Absent when the interval is absent or the median is 0.
std::optional<double> relative_ci_halfwidth(const summary& s);
// The same from sorted samples alone, without the rest of the summary (the runner's stop rule).
std::optional<double> relative_ci_halfwidth_sorted(std::span<const double> sorted);

// Median and MAD-based robust z-scores: (v - median) / (1.4826 * MAD); 0 where MAD is 0 and v is
// the median.
std::vector<double> robust_z(std::span<const double> v);

// The median of `reference` and the robust z of `x` against it (its median and MAD, `x` not
// among them: a leave-one-out judgement, where with few values the one judged would otherwise
// set the spread it is judged by); +-infinity when the MAD is 0 and x differs from the median.
struct robust_score {
  double median = 0;
  double z = 0;
};
robust_score robust_z_against(double x, std::span<const double> reference);

}  // namespace mlhpc
