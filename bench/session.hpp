#pragma once
// Runs planned problems and assembles the result document. Measurement (runner.hpp) and
// formatting (table.hpp) stay apart: this file only turns measurements into result records.
#include <nlohmann/json.hpp>

#include <atomic>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "bench/communicator.hpp"
#include "bench/counters.hpp"
#include "bench/plan.hpp"
#include "bench/run_settings.hpp"
#include "bench/runner.hpp"

namespace mlhpc {

inline constexpr const char* schema_version = "1.6.0";

struct session_options {
  run_config config;  // the run settings (run_settings.hpp)
  // Counters and energy (--counters); null or without collectors: none are collected.
  counter_setup* counters = nullptr;
  // How the job was launched, as the repro line should start ("mpirun -np 4"); empty: plain.
  std::string launcher;
  // The host of each rank (rank order); empty: this host only.
  std::vector<std::string> rank_hosts;
  // Node acceptance over ranks (independent workloads on 3 ranks or more): a rank stands out
  // when its median's robust |z| exceeds `outlier_z` and it is `outlier_effect` from the median
  // of the medians (the defaults of 'compare --fleet').
  double outlier_z = 3.5;
  double outlier_effect = 0.05;
  // ... and a rank holds the job when the share of its runnable time its threads waited for a
  // CPU (schedstat) exceeds the other ranks' median share by `held_effect`, with a robust z
  // beyond `outlier_z` (a CPU quota or a shared CPU, whatever its own samples say).
  double held_effect = 0.10;
  // Facts of the run that decide whether a result can be trusted (trust_issues in each result).
  std::optional<bool> threads_pinned;  // every OpenMP thread bound to one CPU (affinity context)
  int allowed_cpus = 0;                // CPUs this process may run on; 0: unknown
  double trust_cv_limit = 0.05;        // a coefficient of variation above this is flagged
  double trust_busy_share = 0.9;       // busy threads below this share of threads is flagged
};

// Observer for a person at a terminal; the session calls it, it may print to stderr.
struct progress_observer {
  std::function<void(std::size_t index, std::size_t total, const planned_problem&)> on_start;
  std::function<void(const planned_problem&, const measurement&)> on_sample;
  std::function<void(std::size_t index, std::size_t total, const nlohmann::json& result)> on_end;
  // The phase starting: create, setup, run, counter pass, verify, teardown (never prints).
  std::function<void(const char* phase)> on_phase;
};

// One result record (see the schema): runs the problem, or records why it was skipped or failed.
// Never throws for a problem's own failure. Collective over `comm`: every rank calls it for the
// same problem; a skip, a failure or an interrupt on one rank is the result on all, naming the
// rank and its host. With more than one rank, each rank's samples and statistics are kept in
// "ranks", the headline is the slowest rank's (the largest median), and independent workloads
// get the node-acceptance judgement of their per-rank medians.
nlohmann::json run_problem(const planned_problem& pp, const session_options& opt,
                           communicator& comm, const progress_observer& obs, std::size_t index,
                           std::size_t total, const std::atomic<bool>* interrupt);

// The command line that re-runs exactly this problem with these settings.
std::string repro_command(const planned_problem& pp, const session_options& opt);

// The result's trust issues from its measurement, counters and the run's settings: a list of
// {"code", "detail"} (codes: high_cv, ci_target_missed, no_median_interval, fewer_busy_threads,
// threads_unpinned, threads_overridden, threads_oversubscribed, counters_unavailable). Ceiling
// codes (above_ceiling, above_nominal_peak, ceiling_untrustworthy) are added by apply_ceilings.
nlohmann::json trust_issues(const nlohmann::json& result, const session_options& opt,
                            int team_threads);

// Recomputes doc["ceilings"] from the results that measure a ceiling (their best rate) and the
// ceilings given in `external` ({"flops:f32": {"value": ..., "unit": ..., "source": ...}}), and
// each result's share of its ceiling. Measured ceilings win over external ones. Each ceiling
// gets the nominal peak of doc["context"]["nominal_peak"] beside it where the CPU is known; a
// measured ceiling above its nominal peak, or a result above its ceiling, is a counting error and
// is flagged in the result's trust_issues (above_nominal_peak, above_ceiling). A measured ceiling
// whose own result carries a trust issue of undermines_ceiling gets "untrustworthy" (naming its
// problem and why), and every result that is a share of it gets ceiling_untrustworthy instead of
// above_ceiling: a disturbed ceiling, not the counting, is then what is wrong.
void apply_ceilings(nlohmann::json& doc, const nlohmann::json& external);

// True for the trust issues that say a ceiling's timing was disturbed (high_cv,
// fewer_busy_threads, threads_oversubscribed, threads_overridden).
bool undermines_ceiling(const std::string& code);

// The least time a problem that measures a ceiling is timed for (within --max-time): 1 s of
// ~20 ms samples, whose best is then the best of about fifty.
inline constexpr double ceiling_min_time_s = 1.0;

// Extracts the ceilings of a result file (or a plain ceilings object) for --ceilings.
// Throws usage_error when the file is unreadable or has no ceilings.
nlohmann::json load_ceilings_file(const std::string& path);

// ISO 8601 UTC time with milliseconds.
std::string utc_now();

}  // namespace mlhpc
