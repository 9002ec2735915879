// The data-parallel step's bucketing and its driver, without MPI: buckets of consecutive
// gradients closed at the caps (the first at 1 MiB, as DDP), and a recording allreduce that
// shows each bucket's sum starting once, in order, as soon as its last gradient completes,
// progress after every gradient, and one wait per step.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "workloads/resnet50/data_parallel.hpp"

namespace mlhpc::resnet50 {
namespace {

// Sizes in floats; each gradient starts at a multiple of 16 floats (64 B), as in the arena.
std::vector<gradient_span> spans_of(const std::vector<std::size_t>& counts) {
  std::vector<gradient_span> out;
  std::size_t at = 0;
  for (std::size_t i = 0; i < counts.size(); ++i) {
    out.push_back({static_cast<int>(10 + i), at, counts[i]});
    at += (counts[i] + 15) / 16 * 16;
  }
  return out;
}

TEST(DataParallelBuckets, CloseAtTheCapsAndSpanTheirGradientsWithTheGaps) {
  constexpr std::size_t mib = 1 << 20;
  // 3 gradients of 100 KiB, then 1 MiB ones: the first bucket closes once it reaches 1 MiB.
  const auto spans = spans_of({25600, 25600, 25600, 262144, 262144, 262144, 3});
  const auto b = make_buckets(spans, 2 * mib, mib);
  ASSERT_EQ(b.size(), 3u);
  EXPECT_EQ(b[0].params, (std::vector<int>{10, 11, 12, 13}));
  EXPECT_EQ(b[1].params, (std::vector<int>{14, 15}));
  EXPECT_EQ(b[2].params, (std::vector<int>{16}));  // the rest, smaller than the cap
  EXPECT_EQ(b[0].offset, 0u);
  EXPECT_EQ(b[0].count, spans[3].offset + spans[3].count);
  EXPECT_EQ(b[1].offset, spans[4].offset);
  EXPECT_EQ(b[1].count, spans[5].offset + spans[5].count - spans[4].offset);
  EXPECT_EQ(b[2].offset, spans[6].offset);
  EXPECT_EQ(b[2].count, 3u);
  // Buckets never overlap.
  EXPECT_LE(b[0].offset + b[0].count, b[1].offset);
}

TEST(DataParallelBuckets, OneBucketWhenTheCapExceedsEverything) {
  const auto b = make_buckets(spans_of({5, 7, 9}), std::size_t{1} << 30, std::size_t{1} << 30);
  ASSERT_EQ(b.size(), 1u);
  EXPECT_EQ(b[0].params.size(), 3u);
}

struct recording_allreduce final : gradient_allreduce {
  std::vector<std::string>* log;
  float* base;
  explicit recording_allreduce(std::vector<std::string>* l, float* b) : log(l), base(b) {}
  int ranks() const override { return 4; }
  void start(std::span<float> d) override {
    log->push_back("start " + std::to_string(d.data() - base) + "+" + std::to_string(d.size()));
  }
  void progress() override { log->push_back("progress"); }
  void wait_all() override { log->push_back("wait"); }
  void sleeping_barrier() override { log->push_back("barrier"); }
  std::string describe() const override { return "recording"; }
};

TEST(DataParallelAverager, StartsEachBucketOnceInOrderWhenItsLastGradientCompletes) {
  std::vector<float> region(4096, 0.f);
  std::vector<std::string> log;
  // Four gradients of 64 floats; buckets of 512 B (128 floats): {10, 11}, {12, 13}.
  const auto spans = spans_of({64, 64, 64, 64});
  gradient_averager avg(std::make_unique<recording_allreduce>(&log, region.data()), 512, 512);
  avg.attach(region, spans);
  ASSERT_EQ(avg.buckets().size(), 2u);
  EXPECT_EQ(avg.ranks(), 4);
  for (int step = 0; step < 2; ++step) {
    log.clear();
    avg.ready(10);
    avg.ready(11);
    avg.ready(12);
    avg.ready(13);
    avg.finish();
    EXPECT_EQ(log, (std::vector<std::string>{"progress", "start 0+128", "progress", "progress",
                                             "start 128+128", "progress", "wait"}))
        << "step " << step;
  }
  // A later bucket that completes first waits for the earlier one: starts stay in order.
  log.clear();
  avg.ready(12);
  avg.ready(13);
  avg.ready(10);
  avg.ready(11);
  avg.finish();
  EXPECT_EQ(log, (std::vector<std::string>{"progress", "progress", "progress", "start 0+128",
                                           "start 128+128", "progress", "wait"}));
}

}  // namespace
}  // namespace mlhpc::resnet50
