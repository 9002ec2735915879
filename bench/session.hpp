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
#include "bench/runner.hpp"

namespace mlhpc {

inline constexpr const char* schema_version = "1.4.0";

struct session_options {
  runner_settings runner;
  int threads = 1;
  std::uint64_t seed = 42;
  // Counters and energy (--counters); null or without collectors: none are collected.
  counter_setup* counters = nullptr;
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
};

// One result record (see the schema): runs the problem, or records why it was skipped or failed.
// Never throws for a problem's own failure.
nlohmann::json run_problem(const planned_problem& pp, const session_options& opt,
                           communicator& comm, const progress_observer& obs, std::size_t index,
                           std::size_t total, const std::atomic<bool>* interrupt);

// The command line that re-runs exactly this problem with these settings.
std::string repro_command(const planned_problem& pp, const session_options& opt);

// The result's trust issues from its measurement, counters and the run's settings: a list of
// {"code", "detail"} (codes: high_cv, ci_target_missed, no_median_interval, fewer_busy_threads,
// threads_unpinned, threads_overridden, threads_oversubscribed, counters_unavailable). Ceiling
// codes (above_ceiling, above_nominal_peak) are added by apply_ceilings.
nlohmann::json trust_issues(const nlohmann::json& result, const session_options& opt,
                            int team_threads);

// Recomputes doc["ceilings"] from the results that measure a ceiling (their best rate) and the
// ceilings given in `external` ({"flops:f32": {"value": ..., "unit": ..., "source": ...}}), and
// each result's share of its ceiling. Measured ceilings win over external ones. Each ceiling
// gets the nominal peak of doc["context"]["nominal_peak"] beside it where the CPU is known; a
// measured ceiling above its nominal peak, or a result above its ceiling, is a counting error and
// is flagged in the result's trust_issues (above_nominal_peak, above_ceiling).
void apply_ceilings(nlohmann::json& doc, const nlohmann::json& external);

// Extracts the ceilings of a result file (or a plain ceilings object) for --ceilings.
// Throws usage_error when the file is unreadable or has no ceilings.
nlohmann::json load_ceilings_file(const std::string& path);

// ISO 8601 UTC time with milliseconds.
std::string utc_now();

}  // namespace mlhpc
