#pragma once
// Suite files: a YAML list of workloads and their settings, plus optional run settings.
//
//   name: quick
//   description: what this suite is for
//   settings: {repetitions: 5, warmup: 1, min_time: 0, max_time: 2, ci_target: 0.02}
//   (any key of run_setting_table(): the same checks as the command line)
//   problems:
//     - workload: gemm:f32
//       set: {m: 2048, n: [1024, 2048], k: 2048}   # a list (or "a,b") sweeps
//
// Settings given on the command line override the suite's.
#include <optional>
#include <string>
#include <vector>

#include "bench/plan.hpp"
#include "bench/run_settings.hpp"

namespace mlhpc {

struct suite {
  std::string name;
  std::string description;
  std::string path;
  setting_values settings;  // run settings by key (run_settings.hpp), checked
  std::vector<plan_entry> entries;
};

// `name_or_path`: a path to a file, or the name of a suite shipped in <data>/suites/NAME.yaml.
// Throws usage_error for an unreadable or malformed file, naming the file, line and the problem.
suite load_suite(const std::string& name_or_path);
// Same, from text (for tests); `origin` names it in messages.
suite parse_suite(const std::string& text, const std::string& origin);

}  // namespace mlhpc
