#include "bench/clock_rule.hpp"

#include <gtest/gtest.h>

namespace mlhpc {
namespace {

TEST(ClockRule, SamplesBelowNinetyPercentOfTheStartClockAreDroppedAndCounted) {
  // Started at 1980 MHz: 1782 MHz is exactly 90 % and counts; 1781 MHz does not.
  const auto f = filter_by_clock({1980e6, 1830e6, 1782e6, 1781e6, std::nullopt, 1200e6}, 1980e6);
  EXPECT_EQ(f.kept, (std::vector<std::size_t>{0, 1, 2, 4}));
  EXPECT_EQ(f.dropped, 2u);
  EXPECT_EQ(f.unknown, 1u);
  EXPECT_TRUE(f.throttled());
  EXPECT_DOUBLE_EQ(f.threshold_hz, 1782e6);
  EXPECT_DOUBLE_EQ(f.reference_hz, 1980e6);
}

TEST(ClockRule, AHealthyRunKeepsEverySampleAndNoReferenceJudgesNothing) {
  const auto ok = filter_by_clock({1830e6, 1830e6, 1815e6}, 1830e6);
  EXPECT_EQ(ok.kept.size(), 3u);
  EXPECT_FALSE(ok.throttled());
  const auto none = filter_by_clock({1e6, 2e6}, std::nullopt);
  EXPECT_EQ(none.kept.size(), 2u);
  EXPECT_EQ(none.unknown, 2u);
  EXPECT_FALSE(none.throttled());
  EXPECT_EQ(filter_by_clock({1e6}, 0.0).unknown, 1u);
  EXPECT_TRUE(filter_by_clock({}, 1e9).kept.empty());
}

}  // namespace
}  // namespace mlhpc
