#include "bench/fill.hpp"

#include <gtest/gtest.h>
#include <omp.h>

#include <vector>

namespace mlhpc {
namespace {

TEST(Fill, SameSeedSameDataWhateverTheThreadCount) {
  std::vector<float> one(10007), two(10007);
  omp_set_num_threads(1);
  fill_uniform(std::span<float>(one), 42, 1, -1, 1);
  omp_set_num_threads(2);
  fill_uniform(std::span<float>(two), 42, 1, -1, 1);
  EXPECT_EQ(one, two);
}

TEST(Fill, RandomNotConstantAndInRange) {
  std::vector<double> d(4096);
  fill_uniform(std::span<double>(d), 7, 3, -1, 1);
  double lo = 1, hi = -1, sum = 0;
  for (double x : d) {
    lo = std::min(lo, x);
    hi = std::max(hi, x);
    sum += x;
  }
  EXPECT_GE(lo, -1.0);
  EXPECT_LT(hi, 1.0);
  EXPECT_LT(lo, -0.9);  // spread over the range, never all ones
  EXPECT_GT(hi, 0.9);
  EXPECT_NEAR(sum / 4096, 0.0, 0.05);
}

TEST(Fill, StreamsAndSeedsDiffer) {
  std::vector<float> a(64), b(64), c(64);
  fill_uniform(std::span<float>(a), 1, 1, 0, 1);
  fill_uniform(std::span<float>(b), 1, 2, 0, 1);
  fill_uniform(std::span<float>(c), 2, 1, 0, 1);
  EXPECT_NE(a, b);
  EXPECT_NE(a, c);
}

TEST(Fill, IntegersCoverTheirInclusiveRange) {
  std::vector<std::int8_t> s(20000);
  fill_uniform(std::span<std::int8_t>(s), 5, 12, -32, 31);
  int lo = 100, hi = -100;
  for (auto v : s) lo = std::min<int>(lo, v), hi = std::max<int>(hi, v);
  EXPECT_EQ(lo, -32);
  EXPECT_EQ(hi, 31);
}

}  // namespace
}  // namespace mlhpc
