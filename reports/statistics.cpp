#include "reports/statistics.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>

#include "bench/error.hpp"
#include "bench/fill.hpp"
#include "bench/stats.hpp"

namespace mlhpc::reports {

namespace {

// The median (type 7: the mean of the two middle values for even n) in linear time.
double median_of(std::vector<double> v) {
  const std::size_t n = v.size(), mid = n / 2;
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(mid), v.end());
  const double hi = v[mid];
  if (n % 2 == 1) return hi;
  const double lo = *std::max_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(mid));
  return (lo + hi) / 2;
}

// Counter-based random draws (the same seed gives the same draws on every platform).
class draws {
 public:
  draws(std::uint64_t seed, std::uint64_t stream) : m_seed(seed), m_stream(stream) {}
  double uniform() {  // in (0, 1)
    double u = 0;
    do {
      u = unit_random(m_seed, m_stream, m_n++);
    } while (u <= 0);
    return u;
  }
  double normal() {  // Box-Muller
    const double u1 = uniform(), u2 = uniform();
    return std::sqrt(-2 * std::log(u1)) * std::cos(2 * M_PI * u2);
  }
  double gamma(double a) {  // a >= 1: Marsaglia and Tsang, ACM TOMS 26(3), 2000
    const double d = a - 1.0 / 3, c = 1 / std::sqrt(9 * d);
    while (true) {
      double x = 0, v = 0;
      do {
        x = normal();
        v = 1 + c * x;
      } while (v <= 0);
      v = v * v * v;
      const double u = uniform();
      if (std::log(u) < 0.5 * x * x + d - d * v + d * std::log(v)) return d * v;
    }
  }
  double beta(double a, double b) {
    const double x = gamma(a), y = gamma(b);
    return x / (x + y);
  }

 private:
  std::uint64_t m_seed, m_stream, m_n = 0;
};

// The median of a bootstrap resample of `sorted` (n values, ascending), drawn without building
// the resample: the resample is F_n^-1(U_1..U_n) for uniforms U, and F_n^-1 is monotone, so its
// k-th order statistic is F_n^-1(U_(k)) with U_(k) ~ Beta(k, n - k + 1); for even n the next one
// is U_(k) + (1 - U_(k)) * Beta(1, n - k). Exact, and O(1) per resample instead of O(n).
double resampled_median_sorted(const std::vector<double>& sorted, draws& d) {
  const std::size_t n = sorted.size();
  const auto at = [&](double u) {
    return sorted[std::min(n - 1, static_cast<std::size_t>(u * static_cast<double>(n)))];
  };
  const double dn = static_cast<double>(n);
  if (n % 2 == 1) {
    const double k = (dn + 1) / 2;
    return at(d.beta(k, dn - k + 1));
  }
  const double k = dn / 2;
  const double u1 = d.beta(k, dn - k + 1);
  const double u2 = u1 + (1 - u1) * d.beta(1, dn - k);
  return (at(u1) + at(u2)) / 2;
}

}  // namespace

