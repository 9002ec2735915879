#include "bench/stats.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
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
  // Coverage of (x_(k), x_(n-k+1)) is 1 - 2 P(B <= k-1) and decreases as k grows; find the
  // largest k that keeps it. Binomial terms more than 10 standard deviations (sqrt(n)/2) below the
  // mean add up to less than 1e-22, so the sum starts there: O(sqrt(n)) steps instead of O(n),
  // which matters because the runner evaluates this after every sample.
  const double nd = static_cast<double>(n);
  const double skip = nd / 2 - 10 * std::sqrt(nd) / 2;
  const std::size_t i0 = skip > 1 ? static_cast<std::size_t>(skip) : 0;
  std::optional<median_interval> best;
  if (i0 > 0) best = median_interval{sorted[i0 - 1], sorted[n - i0], 1.0, i0};
  // log P(B = i0), then log P(B = i + 1) = log P(B = i) + log((n - i) / (i + 1)).
  double log_pmf = std::lgamma(nd + 1.0) - std::lgamma(static_cast<double>(i0) + 1.0) -
                   std::lgamma(nd - static_cast<double>(i0) + 1.0) + nd * std::log(0.5);
  double cdf = 0;  // P(B <= k - 1), accumulated as k grows
  for (std::size_t k = i0 + 1; 2 * k <= n + 1; ++k) {
    const std::size_t i = k - 1;
    if (i > i0) log_pmf += std::log(static_cast<double>(n - i + 1) / static_cast<double>(i));
    cdf += std::exp(log_pmf);
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

namespace {
std::optional<double> halfwidth(double median, const std::optional<median_interval>& ci) {
  if (!ci || median == 0) return std::nullopt;
  return std::max(median - ci->low, ci->high - median) / median;
}
}  // namespace

std::optional<double> relative_ci_halfwidth(const summary& s) {
  return halfwidth(s.median, s.ci95);
}

std::optional<double> relative_ci_halfwidth_sorted(std::span<const double> sorted) {
  if (sorted.empty()) return std::nullopt;
  return halfwidth(quantile_sorted(sorted, 0.5), median_ci(sorted, 0.95));
}

namespace {
double median_of(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return quantile_sorted(v, 0.5);
}
}  // namespace

namespace {
struct median_mad {
  double median, mad;
};
median_mad median_and_mad(std::span<const double> v) {
  const double med = median_of(std::vector<double>(v.begin(), v.end()));
  std::vector<double> dev;
  for (double x : v) dev.push_back(std::fabs(x - med));
  return {med, median_of(dev)};
}
double z_of(double d, double mad) {
  if (mad > 0) return d / (1.4826 * mad);
  return d == 0 ? 0 : std::copysign(std::numeric_limits<double>::infinity(), d);
}
}  // namespace

std::vector<double> robust_z(std::span<const double> v) {
  std::vector<double> out(v.size(), 0);
  if (v.empty()) return out;
  const auto [med, mad] = median_and_mad(v);
  for (std::size_t i = 0; i < v.size(); ++i) out[i] = z_of(v[i] - med, mad);
  return out;
}

robust_score robust_z_against(double x, std::span<const double> reference) {
  if (reference.empty()) return {x, 0};
  const auto [med, mad] = median_and_mad(reference);
  return {med, z_of(x - med, mad)};
}

}  // namespace mlhpc
