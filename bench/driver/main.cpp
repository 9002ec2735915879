// mlhpc: the driver. Subcommands list, run, sysinfo, validate. Exit status: 0 success; 1 a
// problem failed (run) or a file is invalid (validate); 2 usage errors; 130 interrupted.
#include <fmt/chrono.h>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <unistd.h>
#include <CLI/CLI.hpp>

#include <atomic>
#include <chrono>
#include <csignal>
#include <fstream>
#include <iostream>
#include <optional>

#include "bench/ab.hpp"
#include "bench/context.hpp"
#include "bench/counters.hpp"
#include "bench/data_dir.hpp"
#include "bench/error.hpp"
#include "bench/nominal_peak.hpp"
#include "bench/plan.hpp"
#include "bench/registry.hpp"
#include "bench/result_file.hpp"
#include "bench/session.hpp"
#include "bench/suite.hpp"
#include "bench/table.hpp"
#include "mlhpc_config.hpp"
#include "profilers/profilers.hpp"
#include "reports/compare.hpp"
#include "reports/report.hpp"

namespace {

using nlohmann::json;
using namespace mlhpc;

std::atomic<bool> g_interrupt{false};
extern "C" void on_signal(int) {
  g_interrupt.store(true);
}

void log(const std::string& msg) {
  std::cerr << "mlhpc: " << msg << '\n';
}

struct run_cli {
  std::vector<std::string> workloads;
  std::vector<std::string> sets;
  std::string suite;
  std::optional<int> repetitions, warmup, threads;
  std::optional<double> min_time, max_time, ci_target;
  std::uint64_t seed = 42;
  std::string out;
  std::string ceilings;
  std::optional<std::string> counters, counter_pass;
  bool dry_run = false;
  bool quiet = false;
};

// ---------------------------------------------------------------------------------------- list
int cmd_list(const registry& reg, bool counters) {
  if (counters) {
    fmt::print("{}", profilers::describe_counters());
    return 0;
  }
  for (const workload* w : reg.all()) {
    fmt::print("{}: {}\n", w->name(), w->description());
    for (const auto& v : w->variants()) {
      const auto defaults = expand(w->parameters(v.name), {}, w->name()).front();
      const auto sup = w->supported(v.name, defaults);
      fmt::print("  {}:{}  {}\n    can run here: {}\n", w->name(), v.name, v.description,
                 sup.ok ? "yes" : "no: " + sup.reason);
    }
    // Parameters once per workload; a variant whose parameters differ gets its own list.
    const auto variants = w->variants();
    auto same = [](const std::vector<param_spec>& a, const std::vector<param_spec>& b) {
      if (a.size() != b.size()) return false;
      for (std::size_t i = 0; i < a.size(); ++i)
        if (a[i].name != b[i].name || a[i].choices != b[i].choices ||
            a[i].default_value != b[i].default_value)
          return false;
      return true;
    };
    for (std::size_t vi = 0; vi < variants.size(); ++vi) {
      const auto params = w->parameters(variants[vi].name);
      if (vi > 0 && same(params, w->parameters(variants.front().name))) continue;
      fmt::print("  parameters{} (--set key=value; a,b sweeps):\n",
                 vi == 0 ? "" : fmt::format(" of {}:{}", w->name(), variants[vi].name));
      for (const auto& p : params) {
        std::string type = to_string(p.type);
        if (p.type == param_type::choice) type = fmt::format("{}", fmt::join(p.choices, "|"));
        if (!p.special.empty()) type += fmt::format(" or {}", fmt::join(p.special, "|"));
        fmt::print("    {:<14} {:<22} default {:<8} {}\n", p.name, type, p.default_value, p.help);
      }
    }
    std::error_code ec;
    std::vector<std::string> lists;
    for (const auto& e : std::filesystem::directory_iterator(data_dir() / w->name(), ec))
      if (e.path().extension() == ".shapes") lists.push_back(e.path().stem().string());
    if (!lists.empty())
      fmt::print("  shape lists (--set shapes=NAME): {}\n", fmt::join(lists, ", "));
    fmt::print("\n");
  }
  std::error_code ec;
  std::vector<std::string> suites;
  for (const auto& e : std::filesystem::directory_iterator(data_dir() / "suites", ec))
    if (e.path().extension() == ".yaml") suites.push_back(e.path().stem().string());
  fmt::print("suites (--suite NAME): {}\n",
             suites.empty() ? "none found" : fmt::format("{}", fmt::join(suites, ", ")));
  return 0;
}

// ------------------------------------------------------------------------------------ validate
int cmd_validate(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw usage_error(fmt::format("validate '{}': cannot read the file", path));
  json doc;
  try {
    doc = json::parse(in);
  } catch (const json::parse_error& e) {
    fmt::print(stderr, "{}: invalid: not JSON: {}\n", path, e.what());
    return 1;
  }
  const auto errors = validate_result(doc);
  if (errors.empty()) {
    fmt::print("{}: valid (schema {})\n", path, doc.value("schema_version", "?"));
    return 0;
  }
  for (const auto& e : errors) fmt::print(stderr, "{}: invalid at {}: {}\n", path, e.where, e.what);
  return 1;
}

// ------------------------------------------------------------------------------------- compare
struct compare_cli {
  std::vector<std::string> files;
  std::vector<std::string> base_files, new_files;  // several runs per side
  bool paired = false;
  std::string format = "table";
  std::string out;
  bool fleet = false;
  double min_effect = 0.05;
  reports::compare_options opt;
};

// The rendering of comparisons in a format; throws usage_error for an unknown one.
std::string render_comparisons(const std::vector<json>& comparisons, const std::string& format) {
  if (format == "table") return reports::format_console(comparisons);
  if (format == "markdown") return reports::format_markdown(comparisons);
  if (format == "junit") return reports::format_junit(comparisons);
  if (format == "json") return json{{"comparisons", comparisons}}.dump(2) + "\n";
  throw usage_error(fmt::format("--format '{}': expected table, markdown, junit or json", format));
}

// --threshold and --alpha of compare and ab, checked in one place.
void check_compare_options(const reports::compare_options& opt) {
  if (!(opt.threshold > 0 && opt.threshold < 1))
    throw usage_error(fmt::format(
        "--threshold {}: expected a fraction between 0 and 1 (0.05 = 5 %)", opt.threshold));
  if (!(opt.alpha > 0 && opt.alpha < 0.5))
    throw usage_error(
        fmt::format("--alpha {}: expected a fraction between 0 and 0.5 (0.05 = a "
                    "95 % interval)",
                    opt.alpha));
}

// A gate that compares nothing must not pass: no pair between the two sides is bad input.
void require_pairs(const std::vector<json>& comparisons) {
  for (const auto& c : comparisons)
    if (c["pairs"].empty())
      throw usage_error(fmt::format(
          "compare: no result of {} pairs with one of {} ({} keys only in base, {} only in new); "
          "the files hold different problems (same suite and parameters expected)",
          c["new"].get<std::string>(), c["base"].get<std::string>(), c["only_in_base"].size(),
          c["only_in_new"].size()));
}

// Writes the report to -o or stdout; the console keeps a short account when it goes to a file.
int emit_comparisons(const std::vector<json>& comparisons, const std::string& format,
                     const std::string& out) {
  const std::string text = render_comparisons(comparisons, format);
  if (out.empty() || out == "-") {
    std::cout << text;
  } else {
    write_text_atomically(out, text);
    if (format != "table") std::cout << reports::format_console(comparisons);
  }
  int regressed = 0;
  for (const auto& c : comparisons) regressed += c["regressed"].get<int>();
  return regressed > 0 ? 1 : 0;
}

int cmd_fleet(const compare_cli& cli) {
  if (cli.files.size() < 2)
    throw usage_error("compare --fleet: expected the result files of two nodes or more");
  if (cli.format == "junit")
    throw usage_error("--format junit: a fleet report is table, markdown or json");
  std::vector<json> docs;
  for (const auto& f : cli.files) docs.push_back(reports::load_result_file(f));
  if (!(cli.min_effect >= 0 && cli.min_effect < 1))
    throw usage_error(
        fmt::format("--min-effect {}: expected a fraction between 0 and 1 (0.05 = "
                    "5 % from the fleet's median)",
                    cli.min_effect));
  const json fleet = reports::compare_fleet(docs, cli.files, 3.5, cli.min_effect);
  std::string text = cli.format == "json"       ? fleet.dump(2) + "\n"
                     : cli.format == "markdown" ? reports::format_fleet_markdown(fleet)
                                                : reports::format_fleet_console(fleet);
  if (cli.out.empty() || cli.out == "-")
    std::cout << text;
  else
    write_text_atomically(cli.out, text);
  return 0;
}

int cmd_compare(const compare_cli& cli) {
  (void)render_comparisons({}, cli.format);  // an unknown format is refused before any reading
  if (cli.fleet) return cmd_fleet(cli);
  check_compare_options(cli.opt);
  if (!cli.out.empty()) check_writable(cli.out);
  std::vector<json> comparisons;
  if (!cli.base_files.empty() || !cli.new_files.empty()) {
    // Several runs per side: the hierarchical comparison.
    if (!cli.files.empty())
      throw usage_error("compare: give either BASE NEW [NEW...] or --base FILE... --new FILE...");
    if (cli.base_files.empty() || cli.new_files.empty())
      throw usage_error("compare: --base and --new both need at least one result file");
    std::vector<json> base, neu;
    for (const auto& f : cli.base_files) base.push_back(reports::load_result_file(f));
    for (const auto& f : cli.new_files) neu.push_back(reports::load_result_file(f));
    comparisons.push_back(
        reports::compare_groups(base, cli.base_files, neu, cli.new_files, cli.paired, cli.opt));
  } else {
    if (cli.paired) throw usage_error("--paired: expected --base FILE... --new FILE...");
    if (cli.files.size() < 2)
      throw usage_error("compare: expected BASE NEW [NEW...] (two result files at least)");
    const json base = reports::load_result_file(cli.files[0]);
    for (std::size_t i = 1; i < cli.files.size(); ++i)
      comparisons.push_back(reports::compare(
          base, cli.files[0], reports::load_result_file(cli.files[i]), cli.files[i], cli.opt));
  }
  require_pairs(comparisons);
  return emit_comparisons(comparisons, cli.format, cli.out);
}

// ------------------------------------------------------------------------------------------ ab
struct ab_cli {
  std::string base_command, new_command;
  std::vector<std::string> run_args;
  // 48 rounds: on the shared 2-core VM a run is disrupted often enough (a vCPU lost for a whole
  // run halves its speed) and stream's bandwidth is bimodal between runs, so that fewer rounds
  // miss real 5 % slowdowns (24: 82 % detected). With 48 the order-statistic interval (17th and
  // 32nd ratios) gave 1/100 false alarms and 94/100 / 99/100 detections of 5 % / 10 % slowdowns
  // (scripts/error-rates.sh, docs/PERFORMANCE.md); an A/B of the ci suite takes about 172 s.
  int rounds = 48;
  std::string dir;
  std::string format = "table";
  std::string out;
  reports::compare_options opt;
};

int cmd_ab(const ab_cli& cli) {
  ab_plan plan;
  plan.base_command = split_command(cli.base_command, "BASE_CMD");
  plan.new_command = split_command(cli.new_command, "NEW_CMD");
  plan.run_args =
      cli.run_args.empty() ? std::vector<std::string>{"run", "--suite", "ci"} : cli.run_args;
  if (plan.run_args.front() != "run")
    throw usage_error(
        fmt::format("ab: the arguments after -- are those of 'mlhpc run' and start "
                    "with 'run' (got '{}')",
                    plan.run_args.front()));
  for (const auto& a : plan.run_args)
    if (a == "--out" || a == "-o" || a.rfind("--out=", 0) == 0)
      throw usage_error(
          "ab: the run arguments must not set --out: each run writes its own file "
          "in --dir");
  if (cli.rounds < 2 || cli.rounds > 1000)
    throw usage_error(
        fmt::format("--rounds {}: expected 2 to 1000 (run-to-run variation needs "
                    "two rounds at least)",
                    cli.rounds));
  check_compare_options(cli.opt);
  (void)render_comparisons({}, cli.format);  // checks the format before hours of running
  if (!cli.out.empty()) check_writable(cli.out);
  plan.rounds = cli.rounds;
  plan.dir = cli.dir.empty() ? fmt::format("results/ab-{}-{:%Y%m%dT%H%M%S}", host_name(),
                                           fmt::gmtime(std::time(nullptr)))
                             : cli.dir;
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
  log(fmt::format("ab: {} rounds of base and new, alternating AB/BA; files in {}", plan.rounds,
                  plan.dir));
  std::vector<ab_run> runs;
  try {
    runs = run_ab(plan, &g_interrupt, [&](const ab_run& r) {
      log(fmt::format("ab: round {}/{} {} done in {:.1f} s (exit {})", r.round, plan.rounds, r.side,
                      r.wall_s, r.exit_status));
    });
  } catch (const std::runtime_error& e) {
    throw usage_error(fmt::format("ab: {}", e.what()));
  }
  if (g_interrupt.load()) {
    log(fmt::format("ab: interrupted; the runs so far are in {}", plan.dir));
    return 130;
  }
  std::vector<json> base, neu;
  std::vector<std::string> base_paths, new_paths;
  // run_ab returns the runs round by round, so the i-th of each side share round i.
  for (const auto& r : runs) {
    (r.side == "base" ? base : neu).push_back(reports::load_result_file(r.result_file));
    (r.side == "base" ? base_paths : new_paths).push_back(r.result_file);
  }
  json c = reports::compare_groups(base, base_paths, neu, new_paths, true, cli.opt);
  c["protocol"] = {{"rounds", plan.rounds},
                   {"order", "AB in odd rounds, BA in even rounds"},
                   {"base_command", plan.base_command},
                   {"new_command", plan.new_command},
                   {"run_args", plan.run_args},
                   {"dir", plan.dir}};
  json runs_json = json::array();
  double wall = 0;
  for (const auto& r : runs) {
    runs_json.push_back({{"side", r.side},
                         {"round", r.round},
                         {"result_file", r.result_file},
                         {"exit_status", r.exit_status},
                         {"wall_s", r.wall_s}});
    wall += r.wall_s;
  }
  c["protocol"]["runs"] = runs_json;
  c["protocol"]["wall_s"] = wall;
  write_text_atomically((std::filesystem::path(plan.dir) / "ab.json").string(),
                        json{{"comparisons", {c}}}.dump(2) + "\n");
  require_pairs({c});
  return emit_comparisons({c}, cli.format, cli.out);
}

// -------------------------------------------------------------------------------------- report
struct report_cli {
  std::vector<std::string> files;
  std::string out;
  std::string format = "html";
};

int cmd_report(const report_cli& cli) {
  if (cli.format != "html" && cli.format != "md")
    throw usage_error(fmt::format("--format '{}': expected html or md", cli.format));
  if (cli.out.empty())
    throw usage_error("report: expected -o FILE (report.html, or report.md with --format md)");
  check_writable(cli.out);
  std::vector<json> docs;
  for (const auto& f : cli.files) docs.push_back(reports::load_result_file(f));
  reports::report_options opt;
  opt.format = cli.format;
  opt.plot_script = (data_dir() / "reports" / "plot.py").string();
  const std::string text = reports::render_report(docs, cli.files, opt);
  if (cli.out == "-") {
    std::cout << text;
  } else {
    write_text_atomically(cli.out, text);
    fmt::print("report: {}\n", cli.out);
  }
  return 0;
}

// ----------------------------------------------------------------------------------------- run
std::string default_out_path() {
  const auto t = std::time(nullptr);
  return fmt::format("results/{}-{:%Y%m%dT%H%M%S}.json", host_name(), fmt::gmtime(t));
}

int cmd_run(const registry& reg, const run_cli& cli, const std::vector<std::string>& argv) {
  // What to run: the suite's entries first, then --workload entries, each with every --set.
  std::vector<plan_entry> entries;
  std::optional<suite> st;
  if (!cli.suite.empty()) {
    st = load_suite(cli.suite);
    entries = st->entries;
  }
  std::vector<setting> sets;
  for (const auto& s : cli.sets) sets.push_back(parse_setting(s));
  if (!sets.empty() && cli.workloads.empty())
    throw usage_error("--set given without --workload: settings apply to the --workload entries");
  // Each --set goes to the --workload entries that declare its key, so that one command line
  // can mix workloads; a key no entry declares is an error (shapes= goes to every entry).
  std::vector<bool> set_used(sets.size(), false);
  std::vector<std::pair<const workload*, std::string>> networks;
  for (const auto& w : cli.workloads) {
    const auto ref = resolve(reg, w);
    std::vector<setting> mine;
    const auto nets = ref.w->networks();
    for (std::size_t i = 0; i < sets.size(); ++i) {
      if (sets[i].key == "network" && !nets.empty()) {
        // network=NAME runs the network's shape list and adds its summary to the result.
        setting shapes{"shapes", {}};
        for (const auto& n : sets[i].values) {
          const auto it = nets.find(n);
          if (it == nets.end()) {
            std::vector<std::string> known;
            for (const auto& [k, v] : nets) known.push_back(k);
            throw usage_error(
                fmt::format("--set network={}: unknown network for {} (expected one "
                            "of: {})",
                            n, ref.w->name(), fmt::join(known, ", ")));
          }
          shapes.values.push_back(it->second);
          networks.push_back({ref.w, n});
        }
        mine.push_back(shapes);
        set_used[i] = true;
        continue;
      }
      bool declared = sets[i].key == "shapes";
      for (const auto& v : ref.variants)
        for (const auto& p : ref.w->parameters(v)) declared = declared || p.name == sets[i].key;
      if (declared) {
        mine.push_back(sets[i]);
        set_used[i] = true;
      }
    }
    entries.push_back({w, mine, "command line"});
  }
  for (std::size_t i = 0; i < sets.size(); ++i)
    if (!set_used[i]) {
      std::vector<std::string> known;
      for (const auto& w : cli.workloads) {
        const auto ref = resolve(reg, w);
        for (const auto& p : ref.w->parameters(ref.variants.front()))
          if (std::find(known.begin(), known.end(), p.name) == known.end()) known.push_back(p.name);
      }
      throw usage_error(fmt::format(
          "unknown parameter '{}' in --set {}={} (the workloads given "
          "take: {})",
          sets[i].key, sets[i].key, fmt::join(sets[i].values, ","), fmt::join(known, ", ")));
    }
  if (entries.empty())
    throw usage_error("nothing to run: expected --workload NAME[:VARIANT] or --suite FILE");

  session_options opt;
  auto pick = [](const auto& cli_v, const auto& suite_v, auto def) {
    return cli_v ? *cli_v : (suite_v ? *suite_v : def);
  };
  std::optional<int> s_rep, s_warm, s_thr;
  std::optional<double> s_min, s_max, s_ci;
  if (st) {
    s_rep = st->repetitions, s_warm = st->warmup, s_thr = st->threads;
    s_min = st->min_time_s, s_max = st->max_time_s, s_ci = st->ci_target;
  }
  const auto cpus = allowed_cpus();
  opt.runner.repetitions = pick(cli.repetitions, s_rep, 10);
  opt.runner.warmup = pick(cli.warmup, s_warm, 1);
  opt.runner.min_time_s = pick(cli.min_time, s_min, 0.0);
  opt.runner.max_time_s = pick(cli.max_time, s_max, 10.0);
  opt.runner.ci_target = pick(cli.ci_target, s_ci, 0.01);
  opt.threads = pick(cli.threads, s_thr, static_cast<int>(std::max<std::size_t>(1, cpus.size())));
  opt.seed = cli.seed;
  if (opt.runner.repetitions < 1)
    throw usage_error(fmt::format("repetitions {}: expected at least 1", opt.runner.repetitions));
  if (opt.runner.warmup < 0)
    throw usage_error(fmt::format("warmup {}: expected 0 or more", opt.runner.warmup));
  if (opt.runner.min_time_s < 0)
    throw usage_error(
        fmt::format("min-time {}: expected 0 or more seconds", opt.runner.min_time_s));
  if (!(opt.runner.max_time_s > 0))
    throw usage_error(
        fmt::format("max-time {}: expected more than 0 seconds", opt.runner.max_time_s));
  if (!(opt.runner.ci_target > 0 && opt.runner.ci_target < 1))
    throw usage_error(fmt::format("ci-target {}: expected a fraction between 0 and 1 (0.01 = 1 %)",
                                  opt.runner.ci_target));
  if (opt.threads < 1 || opt.threads > 4096)
    throw usage_error(fmt::format("threads {}: expected between 1 and 4096", opt.threads));

  const std::string counter_spec =
      cli.counters ? *cli.counters : (st && st->counters ? *st->counters : "default");
  const std::string counter_pass = cli.counter_pass
                                       ? *cli.counter_pass
                                       : (st && st->counter_pass ? *st->counter_pass : "inline");
  if (counter_pass != "inline" && counter_pass != "separate")
    throw usage_error(
        fmt::format("--counter-pass '{}': expected inline or separate", counter_pass));
  const auto counter_events = profilers::expand_counters(counter_spec);
  const auto plan = make_plan(reg, entries, available_memory_bytes());
  if (cli.dry_run) {
    for (std::size_t i = 0; i < plan.size(); ++i) fmt::print("{:>4}  {}\n", i + 1, plan[i].label());
    fmt::print(
        "{} problem(s); threads {}, seed {}, repetitions >= {}, warmup {}, max-time {} s, "
        "ci-target {}\n",
        plan.size(), opt.threads, opt.seed, opt.runner.repetitions, opt.runner.warmup,
        opt.runner.max_time_s, opt.runner.ci_target);
    return 0;
  }
  json external_ceilings = json::object();
  if (!cli.ceilings.empty()) external_ceilings = load_ceilings_file(cli.ceilings);
  const std::string out = cli.out.empty() ? default_out_path() : cli.out;
  check_writable(out);
  const bool to_stdout = out == "-";

  // Collectors are probed once, before the first problem; what they cannot measure is said in
  // the context and in every result.
  const auto collectors = profilers::make_collectors(counter_events);
  counter_setup counters;
  counters.spec = counter_spec;
  counters.separate_pass = counter_pass == "separate";
  counters.log = [](const std::string& m) { log(m); };
  std::vector<const collector*> all_collectors;
  for (const auto& c : collectors) {
    counters.collectors.push_back(c.get());
    all_collectors.push_back(c.get());
  }
  opt.counters = &counters;

  std::vector<const workload*> used;
  for (const auto& p : plan)
    if (std::find(used.begin(), used.end(), p.w) == used.end()) used.push_back(p.w);
  json doc;
  doc["schema_version"] = schema_version;
  doc["run"] = {{"status", "running"},
                {"command_line", argv},
                {"started_at", utc_now()},
                {"problems_planned", plan.size()},
                {"seed", opt.seed},
                {"threads", opt.threads},
                {"settings",
                 {{"repetitions", opt.runner.repetitions},
                  {"warmup", opt.runner.warmup},
                  {"min_time_s", opt.runner.min_time_s},
                  {"max_time_s", opt.runner.max_time_s},
                  {"ci_target", opt.runner.ci_target},
                  {"max_repetitions", opt.runner.max_repetitions},
                  {"min_sample_s", opt.runner.min_sample_s}}},
                {"input_fill",
                 "inputs are pseudo-random: each element is splitmix64(seed, stream, index) "
                 "mapped to the type's range; the seed is --seed"}};
  doc["run"]["counters"] = {
      {"spec", counter_spec}, {"events", counter_events}, {"pass", counter_pass}};
  if (st) doc["run"]["suite"] = {{"name", st->name}, {"file", st->path}};
  if (!cli.ceilings.empty()) doc["run"]["ceilings_file"] = cli.ceilings;
  const json system = system_context();
  const json affinity = affinity_context(opt.threads);
  const std::optional<double> start_hz = measure_core_hz();
  doc["context"] = {{"tool", build_context()},
                    {"system", system},
                    {"nominal_peak", nominal_peak_context(system, opt.threads, start_hz)},
                    {"libraries", library_context(used)},
                    {"affinity", affinity},
                    {"environment", environment_context()},
                    {"collectors", collectors_context(all_collectors, counters.failed)}};
  opt.threads_pinned = affinity.value("pinned", false);
  opt.allowed_cpus = static_cast<int>(cpus.size());
  doc["ceilings"] = json::object();
  doc["results"] = json::array();

  auto save = [&] {
    apply_ceilings(doc, external_ceilings);
    if (!networks.empty()) {
      doc["summaries"] = json::array();
      for (const auto& [w, n] : networks)
        if (auto sm = w->summarize_network(n, doc["results"]); !sm.is_null())
          doc["summaries"].push_back(std::move(sm));
    }
    doc["context"]["collectors"] = collectors_context(all_collectors, counters.failed);
    if (!to_stdout) write_json_atomically(out, doc);
  };
  doc["run"]["status"] = "partial";
  save();

  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
  const bool tty = isatty(STDERR_FILENO) != 0;
  progress_observer obs;
  if (!cli.quiet) {
    obs.on_start = [&](std::size_t i, std::size_t n, const planned_problem& pp) {
      if (tty)
        fmt::print(stderr, "[{}/{}] {} ...", i + 1, n, pp.label());
      else
        fmt::print(stderr, "[{}/{}] {}\n", i + 1, n, pp.label());
    };
    if (tty)
      // At most ten updates a second: a terminal write per 1 ms sample would be wasteful.
      obs.on_sample = [&, last = std::chrono::steady_clock::time_point{}](
                          const planned_problem& pp, const measurement& m) mutable {
        const auto now = std::chrono::steady_clock::now();
        if (now - last < std::chrono::milliseconds(100)) return;
        last = now;
        fmt::print(stderr, "\r\033[K[{}/{}] {} sample {} ", doc["results"].size() + 1, plan.size(),
                   pp.label(), m.samples_s.size());
      };
    obs.on_end = [&](std::size_t i, std::size_t n, const json& r) {
      std::string what = r["status"];
      if (r.contains("statistics"))
        what += fmt::format(
            ", median {} over {} samples ({})", format_seconds(r["statistics"]["median_s"]),
            r["statistics"]["n"].get<int>(), r["measurement"]["stop_reason"].get<std::string>());
      if (r.contains("reason")) what += ": " + r["reason"].get<std::string>();
      if (tty) fmt::print(stderr, "\r\033[K");
      fmt::print(stderr, "[{}/{}] {} -> {}\n", i + 1, n, r["key"].get<std::string>(), what);
    };
  }

  local_communicator comm;
  for (std::size_t i = 0; i < plan.size() && !g_interrupt.load(); ++i) {
    doc["results"].push_back(run_problem(plan[i], opt, comm, obs, i, plan.size(), &g_interrupt));
    doc["run"]["problems_done"] = doc["results"].size();
    save();
  }
  doc["run"]["ended_at"] = utc_now();
  doc["run"]["status"] = g_interrupt.load() ? "interrupted" : "complete";
  // A VM's boost clock moves during a run (peak once reached 100.6 % of a nominal peak from the
  // clock at the start): the clock is measured again at the end and the higher one bounds.
  if (const auto end_hz = measure_core_hz(); end_hz && start_hz)
    doc["context"]["nominal_peak"] =
        nominal_peak_context(system, opt.threads, std::max(*start_hz, *end_hz));
  save();

  const auto errors = validate_result(doc);
  for (const auto& e : errors)
    log(fmt::format("internal error: result does not match the schema at {}: {}", e.where, e.what));

  const std::string table = format_table(doc);
  int failed = 0;
  for (const auto& r : doc["results"]) failed += r["status"] == "failed";
  if (to_stdout) {
    std::cout << doc.dump(2) << '\n';
    std::cerr << '\n'
              << table << format_ceilings(doc) << format_trust(doc) << format_summaries(doc);
  } else {
    std::cout << '\n'
              << table << format_ceilings(doc) << format_trust(doc) << format_summaries(doc);
    std::cout << fmt::format("\nresults: {}\n", out);
  }
  // Counting errors are said on stderr as well as in the file and the table.
  for (const auto& r : doc["results"])
    for (const auto& t : r.value("trust_issues", json::array()))
      if (t["code"] == "above_ceiling" || t["code"] == "above_nominal_peak")
        log(fmt::format("warning: {}: {}", r["key"].get<std::string>(),
                        t["detail"].get<std::string>()));
  if (g_interrupt.load()) return 130;
  if (!errors.empty()) return 3;
  return failed > 0 ? 1 : 0;
}

}  // namespace

