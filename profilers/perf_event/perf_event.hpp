#pragma once
// Linux perf_event_open, called directly: hardware events (cycles, instructions, caches,
// branches, FP operations where the PMU has them) in groups, and software events (task-clock,
// page-faults, context-switches, cpu-migrations). Counts every thread of this process alive when
// timing starts, summed; multiplexed counts are scaled by time_enabled / time_running and marked.
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "bench/collector.hpp"

namespace mlhpc::profilers {

// Whether `event` is a perf_event name: a generic hardware, cache or software event, fp-ops, or a
// raw PMU encoding rHEX.
bool perf_event_claims(const std::string& event);
// Every event name this collector knows, for `mlhpc list --counters`.
std::vector<std::string> perf_event_names();

// Access to perf_event_open for this process, from perf_event_paranoid and the process's
// capabilities, both read through the procfs root so that tests use fixtures.
struct perf_access {
  std::optional<int> paranoid;  // absent: the kernel has no perf_event_paranoid (no perf_event)
  bool privileged = false;      // CAP_PERFMON or CAP_SYS_ADMIN in effect
  bool allowed = true;          // may open counters on its own threads
  bool exclude_kernel = false;  // must count user space only
  std::string note;             // what the level means and how to change it
};
perf_access read_perf_access();

// The PMUs the kernel exposes under <sysfs>/bus/event_source/devices that count CPU events
// (cpu, cpu_core, cpu_atom, armv8_*), empty in a VM without a virtual PMU.
std::vector<std::string> cpu_pmus();

// A count of `delta` over a window in which the counter was enabled for `enabled` and on the PMU
// for `running` (nanoseconds): the count scaled to the whole window and the running fraction.
// nullopt when it was never on the PMU (then nothing is known: not 0).
struct scaled_count {
  double value = 0;
  double running_fraction = 1;
};
std::optional<scaled_count> scale_multiplexed(double delta, double enabled, double running);

std::unique_ptr<collector> make_perf_event_collector(const std::vector<std::string>& events);

}  // namespace mlhpc::profilers
