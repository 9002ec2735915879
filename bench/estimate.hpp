#pragma once
// How long a planned run will take, for --dry-run and the progress bar's time left. A problem
// run before (same key, in a result file of the output directory) is estimated by how long it
// took then; one never run is bounded by the stop rule: --max-time of sampling, plus the
// warm-up and set-up the stop rule does not bound, counted as one more --max-time. Nothing is
// guessed from nominal rates.
#include <nlohmann/json.hpp>

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "bench/plan.hpp"
#include "bench/run_settings.hpp"

namespace mlhpc {

// key -> seconds the problem took (its result's ended_at - started_at), from the newest
// `max_files` result files (*.json, at most 16 MiB each) in `dir`; unreadable files are skipped.
// For a key in several files the newest wins.
std::map<std::string, double> load_durations(const std::filesystem::path& dir,
                                             std::size_t max_files = 8);

// The seconds one result took, from its started_at and ended_at; negative when unreadable.
double result_duration_s(const nlohmann::json& result);

struct problem_estimate {
  double seconds = 0;
  bool from_history = false;  // false: the stop rule's bound
};

std::vector<problem_estimate> estimate_plan(const std::vector<planned_problem>& plan,
                                            const run_config& config,
                                            const std::map<std::string, double>& durations);

// "45 s", "3 min 20 s", "1 h 05 min".
std::string format_duration(double seconds);

// One line for --dry-run: "estimated time: about 3 min 20 s (12 problems as long as in their
// last run in results/, 8 never run here bounded by --max-time 3 s + set-up each)".
std::string describe_estimate(const std::vector<problem_estimate>& estimates,
                              const run_config& config, const std::string& history_dir);

}  // namespace mlhpc