int main(int argc, char** argv) {
  const std::vector<std::string> args(argv, argv + argc);
  CLI::App app{"mlhpc: benchmarks for the machines that train ML models"};
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string(MLHPC_VERSION));

  auto* list = app.add_subcommand(
      "list", "List every workload, variant and parameter, and whether it can run here");
  bool list_counters = false;
  list->add_flag("--counters", list_counters,
                 "List the counters and energy sources this machine offers, and why not the "
                 "others");
  auto* sysinfo = app.add_subcommand("sysinfo", "Print the system context as JSON");
  std::vector<std::string> validate_paths;
  auto* validate = app.add_subcommand("validate", "Check a result file against the schema");
  validate->add_option("files", validate_paths, "Result files")->required();

  compare_cli cc;
  auto* cmp = app.add_subcommand(
      "compare",
      "Compare result files: BASE NEW [NEW...]; exit 1 when something regressed, 2 for bad input");
  cmp->add_option("files", cc.files, "BASE, then one or more NEW result files");
  cmp->add_option("--threshold", cc.opt.threshold,
                  "Smallest change that counts, as a fraction (default 0.05)");
  cmp->add_option("--format", cc.format, "table (default), markdown, junit or json");
  cmp->add_option("-o,--out", cc.out, "Write the report here instead of stdout");
  cmp->add_flag("--fleet", cc.fleet,
                "The files are many nodes' runs of one suite: per problem the median, the spread "
                "and the nodes that stand out (robust z-score)");
  cmp->add_option("--base", cc.base_files,
                  "Several result files of the base (runs of one build); with --new, the "
                  "comparison carries the variation between runs (hierarchical bootstrap)");
  cmp->add_option("--new", cc.new_files, "Several result files of the new side (see --base)");
  cmp->add_flag("--paired", cc.paired,
                "--base and --new files were taken in rounds (base i beside new i), as mlhpc ab "
                "does");
  cmp->add_option("--alpha", cc.opt.alpha, "1 - level of the intervals (default 0.05: 95 %)");
  cmp->add_option("--min-effect", cc.min_effect,
                  "--fleet: a node stands out only this far from the median as well (default "
                  "0.05)");
  cmp->add_option("--seed", cc.opt.seed, "Seed of the bootstrap resampling (default 1)");
  cmp->add_option("--resamples", cc.opt.resamples, "Bootstrap resamples (default 2000)");

  ab_cli abc;
  abc.opt.threshold = 0.03;
  auto* ab = app.add_subcommand(
      "ab",
      "Interleaved A/B: run BASE_CMD and NEW_CMD alternately for --rounds rounds with the same "
      "'mlhpc run' arguments (after --; default: run --suite ci) and compare the rounds; exit "
      "1 when something regressed, 2 for bad input, 130 interrupted");
  ab->add_option("base_cmd", abc.base_command,
                 "The base mlhpc, as a command (split on spaces: 'env X=1 old/bin/mlhpc')")
      ->required();
  ab->add_option("new_cmd", abc.new_command, "The new mlhpc, as a command")->required();
  ab->add_option("run_args", abc.run_args, "After --: the arguments of 'mlhpc run'");
  ab->add_option("--rounds", abc.rounds, "Rounds, each one base and one new run (default 48)");
  ab->add_option("--dir", abc.dir,
                 "Directory for the runs' result files, logs and ab.json (default "
                 "results/ab-<host>-<time>)");
  ab->add_option("--threshold", abc.opt.threshold,
                 "Smallest change that counts, as a fraction (default 0.03)");
  ab->add_option("--alpha", abc.opt.alpha, "1 - level of the interval (default 0.05)");
  ab->add_option("--format", abc.format, "table (default), markdown, junit or json");
  ab->add_option("-o,--out", abc.out, "Also write the comparison here");
  ab->add_option("--seed", abc.opt.seed, "Seed of the bootstrap resampling (default 1)");

  report_cli rp;
  auto* rep = app.add_subcommand(
      "report", "Write one self-contained HTML (or Markdown) report of result files");
  rep->add_option("files", rp.files, "Result files")->required();
  rep->add_option("-o,--out", rp.out, "The report file ('-' for stdout)");
  rep->add_option("--format", rp.format,
                  "html (default), or md: Markdown with an artifact description for a paper");

  run_cli rc;
  auto* run = app.add_subcommand("run", "Run workloads and write a result file");
  run->add_option("-w,--workload", rc.workloads,
                  "Workload to run, NAME or NAME:VARIANT (repeatable; see 'mlhpc list')");
  run->add_option("-s,--set", rc.sets,
                  "Parameter key=value (repeatable); key=a,b sweeps, several sweeps expand to "
                  "their cartesian product; shapes=LIST runs a shape list");
  run->add_option("--suite", rc.suite, "Suite file, or the name of a shipped suite (quick)");
  run->add_option("-r,--repetitions", rc.repetitions,
                  "Minimum timed samples per problem (default 10)");
  run->add_option("--warmup", rc.warmup, "Untimed repetitions before timing (default 1)");
  run->add_option("--min-time", rc.min_time, "Minimum timed seconds per problem (default 0)");
  run->add_option("--max-time", rc.max_time,
                  "Stop sampling after this many timed seconds once --repetitions are done "
                  "(default 10)");
  run->add_option(
      "--ci-target", rc.ci_target,
      "Stop once the median's 95 % CI half-width is below this fraction (default 0.01)");
  run->add_option("-t,--threads", rc.threads, "Threads (default: the CPUs this process may use)")
      ->envname("MLHPC_THREADS");
  run->add_option("--seed", rc.seed, "Seed of the input fills (default 42)");
  run->add_option("-o,--out", rc.out,
                  "Result file (default results/<host>-<time>.json); '-' writes the JSON to "
                  "stdout and nothing else")
      ->envname("MLHPC_OUT");
  run->add_option("--ceilings", rc.ceilings,
                  "Result file whose ceilings (peak, stream) GEMM shares are computed against when "
                  "this run measures none");
  run->add_option("--counters", rc.counters,
                  "Counters and energy per result: a set (default, cache, flops, energy, none) or "
                  "a comma-separated list of sets and events (see 'mlhpc list --counters'; "
                  "default: default)")
      ->envname("MLHPC_COUNTERS");
  run->add_option("--counter-pass", rc.counter_pass,
                  "inline: counters around the timed samples (default); separate: timing first, "
                  "then the same samples again with counters, so collecting perturbs nothing");
  run->add_flag("--dry-run", rc.dry_run, "Print the expanded problems and stop");
  run->add_flag("-q,--quiet", rc.quiet, "No progress on stderr");

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    fmt::print(stderr, "mlhpc: error: {}\n(see 'mlhpc --help' or 'mlhpc run --help')\n", e.what());
    return 2;
  }

  try {
    registry reg;
    register_all(reg);
    if (*list) return cmd_list(reg, list_counters);
    if (*sysinfo) {
      // The collectors of the default set, as a run would start them.
      const auto cs = profilers::make_collectors(profilers::expand_counters("default"));
      std::vector<const collector*> all;
      for (const auto& c : cs) all.push_back(c.get());
      const json system = system_context();
      const int threads = static_cast<int>(allowed_cpus().size());
      const json j = {{"tool", build_context()},
                      {"system", system},
                      {"nominal_peak", nominal_peak_context(system, threads, measure_core_hz())},
                      {"libraries", library_context(reg.all())},
                      {"affinity", affinity_context(threads)},
                      {"environment", environment_context()},
                      {"collectors", collectors_context(all, {})}};
      std::cout << j.dump(2) << '\n';
      return 0;
    }
    if (*validate) {
      // Every file is checked; the status is the worst.
      int status = 0;
      for (const auto& p : validate_paths) status = std::max(status, cmd_validate(p));
      return status;
    }
    if (*cmp) return cmd_compare(cc);
    if (*ab) return cmd_ab(abc);
    if (*rep) return cmd_report(rp);
    if (*run) return cmd_run(reg, rc, args);
  } catch (const usage_error& e) {
    fmt::print(stderr, "mlhpc: error: {}\n", e.what());
    return 2;
  } catch (const std::exception& e) {
    fmt::print(stderr, "mlhpc: fatal: {}\n", e.what());
    return 3;
  }
  return 0;
}
