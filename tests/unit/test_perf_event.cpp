// perf_event on this machine: software events count for real here (task-clock, page-faults);
// the permission and PMU reasons are checked against fixture trees.
#include <gtest/gtest.h>
#include <sys/mman.h>
#include <time.h>

#include <atomic>
#include <barrier>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <thread>

#include "bench/counters.hpp"
#include "bench/error.hpp"
#include "profilers/perf_event/perf_event.hpp"
#include "profilers/profilers.hpp"
#include "profilers/rusage/rusage.hpp"
#include "tests/support/scoped_env.hpp"

namespace mlhpc::profilers {
namespace {

namespace fs = std::filesystem;

class temp_tree {
 public:
  temp_tree() {
    char tpl[] = "/tmp/mlhpc-perf-XXXXXX";
    m_root = mkdtemp(tpl);
  }
  ~temp_tree() { fs::remove_all(m_root); }
  void write(const std::string& rel, const std::string& text) const {
    fs::create_directories((m_root / rel).parent_path());
    std::ofstream(m_root / rel) << text;
  }
  const fs::path& root() const { return m_root; }

 private:
  fs::path m_root;
};

using test::scoped_env;

perf_access access_with(const std::string& paranoid, const std::string& cap_eff) {
  temp_tree t;
  if (!paranoid.empty()) t.write("sys/kernel/perf_event_paranoid", paranoid + "\n");
  t.write("self/status", "Name:\tmlhpc\nCapEff:\t" + cap_eff + "\n");
  scoped_env env("MLHPC_PROCFS_ROOT", t.root().string());
  return read_perf_access();
}

TEST(PerfAccess, ParanoidLevelsGiveScopeAndAFix) {
  const auto two = access_with("2", "0000000000000000");
  EXPECT_TRUE(two.allowed);
  EXPECT_TRUE(two.exclude_kernel);
  EXPECT_NE(two.note.find("perf_event_paranoid is 2"), std::string::npos);
  EXPECT_NE(two.note.find("user space only"), std::string::npos);

  const auto three = access_with("3", "0000000000000000");
  EXPECT_FALSE(three.allowed);
  EXPECT_NE(three.note.find("sysctl kernel.perf_event_paranoid=2"), std::string::npos);

  const auto one = access_with("1", "0000000000000000");
  EXPECT_TRUE(one.allowed);
  EXPECT_FALSE(one.exclude_kernel);

  // CAP_PERFMON (bit 38) lifts the restriction whatever the level.
  const auto cap = access_with("3", "0000004000000000");
  EXPECT_TRUE(cap.privileged);
  EXPECT_TRUE(cap.allowed);
  EXPECT_FALSE(cap.exclude_kernel);

  const auto none = access_with("", "0000000000000000");
  EXPECT_FALSE(none.allowed);
  EXPECT_NE(none.note.find("CONFIG_PERF_EVENTS"), std::string::npos);
}

TEST(PerfAccess, ClosedAccessMakesEveryEventUnavailableWithTheReason) {
  temp_tree t;
  t.write("sys/kernel/perf_event_paranoid", "3\n");
  t.write("self/status", "CapEff:\t0000000000000000\n");
  scoped_env env("MLHPC_PROCFS_ROOT", t.root().string());
  auto c = make_perf_event_collector({"task-clock", "cycles"});
  EXPECT_TRUE(c->metrics().empty());
  EXPECT_NE(c->unavailable().at("task-clock").find("perf_event_paranoid is 3"), std::string::npos);
  EXPECT_NE(c->unavailable_reason().find("CAP_PERFMON"), std::string::npos);
}

TEST(PerfPmus, FoundUnderTheEventSourceDevices) {
  temp_tree t;
  for (const char* d : {"cpu_core", "cpu_atom", "software", "tracepoint", "msr"})
    fs::create_directories(t.root() / "bus/event_source/devices" / d);
  scoped_env env("MLHPC_SYSFS_ROOT", t.root().string());
  EXPECT_EQ(cpu_pmus(), (std::vector<std::string>{"cpu_atom", "cpu_core"}));
}

TEST(PerfEvent, HardwareEventsSayWhyNotWhereThereIsNoPmu) {
  if (!cpu_pmus().empty()) GTEST_SKIP() << "this machine has a CPU PMU";
  auto c = make_perf_event_collector({"cycles", "instructions", "task-clock"});
  ASSERT_EQ(c->metrics().size(), 1U);
  EXPECT_EQ(c->metrics()[0].name, "task-clock");
  EXPECT_NE(c->unavailable().at("cycles").find("no PMU in this VM"), std::string::npos);
}

TEST(PerfEvent, MultiplexedCountsAreScaledToTheWholeWindow) {
  const auto full = scale_multiplexed(1000, 4e6, 4e6);
  ASSERT_TRUE(full);
  EXPECT_DOUBLE_EQ(full->value, 1000);
  EXPECT_DOUBLE_EQ(full->running_fraction, 1);
  const auto quarter = scale_multiplexed(1000, 4e6, 1e6);
  ASSERT_TRUE(quarter);
  EXPECT_DOUBLE_EQ(quarter->value, 4000);
  EXPECT_DOUBLE_EQ(quarter->running_fraction, 0.25);
  EXPECT_FALSE(scale_multiplexed(0, 4e6, 0));  // never on the PMU: unknown, not 0
}

TEST(PerfEvent, UnknownNamesAndRawEncodings) {
  EXPECT_TRUE(perf_event_claims("cycles"));
  EXPECT_TRUE(perf_event_claims("r01c7"));
  EXPECT_TRUE(perf_event_claims("fp-ops"));
  EXPECT_FALSE(perf_event_claims("rxyz"));
  EXPECT_FALSE(perf_event_claims("PAPI_TOT_INS"));
}

double thread_cpu_s() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

struct spin_result {
  double task_clock = -1;  // perf_event's count over the window
  double cpu_s = 0;        // the threads' own CPU time over the same spin
  double wall_s = 0;
  double counted_s = 0;                     // the collector's stamped window
  double counted_min = 0, counted_max = 0;  // its bounds: the reads' stamps lie inside them
};

// Spins `threads` threads (this one included) for `seconds` inside one counted window.
spin_result spin_counted(int threads, double seconds) {
  spin_result r;
  auto c = make_perf_event_collector({"task-clock"});
  if (c->metrics().empty()) return r;
  std::atomic<double> cpu{0};
  std::barrier ready(threads);
  auto spin = [&] {
    // Driven by the thread's own CPU time, not the wall clock: on a busy host each thread still
    // runs `seconds` on a CPU (it only takes longer), so the bounds below hold under any load.
    const double c0 = thread_cpu_s();
    volatile double x = 0;
    while (thread_cpu_s() - c0 < seconds)
      for (int i = 0; i < 1000; ++i) x = x + 1;
    cpu += thread_cpu_s() - c0;
  };
  std::vector<std::jthread> others;
  std::barrier opened(threads);
  for (int i = 1; i < threads; ++i)
    others.emplace_back([&] {
      ready.arrive_and_wait();   // alive before the counters open
      opened.arrive_and_wait();  // and spinning only once they count
      spin();
    });
  ready.arrive_and_wait();
  c->start();  // counts every thread alive now
  using clock = std::chrono::steady_clock;
  const auto ta = clock::now();
  const auto from = c->read();
  const auto t0 = clock::now();
  opened.arrive_and_wait();
  spin();
  others.clear();  // join
  const auto tb = clock::now();
  const auto to = c->read();
  const auto t1 = clock::now();
  r.wall_s = std::chrono::duration<double>(t1 - t0).count();
  r.counted_min = std::chrono::duration<double>(tb - t0).count();
  r.counted_max = std::chrono::duration<double>(t1 - ta).count();
  c->stop();
  const auto w = c->difference(from, to).at(0);
  r.task_clock = w.value;
  r.counted_s = w.counted_s.value_or(-1);
  r.cpu_s = cpu.load();
  return r;
}

TEST(PerfEvent, TaskClockCountsEveryThreadOfTheProcess) {
  const auto one = spin_counted(1, 0.2);
  if (one.task_clock < 0) GTEST_SKIP() << "perf_event is closed here";
  // One thread spinning for 0.2 s: task-clock is the measured time (it waits for no one).
  EXPECT_NEAR(one.task_clock, one.cpu_s, 0.01 + 0.02 * one.cpu_s);
  EXPECT_LE(one.task_clock, one.wall_s * 1.02);
  // The counted window, stamped beside each thread's read: the spin and the reads around it.
  EXPECT_GE(one.counted_s, 0.2);
  EXPECT_GE(one.counted_s, one.counted_min);
  EXPECT_LE(one.counted_s, one.counted_max);
  // Three threads: the count is the sum of the threads' own CPU time (each ran 0.2 s on a CPU,
  // however long a busy host kept it waiting), never more than threads x wall time.
  const auto three = spin_counted(3, 0.2);
  EXPECT_NEAR(three.task_clock, three.cpu_s, 0.02 + 0.05 * three.cpu_s);
  EXPECT_GT(three.task_clock, 3 * 0.2 * 0.95);
  EXPECT_LE(three.task_clock, 3 * three.wall_s * 1.02);
  EXPECT_GE(three.counted_s, 0.2);
  EXPECT_GE(three.counted_s, three.counted_min);
  EXPECT_LE(three.counted_s, three.counted_max);
}

// Page faults while touching `bytes` of fresh anonymous memory (small pages).
double faults_touching(std::size_t bytes) {
  auto c = make_perf_event_collector({"page-faults"});
  if (c->metrics().empty()) return -1;
  void* p = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) return -1;
  madvise(p, bytes, MADV_NOHUGEPAGE);
  c->start();
  const auto from = c->read();
  auto* bytes_p = static_cast<volatile char*>(p);
  for (std::size_t i = 0; i < bytes; i += 4096) bytes_p[i] = 1;
  const auto to = c->read();
  c->stop();
  munmap(p, bytes);
  return c->difference(from, to).at(0).value;
}

TEST(PerfEvent, PageFaultsGrowWithTheFreshMemoryTouched) {
  const double small = faults_touching(8u << 20);
  if (small < 0) GTEST_SKIP() << "perf_event is closed here";
  const double large = faults_touching(64u << 20);
  // One fault per 4 KiB page (fault-around does not apply to anonymous memory).
  EXPECT_GT(small, 0.9 * (8u << 20) / 4096.0);
  EXPECT_GT(large, 0.9 * (64u << 20) / 4096.0);
  EXPECT_GT(large, 6 * small);
}

TEST(Rusage, PeakRssGrowsAndCpuTimeIsCounted) {
  auto c = make_rusage_collector({"rusage"});
  ASSERT_EQ(c->metrics().size(), 5U);
  const auto from = c->read();
  std::vector<char> big(256u << 20, 1);  // touched: the peak RSS rises by about 256 MiB
  volatile char sink = big[12345];
  (void)sink;
  // 0.1 s of this thread's CPU time (not of the wall clock, which a busy host stretches).
  const double c0 = thread_cpu_s();
  volatile double x = 0;
  while (thread_cpu_s() - c0 < 0.1)
    for (int i = 0; i < 1000; ++i) x = x + 1;
  const auto to = c->read();
  const auto d = c->difference(from, to);
  std::map<std::string, double> v;
  for (std::size_t i = 0; i < d.size(); ++i) v[c->metrics()[i].name] = d[i].value;
  EXPECT_GE(v["max-rss"], 256.0 * (1 << 20));
  EXPECT_GT(v["user-time"] + v["system-time"], 0.05);
}

TEST(CounterSpec, SetsExpandAndListsMixSetsWithEvents) {
  const auto d = expand_counters("default");
  EXPECT_NE(std::find(d.begin(), d.end(), "cycles"), d.end());
  EXPECT_NE(std::find(d.begin(), d.end(), "energy"), d.end());
  EXPECT_TRUE(expand_counters("none").empty());
  const auto mixed = expand_counters("flops, PAPI_L2_DCM,cycles,r01c7");
  EXPECT_EQ(std::count(mixed.begin(), mixed.end(), "cycles"), 1);  // no duplicates
  EXPECT_EQ(mixed.back(), "r01c7");
  EXPECT_NE(std::find(mixed.begin(), mixed.end(), "PAPI_L2_DCM"), mixed.end());
}

TEST(CounterSpec, UnknownNamesAreUsageErrorsThatNameThem) {
  try {
    expand_counters("default,cyclez");
    FAIL() << "expected a usage error";
  } catch (const usage_error& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("'cyclez'"), std::string::npos) << m;
    EXPECT_NE(m.find("default, cache, flops, energy, none"), std::string::npos) << m;
  }
  EXPECT_THROW(expand_counters(""), usage_error);
  EXPECT_THROW(expand_counters("cycles,,instructions"), usage_error);
}

TEST(CounterSpec, CollectorsAreOrderedSoThatPerfEventIsReadClosestToTheTimedRegion) {
  const auto cs = make_collectors(expand_counters("default"));
  ASSERT_FALSE(cs.empty());
  EXPECT_EQ(cs.back()->name(), "perf_event");
  std::vector<std::string> names;
  for (const auto& c : cs) names.push_back(c->name());
  EXPECT_NE(std::find(names.begin(), names.end(), "rapl"), names.end());
  EXPECT_NE(std::find(names.begin(), names.end(), "nvml"), names.end());
  EXPECT_NE(std::find(names.begin(), names.end(), "rusage"), names.end());
}

}  // namespace
}  // namespace mlhpc::profilers
