#pragma once
// The settings of a run, declared once. Each row of run_setting_table() names a setting (its
// suite key and JSON key), its type, default, help, unit, command-line spelling and environment
// fallback, and the one numeric rule that checks it. The command-line options of 'mlhpc run', the
// suite files' `settings:` mapping, the `settings` JSON of a result, the repro line and the
// dry-run summary are all derived from this table; no setting is spelled anywhere else.
//
// Precedence, highest first: the command line, the environment variable, the suite file, the
// default. Where each value came from is recorded (`run.settings_sources`).
#include <nlohmann/json.hpp>

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "bench/options.hpp"
#include "bench/runner.hpp"

namespace mlhpc {

// Every setting's value, typed, after resolution.
struct run_config {
  runner_settings runner;
  int threads = 1;
  std::uint64_t seed = 42;
  std::string counters = "default";  // --counters: a set or a list of events
  std::string counter_pass = "inline";
  double timeout_s = 0;  // per problem; 0: none
  // --dir: where workloads that write files (io) make their scratch directory; empty until the
  // run resolves its default, <the directory of --out>/scratch.
  std::string dir;
};

enum class setting_type { integer, real, seed, text };

struct run_setting {
  std::string_view key;       // suite key and `settings` JSON key stem: "min_time"
  std::string_view json_key;  // key in `settings`: "min_time_s"
  std::string_view option;    // "--min-time" (its short form, if any, in `short_option`)
  std::string_view short_option;
  setting_type type;
  std::string_view default_text;  // "" where the default is computed (threads: the CPUs)
  std::string_view unit;          // "s", "threads", "" (a count or a fraction)
  std::string_view env;           // environment fallback, or ""
  std::string_view help;
  const numeric_rule* rule;               // integer and real settings
  std::vector<std::string_view> choices;  // text settings with a closed set of values
  bool on_repro_line;                     // the repro line repeats it
  // Stores checked text into the config, and reads it back as JSON.
  void (*apply)(run_config&, const std::string& text);
  nlohmann::json (*get)(const run_config&);
};

const std::vector<run_setting>& run_setting_table();
// The row with this suite key, or nullptr.
const run_setting* find_run_setting(std::string_view key);

// Checks one value of a setting and returns it in canonical text (a number as parsed, a seed as
// decimal). `name` is how the value is named in a message ("--min-time", "suite 'x' line 3 column
// 5: settings.min_time"). Throws usage_error naming the value and what was expected.
std::string check_setting_value(const run_setting& s, std::string_view text, std::string_view name);

// Values given by one source, by key (checked text).
using setting_values = std::map<std::string, std::string>;

struct resolved_settings {
  run_config config;
  std::map<std::string, std::string> sources;  // key -> "command line", "environment X", ...
};

// Resolves every setting: command line, then environment (`getenv`, checked here: a bad value
// is a usage_error naming the variable), then suite, then the default (`default_threads` for
// threads).
resolved_settings resolve_settings(const setting_values& command_line, const setting_values& suite,
                                   int default_threads);

// `settings` JSON: every row's value under its json_key, plus the runner's fixed limits
// (max_repetitions, min_sample_s).
nlohmann::json settings_json(const run_config& c);
// " --threads 2 --seed 42 ..." for the rows on the repro line.
std::string settings_repro(const run_config& c);
// "threads 2, seed 42, repetitions >= 10, ..." for --dry-run.
std::string settings_summary(const run_config& c);
// The suite keys, for messages: "repetitions, warmup, ...".
std::string setting_keys();

}  // namespace mlhpc
