#include "bench/runner.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <functional>

namespace mlhpc {
namespace {

// A problem whose repetition takes a chosen time on a virtual clock, which the runner reads
// instead of the machine's: the stop rule is tested exactly, however busy the machine is.
class timed_problem final : public problem {
 public:
  explicit timed_problem(std::vector<double> durations) : m_durations(std::move(durations)) {}
  void setup() override {}
  work_model work() const override { return {}; }
  void run() override {
    now += m_durations[static_cast<std::size_t>(calls) % m_durations.size()];
    ++calls;
  }
  verification verify() override { return {}; }
  std::function<double()> clock() {
    return [this] { return now; };
  }
  int calls = 0;
  double now = 0;  // durations below are powers of two, so the virtual clock is exact

 private:
  std::vector<double> m_durations;
};

// One rank that stands for many: its peers' batch size and wishes are scripted.
class counting_comm final : public communicator {
 public:
  int rank() const override { return 0; }
  int size() const override { return 1; }
  void barrier() override { ++barriers; }
  bool any(bool local) override { return local; }
  // The first reduction is the batch size (a peer's may be larger); every later one is a stop
  // decision (2 x urgency + 1 while a rank wants more samples): for `force_continue` decisions
  // in a row, some other rank still wants to go on.
  long long max(long long local) override {
    if (!batch_agreed) {
      batch_agreed = true;
      return std::max(local, peer_inner);
    }
    ++decisions;
    if (force_continue > 0) {
      --force_continue;
      return std::max(local, 1LL);
    }
    return local;
  }
  std::vector<std::string> allgather(const std::string& local) override { return {local}; }
  std::string kind() const override { return "test"; }
  nlohmann::json describe() const override { return {{"kind", "test"}}; }
  [[noreturn]] void abort(int status) override { std::exit(status); }
  void post_status(const std::string&) override {}
  std::vector<std::pair<int, std::string>> collect_statuses(double) override { return {}; }
  int barriers = 0, decisions = 0, force_continue = 0;
  long long peer_inner = 1;
  bool batch_agreed = false;
};

// A problem that must start every sample from a restored state (io's evicted page cache): the
// runner calls before_sample() untimed before every warm-up repetition and every sample, and times
// exactly one run() per sample even where a short repetition would otherwise be batched.
class stateful_problem final : public problem {
 public:
  void setup() override {}
  work_model work() const override { return {}; }
  void before_sample() override {
    now += 1.0;  // untimed work: must not show in any sample
    ++prepared;
  }
  bool one_run_per_sample() const override { return true; }
  void run() override {
    EXPECT_EQ(prepared, runs + 1) << "run() without a fresh before_sample()";
    now += 0x1p-12;
    ++runs;
  }
  verification verify() override { return {}; }
  int prepared = 0, runs = 0;
  double now = 0;
};

TEST(Runner, BeforeSampleRunsUntimedBeforeEachRepetitionOfAOneRunPerSampleProblem) {
  stateful_problem p;
  runner_settings s;
  s.repetitions = 8;
  s.max_repetitions = 8;
  s.warmup = 2;
  s.min_sample_s = 0.1;      // would batch 410 runs of 0.24 ms per sample
  s.inner_repetitions = 16;  // and so would the user: both overridden
  s.ci_target = 0.5;
  counting_comm comm;
  const auto m = measure(p, s, comm, nullptr, {}, [&p] { return p.now; });
  EXPECT_EQ(m.inner_repetitions, 1);
  EXPECT_EQ(m.warmup_repetitions, 2);
  ASSERT_EQ(m.samples_s.size(), 8u);
  for (const double t : m.samples_s) EXPECT_EQ(t, 0x1p-12);  // none of before_sample's time
  EXPECT_EQ(p.prepared, 10);
  EXPECT_EQ(p.runs, 10);
}

TEST(Runner, StopsWhenTheIntervalIsTightAfterMinimumRepetitions) {
  // 20 samples: the interval then uses order statistics 6 and 15, so a few samples slowed by a
  // busy machine cannot widen it (with 6 to 8 samples it would be [min, max]).
  timed_problem p({0x1p-9});  // about 2 ms
  runner_settings s;
  s.repetitions = 20;
  s.warmup = 1;
  s.ci_target = 0.5;  // loose: met as soon as the interval exists
  s.max_time_s = 30;
  counting_comm comm;
  const auto m = measure(p, s, comm, nullptr, {}, p.clock());
  EXPECT_EQ(m.stop_reason, "ci_target_met");
  EXPECT_EQ(m.samples_s.size(), 20u);
  EXPECT_EQ(m.warmup_repetitions, 1);
  EXPECT_EQ(m.inner_repetitions, 1);
  // One barrier before every warm-up and every timed sample: ranks run in lockstep.
  EXPECT_EQ(comm.barriers, 21);
  EXPECT_EQ(comm.decisions, 20);
  EXPECT_EQ(p.calls, 21);
  for (double t : m.samples_s) EXPECT_EQ(t, 0x1p-9);
}

TEST(Runner, MaxTimeStopsANoisyProblem) {
  // Alternating 1 ms and 4 ms: the median's interval never gets within 0.1 %.
  timed_problem p({0.001, 0.004});
  runner_settings s;
  s.repetitions = 3;
  s.warmup = 0;
  s.ci_target = 0.001;
  s.max_time_s = 0.05;
  counting_comm comm;
  const auto m = measure(p, s, comm, nullptr, {}, p.clock());
  EXPECT_EQ(m.stop_reason, "max_time_reached");
  EXPECT_GE(m.timed_s, 0.05);
  EXPECT_LT(m.timed_s, 0.05 + 0.004 + 1e-9);  // stops at the first sample past max-time
}

TEST(Runner, RepetitionsAreAFloorEvenPastMaxTime) {
  timed_problem p({0.003});
  runner_settings s;
  s.repetitions = 5;
  s.warmup = 0;
  s.max_time_s = 0.001;
  counting_comm comm;
  const auto m = measure(p, s, comm, nullptr, {}, p.clock());
  EXPECT_EQ(m.samples_s.size(), 5u);
  EXPECT_EQ(m.stop_reason, "max_time_reached");
}

TEST(Runner, MaxRepetitionsCap) {
  timed_problem p({0.0015, 0.003});
  runner_settings s;
  s.repetitions = 2;
  s.warmup = 0;
  s.ci_target = 1e-9;
  s.max_repetitions = 4;
  counting_comm comm;
  const auto m = measure(p, s, comm, nullptr, {}, p.clock());
  EXPECT_EQ(m.samples_s.size(), 4u);
  EXPECT_EQ(m.stop_reason, "max_repetitions_reached");
}

TEST(Runner, ShortRepetitionsAreTimedInBatches) {
  timed_problem p({0x1p-14});  // about 61 us
  runner_settings s;
  s.repetitions = 6;
  s.warmup = 3;  // the fastest warm-up calibrates, so one preempted warm-up does not matter
  s.min_sample_s = 0x1p-10;  // about 1 ms
  s.ci_target = 0.9;
  counting_comm comm;
  const auto m = measure(p, s, comm, nullptr, {}, p.clock());
  EXPECT_EQ(m.inner_repetitions, 16);  // 2^-10 / 2^-14
  EXPECT_EQ(p.calls, 3 + static_cast<int>(m.samples_s.size()) * m.inner_repetitions);
  for (double t : m.samples_s) EXPECT_EQ(t, 0x1p-14);  // per repetition, not per batch
}

TEST(Runner, BatchSizeIsAgreedAcrossRanks) {
  timed_problem p({0.0001});
  runner_settings s;
  s.repetitions = 6;
  s.ci_target = 0.9;
  counting_comm comm;
  comm.peer_inner = 50;  // another rank was faster and wants bigger batches
  const auto m = measure(p, s, comm, nullptr, {}, p.clock());
  EXPECT_EQ(m.inner_repetitions, 50);
}

TEST(Runner, AnotherRankKeepsEveryoneGoing) {
  timed_problem p({0.001});
  runner_settings s;
  s.repetitions = 20;
  s.warmup = 0;
  s.ci_target = 0.9;
  counting_comm comm;
  comm.force_continue = 25;  // this rank is done at 20 samples; another keeps going to 26
  const auto m = measure(p, s, comm, nullptr, {}, p.clock());
  EXPECT_EQ(m.samples_s.size(), 26u);
  EXPECT_EQ(m.stop_reason, "ci_target_met");
}

TEST(Runner, InterruptEndsAfterTheCurrentSample) {
  timed_problem p({0.001});
  runner_settings s;
  s.repetitions = 1000;
  s.warmup = 0;
  std::atomic<bool> stop{true};
  counting_comm comm;
  const auto m = measure(p, s, comm, &stop, {}, p.clock());
  EXPECT_EQ(m.samples_s.size(), 1u);
  EXPECT_EQ(m.stop_reason, "interrupted");
}

TEST(Runner, ObserverSeesEverySample) {
  timed_problem p({0.001});
  runner_settings s;
  s.repetitions = 20;
  s.warmup = 0;
  s.ci_target = 0.9;
  counting_comm comm;
  std::vector<std::size_t> seen;
  const auto m = measure(
      p, s, comm, nullptr, [&](const measurement& m) { seen.push_back(m.samples_s.size()); },
      p.clock());
  ASSERT_EQ(seen.size(), m.samples_s.size());
  for (std::size_t i = 0; i < seen.size(); ++i) EXPECT_EQ(seen[i], i + 1);
}

// A fake asynchronous device on the virtual clock: run() costs the host a launch and queues the
// repetition, which the device finishes `work` later; the timer's marks take the device's time
// when it reaches them, and waiting for one costs the host a synchronisation. What the runner
// must do with a GPU stream, without a GPU.
class async_problem final : public problem, public interval_timer {
 public:
  static constexpr double launch = 0x1p-16, work_s = 0x1p-7, sync_cost = 0x1p-14;
  void setup() override {}
  work_model work() const override { return {}; }
  void run() override {
    now += launch;
    busy_until = std::max(busy_until, now) + work_s;
    ++runs;
  }
  verification verify() override { return {}; }
  interval_timer* device_timer() override { return this; }
  std::string name() const override { return "fake_events"; }
  void synchronize() override {
    now = std::max(now, busy_until);
    ++syncs;
  }
  void start() override {
    if (busy_until > now) ++started_busy;  // a sample must not start behind the last one
    start_mark = std::max(busy_until, now);
  }
  void stop() override { stop_mark = std::max(busy_until, now); }
  double elapsed_s() override {
    now = std::max(now, stop_mark) + sync_cost;
    return stop_mark - start_mark;
  }
  double now = 0, busy_until = 0, start_mark = 0, stop_mark = 0;
  int runs = 0, syncs = 0, started_busy = 0;
};

TEST(Runner, ADeviceProblemIsTimedByItsDeviceTimerWithTheHostTimeBeside) {
  async_problem p;
  runner_settings s;
  s.repetitions = 6;
  s.max_repetitions = 6;
  s.warmup = 1;
  s.ci_target = 0.5;
  counting_comm comm;
  const auto m = measure(p, s, comm, nullptr, {}, [&p] { return p.now; });
  EXPECT_EQ(m.timer, "fake_events");
  EXPECT_EQ(m.inner_repetitions, 1);  // a 2^-7 s repetition needs no batch
  ASSERT_EQ(m.samples_s.size(), 6u);
  ASSERT_EQ(m.host_samples_s.size(), 6u);
  for (std::size_t i = 0; i < m.samples_s.size(); ++i) {
    // The device's time: the launch the idle device waited for, then the work; run() itself
    // returned after `launch` only, which the host clock alone would have timed.
    EXPECT_EQ(m.samples_s[i], async_problem::launch + async_problem::work_s);
    // The host's reading waits for the stop mark and pays the synchronisation.
    EXPECT_EQ(m.host_samples_s[i] - m.samples_s[i], async_problem::sync_cost);
  }
  // Synchronised before every barrier (the warm-up's and each sample's): no sample starts with
  // the device still busy with the previous one.
  EXPECT_EQ(p.syncs, comm.barriers);
  EXPECT_EQ(comm.barriers, 7);
  EXPECT_EQ(p.started_busy, 0);
  EXPECT_EQ(p.runs, 7);
}

TEST(Runner, AHostProblemKeepsTheHostClockAndNoSecondSeries) {
  timed_problem p({0x1p-9});
  runner_settings s;
  s.repetitions = 3;
  s.max_repetitions = 3;
  counting_comm comm;
  const auto m = measure(p, s, comm, nullptr, {}, p.clock());
  EXPECT_EQ(m.timer, "host_clock");
  EXPECT_TRUE(m.host_samples_s.empty());
  EXPECT_EQ(m.samples_s.size(), 3u);
}

}  // namespace
}  // namespace mlhpc