mann_whitney mann_whitney_u(std::span<const double> x, std::span<const double> y) {
  MLHPC_ASSERT(!x.empty() && !y.empty());
  const std::size_t n1 = x.size(), n2 = y.size(), n = n1 + n2;
  // Ranks of the pooled sample, ties given their average rank.
  std::vector<std::pair<double, int>> pooled;
  for (double v : x) pooled.emplace_back(v, 0);
  for (double v : y) pooled.emplace_back(v, 1);
  std::sort(pooled.begin(), pooled.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  double rank_sum_x = 0, tie_term = 0;
  bool ties = false;
  for (std::size_t i = 0; i < n;) {
    std::size_t j = i;
    while (j < n && pooled[j].first == pooled[i].first) ++j;
    const double t = static_cast<double>(j - i);
    const double avg = (static_cast<double>(i + 1) + static_cast<double>(j)) / 2;
    if (t > 1) {
      ties = true;
      tie_term += t * t * t - t;
    }
    for (std::size_t k = i; k < j; ++k)
      if (pooled[k].second == 0) rank_sum_x += avg;
    i = j;
  }
  const double d1 = static_cast<double>(n1), d2 = static_cast<double>(n2);
  mann_whitney r;
  r.u = rank_sum_x - d1 * (d1 + 1) / 2;
  const double u_small = std::min(r.u, d1 * d2 - r.u);
  if (!ties && n1 <= 20 && n2 <= 20) {
    // Exact: the number of arrangements with each U, by the recurrence
    // c(m, k, u) = c(m - 1, k, u - k) + c(m, k - 1, u) over m values of x and k of y.
    const auto umax = static_cast<std::size_t>(n1 * n2);
    std::vector<std::vector<double>> prev(n2 + 1, std::vector<double>(umax + 1, 0));
    for (std::size_t k = 0; k <= n2; ++k) prev[k][0] = 1;  // m = 0
    for (std::size_t m = 1; m <= n1; ++m) {
      std::vector<std::vector<double>> cur(n2 + 1, std::vector<double>(umax + 1, 0));
      cur[0][0] = 1;
      for (std::size_t k = 1; k <= n2; ++k)
        for (std::size_t u = 0; u <= umax; ++u)
          cur[k][u] = (u >= k ? prev[k][u - k] : 0) + cur[k - 1][u];
      prev = std::move(cur);
    }
    double total = 0, tail = 0;
    for (std::size_t u = 0; u <= umax; ++u) {
      total += prev[n2][u];
      if (static_cast<double>(u) <= u_small) tail += prev[n2][u];
    }
    r.p_value = std::min(1.0, 2 * tail / total);
    r.exact = true;
    return r;
  }
  const double mean = d1 * d2 / 2;
  const double nn = static_cast<double>(n);
  const double var = d1 * d2 / 12 * ((nn + 1) - tie_term / (nn * (nn - 1)));
  if (var <= 0) {
    r.p_value = 1;  // every value tied: no evidence of a difference
    return r;
  }
  const double z = (std::fabs(r.u - mean) - 0.5) / std::sqrt(var);
  r.p_value = std::min(1.0, std::erfc(std::max(0.0, z) / std::sqrt(2.0)));
  return r;
}

ratio_interval bootstrap_median_ratio(std::span<const double> x, std::span<const double> y,
                                      int resamples, double level, std::uint64_t seed) {
  MLHPC_ASSERT(!x.empty() && !y.empty() && resamples > 0);
  ratio_interval r;
  r.resamples = resamples;
  r.ratio = median_of({y.begin(), y.end()}) / median_of({x.begin(), x.end()});
  std::vector<double> ratios(static_cast<std::size_t>(resamples));
  if (std::max(x.size(), y.size()) > direct_resampling_limit) {
    r.method = order_statistic_method;
    std::vector<double> sx(x.begin(), x.end()), sy(y.begin(), y.end());
    std::sort(sx.begin(), sx.end());
    std::sort(sy.begin(), sy.end());
    draws d(seed, 78);
    for (auto& ratio : ratios) {
      const double mx = resampled_median_sorted(sx, d);
      ratio = resampled_median_sorted(sy, d) / mx;
    }
  } else {
    std::vector<double> bx(x.size()), by(y.size());
    std::uint64_t draw = 0;
    auto pick = [&](std::size_t n) {
      return static_cast<std::size_t>(unit_random(seed, 77, draw++) * static_cast<double>(n));
    };
    for (auto& ratio : ratios) {
      for (auto& v : bx) v = x[std::min(pick(x.size()), x.size() - 1)];
      for (auto& v : by) v = y[std::min(pick(y.size()), y.size() - 1)];
      ratio = median_of(by) / median_of(bx);
    }
  }
  std::sort(ratios.begin(), ratios.end());
  r.low = quantile_sorted(ratios, (1 - level) / 2);
  r.high = quantile_sorted(ratios, 1 - (1 - level) / 2);
  return r;
}

group_ratio_interval hierarchical_bootstrap_ratio(const std::vector<std::vector<double>>& base,
                                                  const std::vector<std::vector<double>>& neu,
                                                  bool paired, int resamples, double level,
                                                  std::uint64_t seed) {
  MLHPC_ASSERT(!base.empty() && !neu.empty() && resamples > 0);
  MLHPC_ASSERT(!paired || base.size() == neu.size());
  for (const auto& g : base) MLHPC_ASSERT(!g.empty());
  for (const auto& g : neu) MLHPC_ASSERT(!g.empty());
  group_ratio_interval r;
  r.resamples = resamples;
  r.paired = paired;
  auto log_geomean_of_medians = [](const std::vector<std::vector<double>>& groups) {
    double s = 0;
    for (const auto& g : groups) s += std::log(median_of(g));
    return s / static_cast<double>(groups.size());
  };
  r.ratio = std::exp(log_geomean_of_medians(neu) - log_geomean_of_medians(base));
  if (paired)
    for (std::size_t i = 0; i < base.size(); ++i)
      r.group_ratios.push_back(median_of(neu[i]) / median_of(base[i]));
  std::uint64_t draw = 0;
  auto pick = [&](std::size_t n) {
    return std::min(
        n - 1, static_cast<std::size_t>(unit_random(seed, 79, draw++) * static_cast<double>(n)));
  };
  std::vector<double> ratios(static_cast<std::size_t>(resamples));
  std::vector<double> buf;
  // Large groups: their medians drawn as order statistics of the sorted group (see
  // resampled_median_sorted), so that 10^6 samples a side take seconds, not hours.
  std::map<const std::vector<double>*, std::vector<double>> sorted;
  for (const auto* side : {&base, &neu})
    for (const auto& g : *side)
      if (g.size() > direct_resampling_limit) {
        auto& s = sorted[&g];
        s = g;
        std::sort(s.begin(), s.end());
        r.method = order_statistic_method;
      }
  draws large(seed, 80);
  auto resampled_log_median = [&](const std::vector<double>& g) {
    if (const auto it = sorted.find(&g); it != sorted.end())
      return std::log(resampled_median_sorted(it->second, large));
    buf.resize(g.size());
    for (auto& v : buf) v = g[pick(g.size())];
    return std::log(median_of(buf));
  };
  std::vector<std::size_t> idx_b(base.size()), idx_n(neu.size());
  for (int b = 0; b < resamples; ++b) {
    for (auto& i : idx_b) i = pick(base.size());
    if (paired)
      idx_n = idx_b;
    else
      for (auto& i : idx_n) i = pick(neu.size());
    double sb = 0, sn = 0;
    for (const auto i : idx_b) sb += resampled_log_median(base[i]);
    for (const auto i : idx_n) sn += resampled_log_median(neu[i]);
    ratios[static_cast<std::size_t>(b)] =
        std::exp(sn / static_cast<double>(idx_n.size()) - sb / static_cast<double>(idx_b.size()));
  }
  std::sort(ratios.begin(), ratios.end());
  r.low = quantile_sorted(ratios, (1 - level) / 2);
  r.high = quantile_sorted(ratios, 1 - (1 - level) / 2);
  return r;
}

double geometric_mean(std::span<const double> v) {
  if (v.empty()) return 1;
  double s = 0;
  for (double x : v) s += std::log(x);
  return std::exp(s / static_cast<double>(v.size()));
}

}  // namespace mlhpc::reports
