// mlhpc: the command line. Subcommands list, run, sysinfo, validate, compare, ab, report, wired
// to bench/ and reports/. Exit statuses: `exit_statuses` below (printed by --help).
#include <fcntl.h>
#include <fmt/chrono.h>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <unistd.h>
#include <CLI/CLI.hpp>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <functional>
#include <iostream>
#include <mutex>
#include <optional>
#include <system_error>
#include <thread>

#include "bench/driver/cli.hpp"

#include "bench/ab.hpp"
#include "bench/context.hpp"
#include "bench/context_text.hpp"
#include "bench/counters.hpp"
#include "bench/data_dir.hpp"
#include "bench/error.hpp"
#include "bench/files.hpp"
#include "bench/nominal_peak.hpp"
#include "bench/options.hpp"
#include "bench/plan.hpp"
#include "bench/registry.hpp"
#include "bench/result_file.hpp"
#include "bench/run.hpp"
#include "bench/session.hpp"
#include "bench/suite.hpp"
#include "bench/table.hpp"
#include "bench/text.hpp"
#include "bench/watchdog.hpp"
#include "mlhpc_config.hpp"
#ifdef MLHPC_HAVE_MPI
#include "mpi/launch.hpp"
#endif
#include "profilers/profilers.hpp"
#include "reports/acceptance.hpp"
#include "reports/compare.hpp"
#include "reports/report.hpp"

