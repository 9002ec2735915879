#pragma once
// Measurement of one problem: warm-up, calibration, timed repetitions and the stop rule.
#include <atomic>
#include <functional>
#include <string>
#include <vector>

#include "bench/communicator.hpp"
#include "bench/options.hpp"
#include "bench/workload.hpp"

namespace mlhpc {

struct runner_settings {
  int repetitions = 10;      // at least this many samples
  int warmup = 1;            // untimed repetitions first
  double min_time_s = 0.0;   // and at least this much timed time
  double max_time_s = 10.0;  // then stop at this much timed time
  double ci_target = 0.01;   // ... or as soon as the median's 95 % CI half-width is below this
  int max_repetitions = max_samples_per_problem;  // hard cap (options.hpp)
  double min_sample_s = 1e-3;  // shorter repetitions are timed in batches (inner repetitions)
  int inner_repetitions = 0;   // > 0: this batch size instead of calibrating one (a second pass)
};

// Called around the timed region (collectors of counters and energy). The timed region itself
// stays two clock reads: before_sample() runs just before the first, after_sample() just after
// the second.
class sample_hooks {
 public:
  virtual ~sample_hooks() = default;
  // After warm-up, before the first sample: the workload's threads exist now.
  virtual void start() = 0;
  virtual void before_sample() = 0;
  // `seconds` is the sample's batch time, over `repetitions` calls of run().
  virtual void after_sample(double seconds, long long repetitions) = 0;
  // After the last sample. Never throws.
  virtual void stop() noexcept = 0;
};

struct measurement {
  std::vector<double> samples_s;  // one per sample: batch time / inner_repetitions
  // With a device timer: the host clock's reading of each sample (same units, beside the
  // device's samples_s; launch overhead shows here); empty on the host clock.
  std::vector<double> host_samples_s;
  std::string timer = "host_clock";  // or the device timer's name()
  int inner_repetitions = 1;
  int warmup_repetitions = 0;
  // ci_target_met | max_time_reached | max_repetitions_reached | other_rank_stopped |
  // interrupted (on any rank) | failed (here: `error`) | failed_on_other_rank
  std::string stop_reason;
  std::string error;   // this rank's problem threw: what it said; its samples stop there
  double timed_s = 0;  // sum of timed batches
  // This rank's time in the barriers before its samples and the decisions after them (waiting
  // for the other ranks; ~0 alone), and the timed loop's wall time up to the last decision.
  double collective_wait_s = 0;
  double loop_s = 0;
  double wall_s = 0;  // including barriers and decisions
};

// Runs `p` (already set up) under `s`. Every rank of `comm` runs the same number of samples and
// meets a barrier before each; one reduction after each sample decides for all. `interrupt` set
// by a signal handler (on any rank) ends the loop on every rank after the current sample. An
// exception from the problem on one rank ends the loop on every rank (stop_reason failed here,
// failed_on_other_rank elsewhere) and is kept in `error`: it never leaves a rank waiting.
// `on_sample`, when set, is called after each sample (outside the timed region), for progress.
// `clock` (seconds) replaces std::chrono::steady_clock, so that tests of the stop rule can run
// on a virtual clock instead of a busy machine's. `hooks`, when given, bracket every sample.
measurement measure(problem& p, const runner_settings& s, communicator& comm,
                    const std::atomic<bool>* interrupt = nullptr,
                    const std::function<void(const measurement&)>& on_sample = {},
                    const std::function<double()>& clock = {}, sample_hooks* hooks = nullptr);

}  // namespace mlhpc
