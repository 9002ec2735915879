#include "bench/stats.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <vector>

namespace mlhpc {
namespace {

TEST(Quantile, LinearInterpolationType7) {
  const std::vector<double> x = {1, 2, 3, 4};
  EXPECT_DOUBLE_EQ(quantile_sorted(x, 0.5), 2.5);
  EXPECT_DOUBLE_EQ(quantile_sorted(x, 0.0), 1.0);
  EXPECT_DOUBLE_EQ(quantile_sorted(x, 1.0), 4.0);
  // numpy.percentile([1,2,3,4], 5) = 1.15, 95 -> 3.85
  EXPECT_NEAR(quantile_sorted(x, 0.05), 1.15, 1e-12);
  EXPECT_NEAR(quantile_sorted(x, 0.95), 3.85, 1e-12);
}

TEST(Summary, KnownValues) {
  // Mean 5, sample standard deviation sqrt(32/7).
  const std::vector<double> x = {9, 2, 4, 4, 5, 7, 4, 5};
  const auto s = summarize(x);
  EXPECT_EQ(s.n, 8u);
  EXPECT_DOUBLE_EQ(s.mean, 5.0);
  EXPECT_DOUBLE_EQ(s.median, 4.5);
  EXPECT_DOUBLE_EQ(s.min, 2.0);
  EXPECT_DOUBLE_EQ(s.max, 9.0);
  ASSERT_TRUE(s.stddev.has_value());
  EXPECT_NEAR(*s.stddev, std::sqrt(32.0 / 7.0), 1e-12);
  ASSERT_TRUE(s.cv.has_value());
  EXPECT_NEAR(*s.cv, std::sqrt(32.0 / 7.0) / 5.0, 1e-12);
}

TEST(Summary, SingleSampleHasNoSpreadAndNoInterval) {
  const std::vector<double> x = {3.5};
  const auto s = summarize(x);
  EXPECT_EQ(s.n, 1u);
  EXPECT_DOUBLE_EQ(s.median, 3.5);
  EXPECT_DOUBLE_EQ(s.p5, 3.5);
  EXPECT_DOUBLE_EQ(s.p95, 3.5);
  EXPECT_FALSE(s.stddev.has_value());
  EXPECT_FALSE(s.cv.has_value());
  EXPECT_FALSE(s.ci95.has_value());
  EXPECT_FALSE(relative_ci_halfwidth(s).has_value());
}

TEST(Summary, TwoSamples) {
  const std::vector<double> x = {2.0, 1.0};
  const auto s = summarize(x);
  EXPECT_DOUBLE_EQ(s.median, 1.5);
  EXPECT_DOUBLE_EQ(s.mean, 1.5);
  EXPECT_NEAR(*s.stddev, std::sqrt(0.5), 1e-12);
  EXPECT_FALSE(s.ci95.has_value());  // n < 6: no 95 % distribution-free interval exists
}

TEST(Summary, TiesGiveZeroSpreadAndADegenerateInterval) {
  const std::vector<double> x(10, 0.25);
  const auto s = summarize(x);
  EXPECT_DOUBLE_EQ(*s.stddev, 0.0);
  EXPECT_DOUBLE_EQ(*s.cv, 0.0);
  ASSERT_TRUE(s.ci95.has_value());
  EXPECT_DOUBLE_EQ(s.ci95->low, 0.25);
  EXPECT_DOUBLE_EQ(s.ci95->high, 0.25);
  EXPECT_DOUBLE_EQ(*relative_ci_halfwidth(s), 0.0);
}

TEST(MedianCi, SmallestSampleWithA95Interval) {
  // n = 6: (x_(1), x_(6)) covers 1 - 2 / 64 = 0.96875; n = 5 covers only 0.9375.
  const std::vector<double> six = {1, 2, 3, 4, 5, 6};
  const auto ci = median_ci(six);
  ASSERT_TRUE(ci.has_value());
  EXPECT_EQ(ci->lower_rank, 1u);
  EXPECT_DOUBLE_EQ(ci->low, 1);
  EXPECT_DOUBLE_EQ(ci->high, 6);
  EXPECT_NEAR(ci->achieved, 0.96875, 1e-12);
  const std::vector<double> five = {1, 2, 3, 4, 5};
  EXPECT_FALSE(median_ci(five).has_value());
}

TEST(MedianCi, TenSamplesUseSecondOrderStatistics) {
  // n = 10: k = 2 covers 1 - 2 * 11/1024 = 0.978515625; k = 3 only 0.890625.
  std::vector<double> x;
  for (int i = 1; i <= 10; ++i) x.push_back(i);
  const auto ci = median_ci(x);
  ASSERT_TRUE(ci.has_value());
  EXPECT_EQ(ci->lower_rank, 2u);
  EXPECT_DOUBLE_EQ(ci->low, 2);
  EXPECT_DOUBLE_EQ(ci->high, 9);
  EXPECT_NEAR(ci->achieved, 0.978515625, 1e-12);
}

TEST(MedianCi, LargeSampleMatchesNormalApproximation) {
  // n = 100: the classic table gives ranks 40 and 61 (coverage 0.9648).
  std::vector<double> x;
  for (int i = 1; i <= 100; ++i) x.push_back(i);
  const auto ci = median_ci(x);
  ASSERT_TRUE(ci.has_value());
  EXPECT_EQ(ci->lower_rank, 40u);
  EXPECT_DOUBLE_EQ(ci->low, 40);
  EXPECT_DOUBLE_EQ(ci->high, 61);
  EXPECT_NEAR(ci->achieved, 0.9648, 1e-4);
}

TEST(MedianCi, LargeSamplesMatchTheFullBinomialSum) {
  // median_ci skips the binomial terms more than 10 sigma below the mean; the ranks and coverage
  // must be those of the full sum from 0.
  for (std::size_t n : {150u, 1000u, 4321u, 20000u}) {
    std::vector<double> x(n);
    for (std::size_t i = 0; i < n; ++i) x[i] = static_cast<double>(i);
    const double nd = static_cast<double>(n);
    double cdf = 0;
    std::size_t expected_k = 0;
    double expected_coverage = 0;
    for (std::size_t k = 1; 2 * k <= n + 1; ++k) {
      const double i = static_cast<double>(k - 1);
      cdf += std::exp(std::lgamma(nd + 1) - std::lgamma(i + 1) - std::lgamma(nd - i + 1) +
                      nd * std::log(0.5));
      if (1 - 2 * cdf + 1e-12 < 0.95) break;
      expected_k = k;
      expected_coverage = 1 - 2 * cdf;
    }
    const auto ci = median_ci(x);
    ASSERT_TRUE(ci.has_value());
    EXPECT_EQ(ci->lower_rank, expected_k) << n;
    EXPECT_NEAR(ci->achieved, expected_coverage, 1e-12) << n;
    EXPECT_EQ(ci->low, x[expected_k - 1]);
    EXPECT_EQ(ci->high, x[n - expected_k]);
  }
}

TEST(RelativeHalfwidth, FromSortedSamplesMatchesTheSummary) {
  const std::vector<double> x = {1.0, 1.1, 0.9, 1.3, 1.05, 0.97, 1.02, 1.2, 0.99, 1.01};
  std::vector<double> sorted = x;
  std::sort(sorted.begin(), sorted.end());
  EXPECT_DOUBLE_EQ(*relative_ci_halfwidth_sorted(sorted), *relative_ci_halfwidth(summarize(x)));
  EXPECT_FALSE(relative_ci_halfwidth_sorted(std::vector<double>{1, 2, 3}).has_value());
}

TEST(RelativeHalfwidth, UsesTheWiderSide) {
  std::vector<double> x;
  for (int i = 1; i <= 10; ++i) x.push_back(i);
  x[9] = 100;  // only the maximum moves; ranks 2 and 9 stay
  const auto s = summarize(x);
  EXPECT_DOUBLE_EQ(s.median, 5.5);
  EXPECT_NEAR(*relative_ci_halfwidth(s), 3.5 / 5.5, 1e-12);
}

}  // namespace
}  // namespace mlhpc
