#pragma once
// What the kernel's scheduler did to this process while it was measured: how long its threads
// ran and how long they were runnable without a CPU (/proc/<pid>/task/<tid>/schedstat: run time
// and run-queue delay, in ns; a thread throttled by its cgroup's CPU quota, or sharing its CPU
// with another task, accumulates delay), and how long its cgroup's CPU quota throttled it
// (cpu.stat: throttled_time in ns under cgroup v1, throttled_usec under v2, in its own cgroup or
// the nearest ancestor that throttled). Reads go through sysfs::proc_root()/sys_root(), so tests
// use fixture trees.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace mlhpc {

struct sched_snapshot {
  struct thread_times {
    std::int64_t run_ns = 0, delay_ns = 0;
  };
  std::map<long, thread_times> threads;  // by thread id; empty: schedstat unreadable
  struct cgroup_stat {
    std::string path;  // the cgroup directory read, under sys_root()
    std::int64_t throttled_ns = 0;
    std::int64_t throttled_periods = 0;
  };
  std::vector<cgroup_stat> cgroups;  // this process's CPU cgroup and its ancestors
};

// This process now.
sched_snapshot read_sched();

// What happened between two snapshots of the same process. Threads born in between count from
// zero; threads that ended in between are lost (their time is not in the later snapshot).
struct sched_delta {
  bool available = false;   // schedstat was readable in both snapshots
  std::string unavailable;  // why not, when !available
  int threads = 0;
  double run_s = 0, delay_s = 0;
  // The share of its threads' runnable time that they waited for a CPU: delay / (run + delay).
  double wait_share() const { return run_s + delay_s > 0 ? delay_s / (run_s + delay_s) : 0; }
  // The cgroup that throttled most in between, when a cpu.stat was readable.
  std::optional<std::string> cgroup;
  std::optional<double> throttled_s;
  std::optional<std::int64_t> throttled_periods;
  nlohmann::json to_json() const;
};
sched_delta between(const sched_snapshot& before, const sched_snapshot& after);

}  // namespace mlhpc