namespace {

using nlohmann::json;
using namespace mlhpc;

void log(const std::string& msg) {
  std::cerr << "mlhpc: " << msg << '\n';
}

// ---------------------------------------------------------------------------------------- list
int cmd_list(const registry& reg, bool counters) {
  if (counters) {
    fmt::print("{}", wrap_lines(profilers::describe_counters(), 118));
    return 0;
  }
  std::string out;
  for (const workload* w : reg.all()) {
    out += fmt::format("{}: {}\n", w->name(), w->description());
    for (const auto& v : w->variants()) {
      const auto defaults = expand(w->parameters(v.name), {}, w->name()).front();
      // As a plain `mlhpc run` in this shell would find it (no MPI launcher).
      local_communicator alone;
      auto sup = w->supported(v.name, defaults);
      if (sup.ok) sup = w->supported_with(v.name, alone);
      out += fmt::format("  {}:{}  {}\n    can run here: {}\n", w->name(), v.name, v.description,
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
      out += fmt::format("  parameters{} (--set key=value; a,b sweeps):\n",
                         vi == 0 ? "" : fmt::format(" of {}:{}", w->name(), variants[vi].name));
      for (const auto& p : params) {
        std::string type = to_string(p.type);
        if (p.type == param_type::choice) type = fmt::format("{}", fmt::join(p.choices, "|"));
        if (!p.special.empty()) type += fmt::format(" or {}", fmt::join(p.special, "|"));
        // A default sweep of many values is shown by its ends.
        std::string shown = p.default_value;
        if (const auto n = std::count(shown.begin(), shown.end(), ',') + 1; n > 4)
          shown =
              fmt::format("{},{},...,{} ({} values)", shown.substr(0, shown.find(',')),
                          shown.substr(shown.find(',') + 1,
                                       shown.find(',', shown.find(',') + 1) - shown.find(',') - 1),
                          shown.substr(shown.rfind(',') + 1), n);
        out += fmt::format("    {:<14} {:<22} default {:<8} {}\n", p.name, type, shown, p.help);
      }
    }
    std::error_code ec;
    std::vector<std::string> lists;
    for (const auto& e : std::filesystem::directory_iterator(data_dir() / w->name(), ec))
      if (e.path().extension() == ".shapes") lists.push_back(e.path().stem().string());
    if (!lists.empty())
      out += fmt::format("  shape lists (--set shapes=NAME): {}\n", fmt::join(lists, ", "));
    out += fmt::format("\n");
  }
  std::error_code ec;
  std::vector<std::string> suites;
  for (const auto& e : std::filesystem::directory_iterator(data_dir() / "suites", ec))
    if (e.path().extension() == ".yaml") suites.push_back(e.path().stem().string());
  out += fmt::format("suites (--suite NAME): {}\n",
                     suites.empty() ? "none found" : fmt::format("{}", fmt::join(suites, ", ")));
  std::cout << wrap_lines(out, 118);
  return 0;
}

// ------------------------------------------------------------------------------------ validate
int cmd_validate(const std::string& path) {
  // An unreadable path, a device, a FIFO or an oversized file is bad input (exit 2); content
  // that is not a result file is "invalid" (exit 1). Both with the same limits as compare and
  // report, so that validate never accepts what they refuse.
  const std::string text = read_input_file(path, input_limits{}.max_bytes, "validate");
  const std::string shown = terminal_text(path);
  json doc;
  try {
    doc = parse_json_bounded(text, "");
  } catch (const usage_error& e) {
    fmt::print(stderr, "{}: invalid: {}\n", shown, terminal_text(e.what()));
    return 1;
  }
  const auto errors = validate_result(doc);
  if (errors.empty()) {
    fmt::print("{}: valid (schema {})\n", shown, terminal_text(doc.value("schema_version", "?")));
    return 0;
  }
  for (const auto& e : errors)
    fmt::print(stderr, "{}: invalid at {}: {}\n", shown, terminal_text(e.where),
               terminal_text(e.what));
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
  if (format == "table")
    return terminal_lines(wrap_lines(reports::format_console(comparisons), 118));
  if (format == "markdown") return reports::format_markdown(comparisons);
  if (format == "junit") return reports::format_junit(comparisons);
  if (format == "json") return json_text(json{{"comparisons", comparisons}}) + "\n";
  throw usage_error(fmt::format("--format '{}': expected table, markdown, junit or json", format));
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
    write_file_atomically(out, text);
    if (format != "table")
      std::cout << terminal_lines(wrap_lines(reports::format_console(comparisons), 118));
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
  if (!cli.out.empty()) check_output_path(cli.out, "--out", cli.files);
  std::vector<json> docs;
  for (const auto& f : cli.files) docs.push_back(reports::load_result_file(f));
  const json fleet = reports::compare_fleet(docs, cli.files, 3.5, cli.min_effect);
  std::string text = cli.format == "json" ? json_text(fleet) + "\n"
                     : cli.format == "markdown"
                         ? reports::format_fleet_markdown(fleet)
                         : terminal_lines(wrap_lines(reports::format_fleet_console(fleet), 118));
  if (cli.out.empty() || cli.out == "-")
    std::cout << text;
  else
    write_file_atomically(cli.out, text);
  return 0;
}

int cmd_compare(const compare_cli& cli) {
  (void)render_comparisons({}, cli.format);  // an unknown format is refused before any reading
  if (cli.fleet) return cmd_fleet(cli);
  if (!cli.out.empty()) {
    std::vector<std::string> inputs = cli.files;
    inputs.insert(inputs.end(), cli.base_files.begin(), cli.base_files.end());
    inputs.insert(inputs.end(), cli.new_files.begin(), cli.new_files.end());
    check_output_path(cli.out, "--out", inputs);
  }
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
  (void)render_comparisons({}, cli.format);  // checks the format before hours of running
  if (!cli.out.empty()) check_output_path(cli.out, "--out");
  plan.rounds = cli.rounds;
  plan.dir = cli.dir.empty()
                 ? fmt::format("results/ab-{}-{:%Y%m%dT%H%M%S}", file_name_part(host_name()),
                               fmt::gmtime(std::time(nullptr)))
                 : cli.dir;
  // A protocol writes its files into a directory of its own: an earlier protocol's files are
  // never replaced.
  if (std::error_code ec;
      std::filesystem::exists(plan.dir, ec) &&
      (!std::filesystem::is_directory(plan.dir, ec) || !std::filesystem::is_empty(plan.dir, ec)))
    throw usage_error(fmt::format(
        "--dir '{}': exists and is not an empty directory; expected a new directory (each "
        "protocol writes its own files)",
        terminal_text(plan.dir)));
  install_interrupt_handlers();
  log(fmt::format("ab: {} rounds of base and new, alternating AB/BA; files in {}", plan.rounds,
                  plan.dir));
  ab_outcome outcome;
  try {
    outcome = run_ab(plan, &interrupt_flag(), [&](const ab_run& r) {
      log(fmt::format("ab: round {}/{} {} done in {:.1f} s (exit {})", r.round, plan.rounds, r.side,
                      r.wall_s, r.exit_status));
    });
  } catch (const std::runtime_error& e) {
    throw usage_error(fmt::format("ab: {}", e.what()));
  }
  const auto& runs = outcome.runs;
  // The comparison of the rounds both sides finished; an interrupted or failed protocol still
  // leaves ab.json with those and with every run, the one that stopped it included.
  std::vector<json> base, neu;
  std::vector<std::string> base_paths, new_paths;
  const auto rounds = finished_rounds(runs);
  for (const auto& [b, n] : rounds) {
    base.push_back(reports::load_result_file(runs[b].result_file));
    base_paths.push_back(runs[b].result_file);
    neu.push_back(reports::load_result_file(runs[n].result_file));
    new_paths.push_back(runs[n].result_file);
  }
  json c = rounds.empty()
               ? json::object()
               : reports::compare_groups(base, base_paths, neu, new_paths, true, cli.opt);
  c["protocol"] = {{"rounds", plan.rounds},
                   {"rounds_finished", rounds.size()},
                   {"status", outcome.stopped.empty() ? "complete"
                              : outcome.interrupted   ? "interrupted"
                                                      : "failed"},
                   {"order", "AB in odd rounds, BA in even rounds"},
                   {"base_command", plan.base_command},
                   {"new_command", plan.new_command},
                   {"run_args", plan.run_args},
                   {"dir", plan.dir}};
  if (!outcome.stopped.empty()) c["protocol"]["stopped"] = utf8_text(outcome.stopped);
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
  write_json_file((std::filesystem::path(plan.dir) / "ab.json").string(),
                  json{{"comparisons", {c}}});
  if (outcome.interrupted) {
    log(fmt::format("ab: interrupted after {} finished round(s); they are in {}", rounds.size(),
                    terminal_text((std::filesystem::path(plan.dir) / "ab.json").string())));
    return interrupted() ? interrupted_status() : 130;
  }
  if (!outcome.stopped.empty())
    throw usage_error(fmt::format("ab: {}; the {} finished round(s) are in {}", outcome.stopped,
                                  rounds.size(),
                                  (std::filesystem::path(plan.dir) / "ab.json").string()));
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
  if (cli.format != "html" && cli.format != "markdown")
    throw usage_error(fmt::format("--format '{}': expected html or markdown", cli.format));
  if (cli.out.empty())
    throw usage_error(
        "report: expected -o FILE (report.html, or report.md with --format markdown)");
  check_output_path(cli.out, "--out", cli.files);
  std::vector<json> docs;
  for (const auto& f : cli.files) docs.push_back(reports::load_result_file(f));
  reports::report_options opt;
  opt.format = cli.format == "markdown" ? "md" : cli.format;
  opt.plot_script = (data_dir() / "reports" / "plot.py").string();
  const std::string text = reports::render_report(docs, cli.files, opt);
  if (cli.out == "-") {
    std::cout << text;
  } else {
    write_file_atomically(cli.out, text);
    fmt::print("report: {}\n", terminal_text(cli.out));
  }
  return 0;
}

// ----------------------------------------------------------------------------------------- run
// The run itself is bench/run.hpp; here only its options. Every run setting's option is derived
// from run_setting_table(): spelling, help with default and unit, environment fallback, check.
void add_run_setting_options(CLI::App* run, setting_values& given) {
  for (const auto& s : run_setting_table()) {
    std::string names(s.option);
    if (!s.short_option.empty()) names = std::string(s.short_option) + "," + names;
    std::string help(s.help);
    if (!s.default_text.empty())
      help += fmt::format(" (default {}{})", s.default_text, s.unit == "s" ? " s" : "");
    if (!s.env.empty()) help += fmt::format("; environment {}", s.env);
    help += fmt::format("; suite key settings.{}", s.key);
    run->add_option_function<std::string>(
        names,
        [&given, &s](const std::string& v) {
          given[std::string(s.key)] = check_setting_value(s, v, s.option);
        },
        help);
  }
}

// Options whose values pass the one check of options.hpp as they are parsed: numbers (no NaN,
// infinity or empty text; every maximum enforced), unsigned 64-bit seeds, and text that must not
// be empty. A refusal is a usage_error: exit 2 with the option, the value and what was expected.

// The value type behind an option's target: T for T and for std::optional<T>.
template <class T>
struct value_type_of {
  using type = T;
};
template <class T>
struct value_type_of<std::optional<T>> {
  using type = T;
};

template <class Target>
CLI::Option* number_option(CLI::App* app, const std::string& names, Target& target,
                           const numeric_rule& rule, const std::string& help) {
  using T = typename value_type_of<Target>::type;
  return app->add_option_function<std::string>(
      names,
      [&target, &rule](const std::string& v) {
        target = static_cast<T>(parse_number(v, rule, rule.option));
      },
      help);
}
CLI::Option* seed_option(CLI::App* app, std::uint64_t& target, const std::string& help) {
  return app->add_option_function<std::string>(
      "--seed", [&target](const std::string& v) { target = parse_u64(v, "--seed"); }, help);
}
// `target` is a std::string (empty: not given) or a std::optional<std::string>.
template <class Target>
CLI::Option* text_option(CLI::App* app, const std::string& names, Target& target,
                         const std::string& expected, const std::string& help) {
  return app->add_option_function<std::string>(
      names,
      [&target, names, expected](const std::string& v) {
        if (v.empty()) {
          std::string shown = names.substr(names.rfind(',') + 1);
          if (shown.rfind("--", 0) != 0) shown = "--" + shown;
          throw usage_error(fmt::format("{} '': expected {}", shown, expected));
        }
        target = v;
      },
      help);
}

// Every status the tool returns; printed by --help and kept in the README.
constexpr const char* exit_statuses =
    "Exit status:\n"
    "  0    success\n"
    "  1    run: a problem failed or exceeded --timeout; accept: the node failed; compare,\n"
    "       ab: something regressed; validate: a file is invalid\n"
    "  2    bad input: an option, a path or a file's content; one message names the value and\n"
    "       what was expected, and nothing is written\n"
    "  3    the system refused: a file could not be written or read (full disk, quota, I/O\n"
    "       error) or a library call failed; the previous output file is left intact\n"
    "  4    internal error: a bug in mlhpc (the message says where); please report it\n"
    "  130  interrupted by SIGINT, 143 by SIGTERM: the result file holds what finished\n";

}  // namespace

namespace mlhpc {

namespace {

// 'mlhpc compare': its options, filled into `cc`.
CLI::App* add_compare(CLI::App& app, compare_cli& cc) {
  auto* cmp = app.add_subcommand(
      "compare",
      "Compare result files: BASE NEW [NEW...]; exit 1 when something regressed, 2 for bad input");
  cmp->add_option("files", cc.files, "BASE, then one or more NEW result files");
  number_option(cmp, "--threshold", cc.opt.threshold, rules::threshold,
                "Smallest change that counts, as a fraction (default 0.05)");
  cmp->add_option("--format", cc.format, "table (default), markdown (md), junit or json")
      ->transform(CLI::Transformer({{"md", "markdown"}}));
  text_option(cmp, "-o,--out", cc.out, "a file name (or '-' for standard output)",
              "Write the report here instead of stdout");
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
  number_option(cmp, "--alpha", cc.opt.alpha, rules::alpha,
                "1 - level of the intervals (default 0.05: 95 %)");
  number_option(cmp, "--min-effect", cc.min_effect, rules::min_effect,
                "--fleet: a node stands out only this far from the median as well (default "
                "0.05)");
  seed_option(cmp, cc.opt.seed, "Seed of the bootstrap resampling (default 1)");
  number_option(cmp, "--resamples", cc.opt.resamples, rules::resamples,
                "Bootstrap resamples, 100 to 100000 (default 2000)");
  return cmp;
}

// 'mlhpc ab': its options, filled into `abc`.
CLI::App* add_ab(CLI::App& app, ab_cli& abc) {
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
  number_option(ab, "--rounds", abc.rounds, rules::rounds,
                "Rounds, each one base and one new run, 2 to 1000 (default 48)");
  text_option(ab, "--dir", abc.dir, "a directory name",
              "Directory for the runs' result files, logs and ab.json (default "
              "results/ab-<host>-<time>)");
  number_option(ab, "--threshold", abc.opt.threshold, rules::threshold,
                "Smallest change that counts, as a fraction (default 0.03)");
  number_option(ab, "--alpha", abc.opt.alpha, rules::alpha,
                "1 - level of the interval (default 0.05)");
  ab->add_option("--format", abc.format, "table (default), markdown (md), junit or json")
      ->transform(CLI::Transformer({{"md", "markdown"}}));
  text_option(ab, "-o,--out", abc.out, "a file name (or '-' for standard output)",
              "Also write the comparison here");
  seed_option(ab, abc.opt.seed, "Seed of the bootstrap resampling (default 1)");
  return ab;
}

// 'mlhpc report': its options, filled into `rp`.
CLI::App* add_report(CLI::App& app, report_cli& rp) {
  auto* rep = app.add_subcommand(
      "report", "Write one self-contained HTML (or Markdown) report of result files");
  rep->add_option("files", rp.files, "Result files")->required();
  text_option(rep, "-o,--out", rp.out, "a file name (or '-' for standard output)",
              "The report file ('-' for stdout)");
  rep->add_option("--format", rp.format,
                  "html (default), or markdown (md): Markdown with an artifact description for a "
                  "paper")
      ->transform(CLI::Transformer({{"md", "markdown"}}));
  return rep;
}

// 'mlhpc run': its options, filled into `rc` (the run settings from run_setting_table()).
CLI::App* add_run(CLI::App& app, run_request& rc) {
  auto* run = app.add_subcommand(
      "run",
      "Run workloads and write a result file; under mpirun or srun every rank runs them in "
      "lockstep and rank 0 writes the file");
  run->add_option("-w,--workload", rc.workloads,
                  "Workload to run, NAME or NAME:VARIANT (repeatable; see 'mlhpc list')");
  run->add_option("-s,--set", rc.sets,
                  "Parameter key=value (repeatable); key=a,b sweeps, several sweeps expand to "
                  "their cartesian product; shapes=LIST runs a shape list");
  text_option(run, "--suite", rc.suite, "a suite file or the name of a shipped suite",
              "Suite file, or the name of a shipped suite (quick)");
  add_run_setting_options(run, rc.settings);
  text_option(run, "-o,--out", rc.out, "a file name (or '-' for standard output)",
              "Result file (default results/<host>-<time>.json); '-' writes the JSON to "
              "stdout and nothing else")
      ->envname("MLHPC_OUT");
  text_option(run, "--ceilings", rc.ceilings, "a result file",
              "Result file whose ceilings (peak, stream) GEMM shares are computed against when "
              "this run measures none");
  text_option(run, "--filter", rc.filter, "a regular expression",
              "Run only the problems whose key matches this regular expression (RE2 syntax, "
              "searched anywhere in the key, as Google Benchmark's --benchmark_filter)");
  run->add_option("--bind", rc.bind,
                  "Thread binding: cores (OMP_PROC_BIND=close OMP_PLACES=cores) or none "
                  "(OMP_PROC_BIND=false); default: as the environment has it; recorded in "
                  "run.bind")
      ->check(CLI::IsMember({"cores", "none"}))
      ->envname("MLHPC_BIND");
  run->add_option("--format", rc.format,
                  "The end-of-run table: table (default), or csv or json on stdout (the result "
                  "file is written as always)")
      ->check(CLI::IsMember({"table", "csv", "json"}));
  run->add_flag("--dry-run", rc.dry_run,
                "Print the expanded problems and an estimate of the run time, and stop");
  run->add_flag("-q,--quiet", rc.quiet, "No progress on stderr");
  return run;
}

// 'mlhpc accept': the acceptance suite, run as 'mlhpc run' runs it, then judged.
struct accept_cli {
  std::vector<std::string> references;
  reports::acceptance_thresholds t;
  int memory_channels = 0;
  double memory_mts = 0;
};

CLI::Option* fraction_option(CLI::App* app, const char* name, double& target,
                             const std::string& help) {
  return app->add_option_function<std::string>(
      name,
      [&target, name](const std::string& v) {
        const numeric_rule rule{.option = name,
                                .max = 1,
                                .min_open = true,
                                .expected = "a fraction of the expected figure (0.9 = 90 %)"};
        target = parse_number(v, rule, name);
      },
      help);
}

CLI::App* add_accept(CLI::App& app, run_request& rc, accept_cli& ac) {
  auto* acc = app.add_subcommand(
      "accept",
      "Node acceptance: run the acceptance suite (peak, stream, gemm, conv, a ResNet-50 step, "
      "I/O; allreduce under mpirun/srun) and judge each check pass, warn or fail against the "
      "nominal figures, the measured ceilings and --reference files; exit 1 when the node "
      "fails");
  add_run_setting_options(acc, rc.settings);
  acc->add_option("--reference", ac.references,
                  "Result files to judge against (a known-good node's acceptance run); "
                  "each result is compared with the one of the same problem by median rate");
  const auto& d = ac.t;
  fraction_option(acc, "--nominal-warn", ac.t.nominal_warn,
                  fmt::format("peak / nominal peak below this warns (default {})", d.nominal_warn));
  fraction_option(acc, "--nominal-fail", ac.t.nominal_fail,
                  fmt::format("... and below this fails (default {})", d.nominal_fail));
  fraction_option(acc, "--memory-warn", ac.t.memory_warn,
                  fmt::format("stream triad / nominal memory bandwidth below this warns (default "
                              "{})",
                              d.memory_warn));
  fraction_option(acc, "--memory-fail", ac.t.memory_fail,
                  fmt::format("... and below this fails (default {})", d.memory_fail));
  fraction_option(acc, "--ceiling-warn", ac.t.ceiling_warn,
                  fmt::format("GEMM or convolution share of the measured ceiling below this warns "
                              "(default {})",
                              d.ceiling_warn));
  fraction_option(acc, "--ceiling-fail", ac.t.ceiling_fail,
                  fmt::format("... and below this fails (default {})", d.ceiling_fail));
  fraction_option(acc, "--step-ceiling-warn", ac.t.step_ceiling_warn,
                  fmt::format("ResNet-50 step share of the measured ceiling below this warns "
                              "(default {})",
                              d.step_ceiling_warn));
  fraction_option(acc, "--step-ceiling-fail", ac.t.step_ceiling_fail,
                  fmt::format("... and below this fails (default {})", d.step_ceiling_fail));
  fraction_option(
      acc, "--reference-warn", ac.t.reference_warn,
      fmt::format("median rate / the reference's below this warns (default {})", d.reference_warn));
  fraction_option(acc, "--reference-fail", ac.t.reference_fail,
                  fmt::format("... and below this fails (default {})", d.reference_fail));
  number_option(acc, "--memory-channels", ac.memory_channels, rules::memory_channels,
                "Populated memory channels of the node (datasheet); with --memory-mts gives the "
                "nominal bandwidth channels x MT/s x 8 B");
  number_option(acc, "--memory-mts", ac.memory_mts, rules::memory_mts,
                "Memory transfer rate in MT/s (DDR5-4800: 4800)");
  text_option(acc, "-o,--out", rc.out, "a file name",
              "Result file (default results/<host>-<time>.json), with the verdicts under "
              "acceptance");
  text_option(acc, "--filter", rc.filter, "a regular expression",
              "Judge only the checks whose key matches");
  acc->add_option("--bind", rc.bind, "Thread binding: cores (default) or none")
      ->check(CLI::IsMember({"cores", "none"}));
  acc->add_flag("--dry-run", rc.dry_run, "Print the checks and an estimate of the time, and stop");
  acc->add_flag("-q,--quiet", rc.quiet, "No progress on stderr");
  return acc;
}

// Reads the references (bad input before anything runs) and sets the run up to judge itself.
void prepare_accept(run_request& rc, accept_cli& ac) {
  rc.suite = "accept";
  if (rc.bind.empty()) rc.bind = "cores";
  const auto& t = ac.t;
  for (const auto& [w, f, name] :
       {std::tuple{t.nominal_warn, t.nominal_fail, "nominal"},
        std::tuple{t.memory_warn, t.memory_fail, "memory"},
        std::tuple{t.ceiling_warn, t.ceiling_fail, "ceiling"},
        std::tuple{t.step_ceiling_warn, t.step_ceiling_fail, "step-ceiling"},
        std::tuple{t.reference_warn, t.reference_fail, "reference"}})
    if (f > w)
      throw usage_error(fmt::format(
          "--{}-fail {} is above --{}-warn {}: expected the fail threshold at or below the warn "
          "one",
          name, f, name, w));
  if ((ac.memory_channels > 0) != (ac.memory_mts > 0))
    throw usage_error("--memory-channels and --memory-mts: expected both (or neither)");
  ac.t.memory_bytes_per_s = ac.memory_channels * ac.memory_mts * 1e6 * 8;
  auto refs = std::make_shared<std::vector<std::pair<std::string, json>>>();
  for (const auto& f : ac.references) refs->emplace_back(f, reports::load_result_file(f));
  rc.inputs.insert(rc.inputs.end(), ac.references.begin(), ac.references.end());
  rc.finalize = [refs, t = ac.t](json& doc) {
    doc["acceptance"] = reports::judge_node(doc, *refs, t);
    return std::pair{reports::format_acceptance(doc["acceptance"]),
                     reports::acceptance_status(doc["acceptance"])};
  };
}

// The exit status of what ended a command: 2 for bad input, 3 for a failing system or library
// (fmt's std::system_error: a full or closed standard output), 4 for a bug.
int exit_status_of(const std::exception& e) {
  if (dynamic_cast<const usage_error*>(&e) != nullptr) return 2;
  if (dynamic_cast<const runtime_failure*>(&e) != nullptr ||
      dynamic_cast<const std::system_error*>(&e) != nullptr)
    return 3;
  return 4;
}

// Prints what ended a command (bad input with the subcommand's help named) and returns its exit
// status.
int report_failure(const std::exception& e, const std::string& subcommand) {
  if (dynamic_cast<const usage_error*>(&e) != nullptr) {
    fmt::print(stderr, "mlhpc: error: {}\n(see 'mlhpc {}--help')\n", terminal_text(e.what()),
               subcommand.empty() ? std::string() : subcommand + " ");
    return exit_status_of(e);
  }
  if (dynamic_cast<const runtime_failure*>(&e) != nullptr) {
    fmt::print(stderr, "mlhpc: error: {}\n", terminal_text(e.what()));
    return exit_status_of(e);
  }
  if (dynamic_cast<const std::system_error*>(&e) != nullptr) {
    // fmt::print to a full or closed standard output (std::system_error from fmt).
    fmt::print(stderr, "mlhpc: error: cannot write to standard output: {}\n",
               terminal_text(e.what()));
    return exit_status_of(e);
  }
  fmt::print(stderr,
             "mlhpc: internal error (a bug; please report it with this message and the "
             "command): {}\n",
             terminal_text(e.what()));
  return exit_status_of(e);
}

// 'mlhpc run' on the communicator this process has: MPI when this build has it and a launcher
// started the process, this process alone otherwise.
int run_command(const registry& reg, run_request& rc, const std::vector<std::string>& args,
                int& argc, char**& argv) {
  int status = 0;
  rc.command_line = args;
  // The communicator: MPI when this build has it and a launcher started the process.
#ifdef MLHPC_HAVE_MPI
  if (mpi::launched()) {
    mpi::session mpi_session(argc, argv, planned_timeout(rc) > 0);
    const auto comm = mpi::world(mpi_session);
    rc.launcher = mpi::launcher_command(comm->size());
    try {
      status = run_benchmarks(reg, rc, *comm);
    } catch (const std::exception& e) {
      // Every rank has the same error (run_benchmarks agrees on it); rank 0 says it, and says
      // it before MPI_Finalize: the other ranks leave Finalize only after rank 0 enters it, and
      // a rank that exits non-zero makes mpirun end the job, which lost rank 0's message when it
      // was printed after the session's destructor had finalized (1 run in 5 under load).
      if (comm->rank() != 0) return exit_status_of(e);
      return report_failure(e, args.size() > 1 ? args[1] : std::string());
    }
  } else
#endif
  {
    local_communicator comm;
    status = run_benchmarks(reg, rc, comm);
  }
  return status;
}

// --version: the release, the commit and the libraries, as a result file's context has them.
std::string version_text() {
  json libs;
  try {
    registry reg;
    register_all(reg);
    libs = library_context(reg.all());
  } catch (const std::exception& e) {
    libs = {{"libraries", {{"unavailable", e.what()}}}};
  }
  return fmt::format("mlhpc {}\n{}\nlibraries: {}", MLHPC_VERSION, tool_line(build_context()),
                     libraries_line(libs));
}

// Where a parse error points: the subcommand's own help, and the nearest option or subcommand
// when the error names one that does not exist.
std::pair<std::string, std::string> parse_error_hint(CLI::App& app,
                                                     const std::vector<std::string>& args) {
  CLI::App* sub = nullptr;
  for (auto* s : app.get_subcommands([](const CLI::App*) { return true; }))
    if (args.size() > 1 && s->get_name() == args[1]) sub = s;
  std::string hint;
  if (sub == nullptr) {
    std::vector<std::string> names;
    for (auto* s : app.get_subcommands([](const CLI::App*) { return true; }))
      names.push_back(s->get_name());
    if (args.size() > 1 && args[1].rfind('-', 0) != 0) hint = did_you_mean(args[1], names);
    return {hint, "(see 'mlhpc --help')"};
  }
  std::vector<std::string> options;
  for (const auto* o : sub->get_options())
    for (const auto& n : o->get_lnames()) options.push_back("--" + n);
  for (std::size_t i = 2; i < args.size() && hint.empty(); ++i) {
    if (args[i].rfind("--", 0) != 0) continue;
    const std::string name = args[i].substr(0, args[i].find('='));
    if (std::find(options.begin(), options.end(), name) == options.end())
      hint = did_you_mean(name, options);
  }
  return {hint, fmt::format("(see 'mlhpc {} --help')", sub->get_name())};
}

// --bind: the environment OpenMP reads when it starts. libgomp reads OMP_PROC_BIND and
// OMP_PLACES once, when it is loaded, so the process executes itself again with them set
// (MPI is not started yet; the pid stays, so a launcher does not notice).
void apply_bind(const std::string& mode, char** argv) {
  if (mode.empty()) return;
  const std::string bind = mode == "cores" ? "close" : "false";
  const char* places = mode == "cores" ? "cores" : nullptr;
  const char* have_bind = std::getenv("OMP_PROC_BIND");
  const char* have_places = std::getenv("OMP_PLACES");
  const bool same =
      have_bind != nullptr && bind == have_bind &&
      (places == nullptr ? have_places == nullptr
                         : have_places != nullptr && std::string(places) == have_places);
  if (same) return;
  if (std::getenv("MLHPC_BIND_EXECUTED") != nullptr)
    throw runtime_failure(fmt::format(
        "--bind {}: OMP_PROC_BIND/OMP_PLACES did not take effect after re-executing", mode));
  ::setenv("OMP_PROC_BIND", bind.c_str(), 1);
  if (places != nullptr)
    ::setenv("OMP_PLACES", places, 1);
  else
    ::unsetenv("OMP_PLACES");
  ::setenv("MLHPC_BIND_EXECUTED", "1", 1);
  ::execv("/proc/self/exe", argv);
  throw runtime_failure(fmt::format("--bind {}: cannot execute /proc/self/exe again: {}", mode,
                                    std::strerror(errno)));
}

// 'mlhpc list --json': every workload, variant and parameter, and whether it can run here.
int cmd_list_json(const registry& reg) {
  json out = {{"workloads", json::array()}};
  for (const workload* w : reg.all()) {
    json jw = {{"name", w->name()}, {"description", w->description()}, {"variants", json::array()}};
    for (const auto& v : w->variants()) {
      const auto defaults = expand(w->parameters(v.name), {}, w->name()).front();
      local_communicator alone;
      auto sup = w->supported(v.name, defaults);
      if (sup.ok) sup = w->supported_with(v.name, alone);
      json params = json::array();
      for (const auto& p : w->parameters(v.name)) {
        json jp = {{"name", p.name},
                   {"type", to_string(p.type)},
                   {"default", p.default_value},
                   {"help", p.help}};
        if (!p.choices.empty()) jp["choices"] = p.choices;
        if (!p.special.empty()) jp["special"] = p.special;
        if (p.type == param_type::integer) {
          jp["min"] = p.min_value;
          if (p.max_value != INT64_MAX) jp["max"] = p.max_value;
        }
        params.push_back(jp);
      }
      json jv = {{"name", v.name},
                 {"description", v.description},
                 {"can_run_here", sup.ok},
                 {"parameters", params}};
      if (!sup.ok) jv["reason"] = sup.reason;
      jw["variants"].push_back(jv);
    }
    out["workloads"].push_back(jw);
  }
  std::error_code ec;
  json suites = json::array();
  for (const auto& e : std::filesystem::directory_iterator(data_dir() / "suites", ec))
    if (e.path().extension() == ".yaml") suites.push_back(e.path().stem().string());
  out["suites"] = suites;
  std::cout << json_text(out) << '\n';
  return 0;
}

}  // namespace

int command_line_main(int argc, char** argv, const std::function<void(registry&)>& extra) {
  const std::vector<std::string> args(argv, argv + argc);
  CLI::App app{"mlhpc: benchmarks for the machines that train ML models"};
  app.require_subcommand(1);
  app.set_version_flag(
      "--version", [] { return version_text(); },
      "The version, the commit it was built from, the compiler and the libraries");
  app.footer(exit_statuses);

  auto* list = app.add_subcommand(
      "list", "List every workload, variant and parameter, and whether it can run here");
  bool list_counters = false;
  list->add_flag("--counters", list_counters,
                 "List the counters and energy sources this machine offers, and why not the "
                 "others");
  std::string list_format = "text";
  list->add_option("--format", list_format, "text (default) or json")
      ->check(CLI::IsMember({"text", "json"}));
  list->add_flag_callback(
      "--json", [&list_format] { list_format = "json"; }, "Short for --format json");
  auto* sysinfo = app.add_subcommand(
      "sysinfo", "Print the system context: readable fields, or the JSON a result file holds");
  std::string sysinfo_format = "text";
  sysinfo->add_option("--format", sysinfo_format, "text (default) or json")
      ->check(CLI::IsMember({"text", "json"}));
  sysinfo->add_flag_callback(
      "--json", [&sysinfo_format] { sysinfo_format = "json"; }, "Short for --format json");
  std::vector<std::string> validate_paths;
  auto* validate = app.add_subcommand("validate", "Check a result file against the schema");
  validate->add_option("files", validate_paths, "Result files")->required();

  compare_cli cc;
  auto* cmp = add_compare(app, cc);
  ab_cli abc;
  auto* ab = add_ab(app, abc);
  report_cli rp;
  auto* rep = add_report(app, rp);
  run_request rc;
  auto* run = add_run(app, rc);
  run_request arc;
  accept_cli ac;
  auto* acc = add_accept(app, arc, ac);

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    const auto [hint, help] = parse_error_hint(app, args);
    fmt::print(stderr, "mlhpc: error: {}{}\n{}\n", terminal_text(e.what()), terminal_text(hint),
               help);
    return 2;
  } catch (const usage_error& e) {
    fmt::print(stderr, "mlhpc: error: {}\n", terminal_text(e.what()));
    return 2;
  }

