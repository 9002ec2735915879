// The scheduler's account of a measurement (bench/sched.hpp) against fixture trees of /proc and
// /sys: schedstat per thread, the CPU cgroup under v1 and v2, an ancestor's quota, and the
// unreadable case said in words. The last test reads this process's own /proc.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "bench/sched.hpp"
#include "tests/support/scoped_env.hpp"

namespace mlhpc {
namespace {

namespace fs = std::filesystem;

class SchedTree : public ::testing::Test {
 protected:
  void SetUp() override {
    root = fs::temp_directory_path() / ("mlhpc-sched-" + std::to_string(getpid()));
    fs::remove_all(root);
    fs::create_directories(root / "proc/self/task");
    fs::create_directories(root / "sys");
  }
  void TearDown() override { fs::remove_all(root); }
  void write(const fs::path& rel, const std::string& text) {
    fs::create_directories((root / rel).parent_path());
    std::ofstream(root / rel) << text;
  }
  void thread(long tid, long long run_ns, long long delay_ns) {
    write(fs::path("proc/self/task") / std::to_string(tid) / "schedstat",
          std::to_string(run_ns) + " " + std::to_string(delay_ns) + " 7\n");
  }
  sched_snapshot snap() {
    test::scoped_env p("MLHPC_PROCFS_ROOT", (root / "proc").string());
    test::scoped_env s("MLHPC_SYSFS_ROOT", (root / "sys").string());
    return read_sched();
  }
  fs::path root;
};

// Two threads, one born during the measurement; a v1 cgroup (cpu,cpuacct) whose parent holds
// the quota: the parent's throttled time is the one reported.
TEST_F(SchedTree, ThreadsAndAV1AncestorsQuotaAreAccountedOverTheSpan) {
  write("proc/self/cgroup", "12:memory:/job\n4:cpu,cpuacct:/slurm/job7/step0\n0::/user.slice\n");
  write("sys/fs/cgroup/cpu,cpuacct/slurm/job7/step0/cpu.stat",
        "nr_periods 10\nnr_throttled 0\nthrottled_time 0\n");
  write("sys/fs/cgroup/cpu,cpuacct/slurm/job7/cpu.stat",
        "nr_periods 10\nnr_throttled 2\nthrottled_time 100000000\n");
  thread(100, 1'000'000'000, 0);
  const auto before = snap();
  ASSERT_EQ(before.threads.size(), 1u);
  ASSERT_EQ(before.cgroups.size(), 2u);
  thread(100, 1'300'000'000, 1'700'000'000);  // +0.3 s run, +1.7 s runnable
  thread(101, 100'000'000, 0);                // born in between: all of it counts
  write("sys/fs/cgroup/cpu,cpuacct/slurm/job7/cpu.stat",
        "nr_periods 30\nnr_throttled 19\nthrottled_time 1800000000\n");
  const auto d = between(before, snap());
  ASSERT_TRUE(d.available);
  EXPECT_EQ(d.threads, 2);
  EXPECT_DOUBLE_EQ(d.run_s, 0.4);
  EXPECT_DOUBLE_EQ(d.delay_s, 1.7);
  EXPECT_DOUBLE_EQ(d.wait_share(), 1.7 / 2.1);
  ASSERT_TRUE(d.throttled_s.has_value());
  EXPECT_DOUBLE_EQ(*d.throttled_s, 1.7);
  EXPECT_EQ(*d.throttled_periods, 17);
  EXPECT_NE(d.cgroup->find("slurm/job7"), std::string::npos);
  EXPECT_EQ(d.cgroup->find("step0"), std::string::npos);
  const auto j = d.to_json();
  EXPECT_DOUBLE_EQ(j["runnable_wait_s"], 1.7);
  EXPECT_DOUBLE_EQ(j["cgroup"]["throttled_s"], 1.7);
}

// cgroup v2 only ("0::/path", throttled_usec), mounted at fs/cgroup.
TEST_F(SchedTree, AV2CgroupsThrottledMicrosecondsAreRead) {
  write("proc/self/cgroup", "0::/system.slice/node.service\n");
  write("sys/fs/cgroup/system.slice/node.service/cpu.stat",
        "usage_usec 5\nnr_periods 4\nnr_throttled 1\nthrottled_usec 250\n");
  thread(7, 0, 0);
  const auto before = snap();
  write("sys/fs/cgroup/system.slice/node.service/cpu.stat",
        "usage_usec 9\nnr_periods 9\nnr_throttled 3\nthrottled_usec 750250\n");
  const auto d = between(before, snap());
  ASSERT_TRUE(d.throttled_s.has_value());
  EXPECT_DOUBLE_EQ(*d.throttled_s, 0.75);
  EXPECT_EQ(*d.throttled_periods, 2);
  EXPECT_DOUBLE_EQ(d.wait_share(), 0.0);  // no run, no wait: 0, not NaN
}

// No schedstat and no cgroup file: unavailable with the reason, and no cgroup invented.
TEST_F(SchedTree, AnUnreadableProcIsUnavailableWithTheReason) {
  const auto d = between(snap(), snap());
  EXPECT_FALSE(d.available);
  EXPECT_NE(d.unavailable.find("schedstat"), std::string::npos);
  EXPECT_FALSE(d.throttled_s.has_value());
  const auto j = d.to_json();
  EXPECT_TRUE(j.contains("unavailable"));
  EXPECT_FALSE(j.contains("wait_share"));
}

// This process: a thread that computes runs, and its run time grows by what it computed (CPU
// time, driven by the thread itself rather than by a wall-clock bound).
TEST(Sched, ThisProcessRunTimeGrowsWithItsWork) {
  const auto before = read_sched();
  if (before.threads.empty()) GTEST_SKIP() << "/proc/self/task/*/schedstat is not readable here";
  timespec t0{}, t{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t0);
  volatile double x = 0;
  do {
    for (int i = 0; i < 100000; ++i) x = x + 1e-9 * i;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  } while ((t.tv_sec - t0.tv_sec) + 1e-9 * static_cast<double>(t.tv_nsec - t0.tv_nsec) < 0.05);
  const auto d = between(before, read_sched());
  ASSERT_TRUE(d.available);
  EXPECT_GE(d.threads, 1);
  EXPECT_GE(d.run_s, 0.045);
  EXPECT_GE(d.wait_share(), 0.0);
  EXPECT_LE(d.wait_share(), 1.0);
}

}  // namespace
}  // namespace mlhpc
