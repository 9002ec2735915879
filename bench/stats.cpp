#include "bench/stats.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "bench/error.hpp"

namespace mlhpc {

double quantile_sorted(std::span<const double> sorted, double p) {
  MLHPC_ASSERT(!sorted.empty());
  MLHPC_ASSERT(p >= 0.0 && p <= 1.0);
  const double h = p * static_cast<double>(sorted.size() - 1);
  const auto lo = static_cast<std::size_t>(std::floor(h));
  const std::size_t hi = std::min(lo + 1, sorted.size() - 1);
  return sorted[lo] + (h - static_cast<double>(lo)) * (sorted[hi] - sorted[lo]);
}

std::optional<median_interval> median_ci(std::span<const double> sorted, double level) {
  const std::size_t n = sorted.size();
  if (n == 0) return std::nullopt;
  // Coverage of (x_(k), x_(n-k+1)) decreases as k grows; find the largest k that keeps it.
  std::optional<median_interval> best;
  double cdf = 0;  // P(B <= k - 1), accumulated as k grows
  const double log_half_n = static_cast<double>(n) * std::log(0.5);
  const double lgn = std::lgamma(static_cast<double>(n) + 1.0);
  for (std::size_t k = 1; 2 * k <= n + 1; ++k) {
    const std::size_t i = k - 1;  // cdf becomes P(B <= k - 1)
    cdf += std::exp(lgn - std::lgamma(static_cast<double>(i) + 1.0) -
                    std::lgamma(static_cast<double>(n - i) + 1.0) + log_half_n);
    const double coverage = 1.0 - 2.0 * cdf;
    if (coverage + 1e-12 < level) break;
    best = median_interval{sorted[k - 1], sorted[n - k], coverage, k};
  }
  return best;
}

summary summarize(std::span<const double> samples) {
  MLHPC_ASSERT(!samples.empty());
  std::vector<double> s(samples.begin(), samples.end());
  std::sort(s.begin(), s.end());
  summary out;
  out.n = s.size();
  out.min = s.front();
  out.max = s.back();
  out.median = quantile_sorted(s, 0.5);
  out.p5 = quantile_sorted(s, 0.05);
  out.p95 = quantile_sorted(s, 0.95);
  out.mean = std::accumulate(s.begin(), s.end(), 0.0) / static_cast<double>(s.size());
  if (s.size() > 1) {
    double ss = 0;
    for (double x : s) ss += (x - out.mean) * (x - out.mean);
    out.stddev = std::sqrt(ss / static_cast<double>(s.size() - 1));
    if (out.mean != 0) out.cv = *out.stddev / out.mean;
  }
  out.ci95 = median_ci(s, 0.95);
  return out;
}

std::optional<double> relative_ci_halfwidth(const summary& s) {
  if (!s.ci95 || s.median == 0) return std::nullopt;
  return std::max(s.median - s.ci95->low, s.ci95->high - s.median) / s.median;
}

}  // namespace mlhpc