  int status = 0;
  try {
    registry reg;
    register_all(reg);
    if (extra) extra(reg);
    if (*list) status = list_format == "json" ? cmd_list_json(reg) : cmd_list(reg, list_counters);
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
      if (sysinfo_format == "json")
        std::cout << json_text(j) << '\n';
      else
        std::cout << terminal_lines(wrap_lines(format_context_text(j), 118));
    }
    if (*validate) {
      // Every file is checked; the status is the worst.
      for (const auto& p : validate_paths) status = std::max(status, cmd_validate(p));
    }
    if (*cmp) status = cmd_compare(cc);
    if (*ab) status = cmd_ab(abc);
    if (*rep) status = cmd_report(rp);
    if (*run) {
      if (rc.out == "-" && rc.format != "table")
        throw usage_error(fmt::format(
            "--format {} with --out -: both would go to standard output; expected --out FILE",
            rc.format));
      apply_bind(rc.bind, argv);
      status = run_command(reg, rc, args, argc, argv);
    }
    if (*acc) {
      prepare_accept(arc, ac);
      apply_bind(arc.bind, argv);
      status = run_command(reg, arc, args, argc, argv);
    }
  } catch (const std::exception& e) {
    const auto parsed = app.get_subcommands();
    return report_failure(e, parsed.empty() ? std::string() : parsed.front()->get_name());
  }
  // Output to a full disk or a closed pipe must not end in "success".
  std::cout.flush();
  if (!std::cout || std::fflush(stdout) != 0 || std::ferror(stdout) != 0) {
    fmt::print(stderr, "mlhpc: error: cannot write to standard output\n");
    return 3;
  }
  return status;
}

}  // namespace mlhpc
