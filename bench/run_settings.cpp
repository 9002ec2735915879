#include "bench/run_settings.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cstdlib>

#include "bench/error.hpp"
#include "bench/text.hpp"

namespace mlhpc {

using nlohmann::json;

namespace {

int to_int(const std::string& t) {
  return static_cast<int>(std::stod(t));
}

// A value as the command line takes it: 0 not 0.0, text quoted for the shell where needed.
std::string text_of(const json& v) {
  if (v.is_string()) return shell_quote(v.get<std::string>());
  if (v.is_number_float()) return fmt::format("{}", v.get<double>());
  return v.dump();
}

}  // namespace

const std::vector<run_setting>& run_setting_table() {
  // clang-format off
  static const std::vector<run_setting> table = {
      {"repetitions", "repetitions", "--repetitions", "-r", setting_type::integer, "10", "", "",
       "Minimum timed samples per problem, 1 to 100000", &rules::repetitions, {}, true,
       [](run_config& c, const std::string& t) { c.runner.repetitions = to_int(t); },
       [](const run_config& c) { return json(c.runner.repetitions); }},
      {"warmup", "warmup", "--warmup", "", setting_type::integer, "1", "", "",
       "Untimed repetitions before timing", &rules::warmup, {}, true,
       [](run_config& c, const std::string& t) { c.runner.warmup = to_int(t); },
       [](const run_config& c) { return json(c.runner.warmup); }},
      {"min_time", "min_time_s", "--min-time", "", setting_type::real, "0", "s", "",
       "Minimum timed seconds per problem, at most 86400", &rules::min_time, {}, true,
       [](run_config& c, const std::string& t) { c.runner.min_time_s = std::stod(t); },
       [](const run_config& c) { return json(c.runner.min_time_s); }},
      {"max_time", "max_time_s", "--max-time", "", setting_type::real, "10", "s", "",
       "Stop sampling after this many timed seconds once --repetitions are done",
       &rules::max_time, {}, true,
       [](run_config& c, const std::string& t) { c.runner.max_time_s = std::stod(t); },
       [](const run_config& c) { return json(c.runner.max_time_s); }},
      {"ci_target", "ci_target", "--ci-target", "", setting_type::real, "0.01", "", "",
       "Stop once the median's 95 % CI half-width is below this fraction", &rules::ci_target,
       {}, true,
       [](run_config& c, const std::string& t) { c.runner.ci_target = std::stod(t); },
       [](const run_config& c) { return json(c.runner.ci_target); }},
      {"threads", "threads", "--threads", "-t", setting_type::integer, "", "threads",
       "MLHPC_THREADS", "Threads per rank, 1 to 4096 (default: the CPUs this process may use)",
       &rules::threads, {}, true,
       [](run_config& c, const std::string& t) { c.threads = to_int(t); },
       [](const run_config& c) { return json(c.threads); }},
      {"seed", "seed", "--seed", "", setting_type::seed, "42", "", "",
       "Seed of the input fills, unsigned 64-bit", nullptr, {}, true,
       [](run_config& c, const std::string& t) { c.seed = std::stoull(t); },
       [](const run_config& c) { return json(c.seed); }},
      {"counters", "counters", "--counters", "", setting_type::text, "default", "",
       "MLHPC_COUNTERS",
       "Counters and energy per result: a set (default, cache, flops, energy, none) or a "
       "comma-separated list of sets and events (see 'mlhpc list --counters')",
       nullptr, {}, true,
       [](run_config& c, const std::string& t) { c.counters = t; },
       [](const run_config& c) { return json(c.counters); }},
      {"counter_pass", "counter_pass", "--counter-pass", "", setting_type::text, "inline", "", "",
       "inline: counters around the timed samples; separate: timing first, then the same "
       "samples again with counters, so collecting perturbs nothing",
       nullptr, {"inline", "separate"}, true,
       [](run_config& c, const std::string& t) { c.counter_pass = t; },
       [](const run_config& c) { return json(c.counter_pass); }},
      {"timeout", "timeout_s", "--timeout", "", setting_type::real, "0", "s", "MLHPC_TIMEOUT",
       "Per problem: a problem (on any rank) still running after this many seconds ends the "
       "job, naming the rank, host and phase; the file keeps every finished result (0: no "
       "limit)",
       &rules::timeout, {}, false,
       [](run_config& c, const std::string& t) { c.timeout_s = std::stod(t); },
       [](const run_config& c) { return json(c.timeout_s); }},
      {"dir", "dir", "--dir", "", setting_type::text, "", "", "MLHPC_DIR",
       "Directory in which workloads that write files (io) create their own fresh scratch "
       "directory, removed at the end (default: <the directory of --out>/scratch)",
       nullptr, {}, false,
       [](run_config& c, const std::string& t) { c.dir = t; },
       [](const run_config& c) { return json(c.dir); }},
  };
  // clang-format on
  return table;
}

const run_setting* find_run_setting(std::string_view key) {
  for (const auto& s : run_setting_table())
    if (s.key == key) return &s;
  return nullptr;
}

std::string check_setting_value(const run_setting& s, std::string_view text,
                                std::string_view name) {
  switch (s.type) {
    case setting_type::integer:
    case setting_type::real: {
      const double v = parse_number(text, *s.rule, name);
      return s.type == setting_type::integer ? fmt::format("{}", static_cast<long long>(v))
                                             : fmt::format("{}", v);
    }
    case setting_type::seed:
      return fmt::format("{}", parse_u64(text, name));
    case setting_type::text:
      break;
  }
  if (text.empty())
    throw usage_error(fmt::format("{} '': expected {}", name,
                                  s.choices.empty()
                                      ? std::string("a value")
                                      : fmt::format("one of {}", fmt::join(s.choices, ", "))));
  if (!s.choices.empty() && std::find(s.choices.begin(), s.choices.end(), text) == s.choices.end())
    throw usage_error(fmt::format("{} '{}': expected {}", name, utf8_text(std::string(text)),
                                  fmt::join(s.choices, " or ")));
  return std::string(text);
}

resolved_settings resolve_settings(const setting_values& command_line, const setting_values& suite,
                                   int default_threads) {
  resolved_settings out;
  for (const auto& s : run_setting_table()) {
    const std::string key(s.key);
    std::string value;
    std::string source;
    if (const auto it = command_line.find(key); it != command_line.end()) {
      value = it->second;
      source = "command line";
    } else if (const char* e = s.env.empty() ? nullptr : std::getenv(std::string(s.env).c_str());
               e != nullptr) {
      value = check_setting_value(s, e, fmt::format("environment {}", s.env));
      source = fmt::format("environment {}", s.env);
    } else if (const auto st = suite.find(key); st != suite.end()) {
      value = st->second;
      source = "suite";
    } else if (!s.default_text.empty()) {
      value = std::string(s.default_text);
      source = "default";
    } else if (s.type == setting_type::text) {
      value = "";  // computed by the run (dir: next to the result file)
      source = "default";
    } else {
      value = fmt::format("{}", default_threads);
      source = "default (the CPUs this process may use)";
    }
    s.apply(out.config, value);
    out.sources[key] = source;
  }
  return out;
}

json settings_json(const run_config& c) {
  json j = json::object();
  for (const auto& s : run_setting_table()) j[std::string(s.json_key)] = s.get(c);
  j["max_repetitions"] = c.runner.max_repetitions;
  j["min_sample_s"] = c.runner.min_sample_s;
  return j;
}

std::string settings_repro(const run_config& c) {
  std::string out;
  for (const auto& s : run_setting_table()) {
    if (!s.on_repro_line) continue;
    const json v = s.get(c);
    // The default counter pass is not repeated: the line stays as short as it can.
    if (s.key == "counter_pass" && v == json(s.default_text)) continue;
    out += fmt::format(" {} {}", s.option, text_of(v));
  }
  return out;
}

std::string settings_summary(const run_config& c) {
  std::string out;
  for (const auto& s : run_setting_table()) {
    if (!out.empty()) out += ", ";
    const json v = s.get(c);
    out += fmt::format("{} {}{}", s.key, text_of(v), s.unit == "s" ? " s" : "");
  }
  return out;
}

std::string setting_keys() {
  std::string out;
  for (const auto& s : run_setting_table()) {
    if (!out.empty()) out += ", ";
    out += s.key;
  }
  return out;
}

}  // namespace mlhpc
