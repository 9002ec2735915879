#include "bench/run.hpp"

#include <fmt/chrono.h>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <re2/re2.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <iostream>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <thread>

#include "bench/context.hpp"
#include "bench/counters.hpp"
#include "bench/error.hpp"
#include "bench/estimate.hpp"
#include "bench/files.hpp"
#include "bench/nominal_peak.hpp"
#include "bench/plan.hpp"
#include "bench/result_file.hpp"
#include "bench/session.hpp"
#include "bench/suite.hpp"
#include "bench/table.hpp"
#include "bench/text.hpp"
#include "bench/watchdog.hpp"
#include "profilers/profilers.hpp"
#include "reports/network_summary.hpp"

namespace mlhpc {

using nlohmann::json;

namespace {

void log(const std::string& msg) {
  std::cerr << "mlhpc: " << msg << '\n';
}

std::string default_out_path() {
  const auto t = std::time(nullptr);
  return fmt::format("results/{}-{:%Y%m%dT%H%M%S}.json", file_name_part(host_name()),
                     fmt::gmtime(t));
}

// The communicator the run uses, watched: whether this rank is waiting in a collective is what
// a timeout reports (a rank that is not waiting is the one the others wait for). One relaxed
// store before and after each call; no cost a sample could see.
class watched_communicator final : public communicator {
 public:
  explicit watched_communicator(communicator& inner) : m_inner(inner) {}
  int rank() const override { return m_inner.rank(); }
  int size() const override { return m_inner.size(); }
  void barrier() override {
    const waiting w(m_waiting);
    m_inner.barrier();
  }
  bool any(bool local) override {
    const waiting w(m_waiting);
    return m_inner.any(local);
  }
  long long max(long long local) override {
    const waiting w(m_waiting);
    return m_inner.max(local);
  }
  std::vector<std::string> allgather(const std::string& local) override {
    const waiting w(m_waiting);
    return m_inner.allgather(local);
  }
  std::string kind() const override { return m_inner.kind(); }
  json describe() const override { return m_inner.describe(); }
  [[noreturn]] void abort(int status) override {
    m_inner.abort(status);
    std::_Exit(status);  // not reached: the inner abort does not return
  }
  void post_status(const std::string& line) override { m_inner.post_status(line); }
  std::vector<std::pair<int, std::string>> collect_statuses(double wait_s) override {
    return m_inner.collect_statuses(wait_s);
  }
  bool in_collective() const { return m_waiting.load(std::memory_order_relaxed); }
  // A problem's own collectives go to the inner communicator directly.
  communicator& base() override { return m_inner.base(); }
  const communicator& base() const override {
    return static_cast<const communicator&>(m_inner).base();
  }

 private:
  struct waiting {
    explicit waiting(std::atomic<bool>& f) : flag(f) {
      flag.store(true, std::memory_order_relaxed);
    }
    ~waiting() { flag.store(false, std::memory_order_relaxed); }
    std::atomic<bool>& flag;
  };
  communicator& m_inner;
  std::atomic<bool> m_waiting{false};
};

// What to run: the suite's entries first, then --workload entries, each with every --set that
// one of its variants declares (so that one command line can mix workloads); a key no entry
// declares is an error (shapes= goes to every entry; network=NAME to the workloads that know it).
struct run_inputs {
  std::vector<plan_entry> entries;
  std::optional<suite> st;
  std::vector<std::pair<const workload*, std::string>> networks;
};

run_inputs read_inputs(const registry& reg, const run_request& req) {
  run_inputs in;
  if (!req.suite.empty()) {
    in.st = load_suite(req.suite);
    in.entries = in.st->entries;
  }
  std::vector<setting> sets;
  for (const auto& s : req.sets) sets.push_back(parse_setting(s));
  if (!sets.empty() && req.workloads.empty())
    throw usage_error("--set given without --workload: settings apply to the --workload entries");
  std::vector<bool> set_used(sets.size(), false);
  for (const auto& w : req.workloads) {
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
                fmt::format("--set network={}: unknown network for {} (expected one of: {})", n,
                            ref.w->name(), fmt::join(known, ", ")));
          }
          shapes.values.push_back(it->second);
          in.networks.push_back({ref.w, n});
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
    in.entries.push_back({w, mine, "command line"});
  }
  for (std::size_t i = 0; i < sets.size(); ++i)
    if (!set_used[i]) {
      std::vector<std::string> known;
      for (const auto& w : req.workloads) {
        const auto ref = resolve(reg, w);
        for (const auto& p : ref.w->parameters(ref.variants.front()))
          if (std::find(known.begin(), known.end(), p.name) == known.end()) known.push_back(p.name);
      }
      throw usage_error(fmt::format(
          "unknown parameter '{}' in --set {}={}{} (the workloads given take: {}; see 'mlhpc "
          "list')",
          sets[i].key, sets[i].key, fmt::join(sets[i].values, ","),
          did_you_mean(sets[i].key, known), fmt::join(known, ", ")));
    }
  if (in.entries.empty())
    throw usage_error("nothing to run: expected --workload NAME[:VARIANT] or --suite FILE");
  return in;
}

// Every rank prepares the same run; an error any rank meets (bad input, an output path only
// rank 0 checks) is thrown on every rank, so that no rank waits for one that gave up.
template <class F>
void on_every_rank(communicator& comm, const F& prepare) {
  std::string local;
  char kind = 'u';
  try {
    prepare();
  } catch (const usage_error& e) {
    local = e.what();
  } catch (const runtime_failure& e) {
    local = e.what();
    kind = 'r';
  }
  const auto e = first_error(comm, local.empty() ? std::string() : std::string(1, kind) + local);
  if (!e) return;
  std::string msg = e.message.substr(1);
  if (comm.size() > 1 && e.rank != 0) msg = fmt::format("rank {}: {}", e.rank, msg);
  if (e.message[0] == 'r') throw runtime_failure(msg);
  throw usage_error(msg);
}

// Each rank's host, pid and the CPUs it may run on (read from its affinity mask, not assumed);
// ranks per host. Collective.
json ranks_context(communicator& comm) {
  const auto cpus = allowed_cpus();
  const json mine = {{"host", utf8_text(host_name())},
                     {"pid", static_cast<long long>(::getpid())},
                     {"cpus", cpus}};
  json ranks = json::array();
  std::map<std::string, int> per_host;
  int r = 0;
  for (const auto& text : comm.allgather(mine.dump())) {
    json j = json::parse(text);
    j["rank"] = r++;
    ++per_host[j["host"].get<std::string>()];
    ranks.push_back(j);
  }
  json hosts = json::array();
  for (const auto& [h, n] : per_host) hosts.push_back({{"host", h}, {"ranks", n}});
  json out = comm.describe();
  out["hosts"] = hosts;
  out["ranks"] = ranks;
  // Two ranks of one host that may run on the same CPU time each other's work.
  if (per_host.size() < static_cast<std::size_t>(comm.size())) {
    std::set<std::pair<std::string, int>> used;
    bool overlap = false;
    for (const auto& rk : ranks)
      for (int c : rk["cpus"]) overlap = !used.insert({rk["host"], c}).second || overlap;
    out["cpu_sets_overlap"] = overlap;
  }
  return out;
}

}  // namespace

// --filter REGEX, searched anywhere in the key (as Google Benchmark's --benchmark_filter), in
// RE2's syntax (Perl-like, without back-references or look-around). RE2 compiles to an automaton
// and matches in time linear in the key, without recursion or backtracking, so no pattern can
// overflow the stack or run away (std::regex recursed once per character and crashed on long
// keys and nested groups). A pattern longer than max_filter_chars, nested deeper than RE2's
// parser allows, or needing more than RE2's memory budget is a usage error. Nothing matched is
// bad input too.
std::vector<planned_problem> filter_plan(std::vector<planned_problem> plan,
                                         const std::string& filter) {
  constexpr std::size_t max_filter_chars = 4096;
  if (filter.size() > max_filter_chars)
    throw usage_error(fmt::format(
        "--filter: the pattern has {} characters, more than the limit of {}; expected a shorter "
        "regular expression",
        filter.size(), max_filter_chars));
  RE2::Options options;
  options.set_log_errors(false);
  options.set_max_mem(std::int64_t{8} << 20);
  const RE2 re(filter, options);
  if (!re.ok())
    throw usage_error(fmt::format("--filter '{}': not a regular expression RE2 accepts ({})",
                                  terminal_text(filter), re.error()));
  std::vector<planned_problem> kept;
  for (auto& p : plan)
    if (RE2::PartialMatch(p.label(), re)) kept.push_back(std::move(p));
  if (kept.empty())
    throw usage_error(fmt::format(
        "--filter '{}': matches none of the {} planned problems (the first is '{}'; see "
        "--dry-run without --filter)",
        terminal_text(filter), plan.size(), plan.empty() ? std::string() : plan.front().label()));
  return kept;
}

double planned_timeout(const run_request& req) {
  try {
    setting_values suite_settings;
    if (!req.suite.empty()) suite_settings = load_suite(req.suite).settings;
    return resolve_settings(req.settings, suite_settings, 1).config.timeout_s;
  } catch (const std::exception&) {
    return 0;
  }
}

namespace {

// Everything a run reads before it starts, the same on every rank.
struct prepared_run {
  run_inputs in;
  resolved_settings rs;
  std::vector<planned_problem> plan;
  json external_ceilings = json::object();
  std::vector<std::string> counter_events;
  std::string out;
};

// Before measuring, the ranks agree on the plan: each rank's fingerprint (its problems and the
// settings it was given) is compared through a short digest, and only when the digests differ
// are the fingerprints gathered to name the first rank and problem that differ. A difference is
// bad input on every rank (exit 2): ranks that planned different problems would otherwise hang
// in a barrier or measure different things under one result file.
void agree_on_plan(communicator& comm, const std::vector<planned_problem>& plan,
                   const run_request& req) {
  if (comm.size() < 2) return;
  json given = req.settings;
  given["--filter"] = req.filter;
  given["--suite"] = req.suite;
  const std::string mine = plan_fingerprint(plan, given.dump());
  const auto digests = comm.allgather(std::to_string(std::hash<std::string>{}(mine)));
  if (std::all_of(digests.begin(), digests.end(), [&](const auto& d) { return d == digests[0]; }))
    return;
  const std::string why = plan_disagreement(comm.allgather(mine));
  throw usage_error(why.empty() ? std::string("the ranks disagree on what to run") : why);
}

prepared_run prepare(const registry& reg, const run_request& req, communicator& comm) {
  prepared_run p;
  on_every_rank(comm, [&] {
    p.in = read_inputs(reg, req);
    const auto cpus = allowed_cpus();
    p.rs = resolve_settings(req.settings, p.in.st ? p.in.st->settings : setting_values{},
                            static_cast<int>(std::max<std::size_t>(1, cpus.size())));
    p.counter_events = profilers::expand_counters(p.rs.config.counters);
    p.plan = make_plan(reg, p.in.entries, available_memory_bytes());
    if (!req.filter.empty()) p.plan = filter_plan(std::move(p.plan), req.filter);
    // Every input is read before anything runs, --dry-run included.
    if (!req.ceilings.empty()) p.external_ceilings = load_ceilings_file(req.ceilings);
    p.out = req.out.empty() ? default_out_path() : req.out;
    if (p.rs.config.dir.empty()) {
      // Next to the result file; in the working directory when the JSON goes to stdout.
      const auto parent =
          p.out == "-" ? std::filesystem::path() : std::filesystem::path(p.out).parent_path();
      p.rs.config.dir =
          ((parent.empty() ? std::filesystem::path(".") : parent) / "scratch").string();
    }
    if (!req.dry_run && comm.rank() == 0) {
      std::vector<std::string> inputs = req.inputs;
      if (p.in.st) inputs.push_back(p.in.st->path);
      if (!req.ceilings.empty()) inputs.push_back(req.ceilings);
      check_output_path(p.out, "--out", inputs);
    }
  });
  agree_on_plan(comm, p.plan, req);
  return p;
}

// A run in progress. The document lives on rank 0; every change and every save holds
// `doc_mutex`, which the watchdog shares; a problem runs without it.
struct run_state {
  run_state(const run_request& r, watched_communicator& c, prepared_run p)
      : req(r), comm(c), root(c.rank() == 0), prep(std::move(p)), to_stdout(prep.out == "-") {}
  const run_request& req;
  watched_communicator& comm;
  const bool root;
  prepared_run prep;
  const bool to_stdout;
  std::vector<std::unique_ptr<collector>> collectors;
  std::vector<const collector*> all_collectors;
  counter_setup counters;
  session_options opt;
  json doc;
  json system;
  std::optional<double> max_hz;  // the highest core clock measured in this run
  std::mutex doc_mutex;
  std::string in_progress;  // the label of the problem running (under doc_mutex)
  // What this rank is doing, for a timeout's report.
  std::atomic<const char*> phase{"starting"};
  std::atomic<long long> samples{0};

  const run_config& config() const { return prep.rs.config; }
  // Recomputes what derives from the results and writes the file (rank 0; doc_mutex held).
  void save_locked() {
    if (!root) return;
    apply_ceilings(doc, prep.external_ceilings);
    if (!prep.in.networks.empty()) {
      doc["summaries"] = json::array();
      for (const auto& [w, n] : prep.in.networks)
        if (auto sm = network_summary(n, w->networks().at(n), doc["results"]); !sm.is_null())
          doc["summaries"].push_back(std::move(sm));
    }
    doc["context"]["collectors"] = collectors_context(all_collectors, counters.failed);
    if (!to_stdout) write_json_file(prep.out, doc);
  }
  // The document as it stands, to the file or (--out -) to stdout, from the watchdog's thread.
  void write_now() {
    if (to_stdout) {
      const std::string text = json_text(doc) + "\n";
      (void)!::write(STDOUT_FILENO, text.data(), text.size());
    } else {
      write_json_file(prep.out, doc);
    }
  }
  std::string state_line(const std::string& label) const {
    return fmt::format("rank {} ({}, pid {}): {} {}, {} samples taken; {}", comm.rank(),
                       utf8_text(host_name()), static_cast<long long>(::getpid()), phase.load(),
                       label, samples.load(),
                       comm.in_collective() ? "waiting for the other ranks in a collective"
                                            : "working (not waiting for other ranks)");
  }
};

// Collectors (probed once, before the first problem: what they cannot measure is said in the
// context and in every result) and the session's options.
void start_collectors(run_state& st) {
  const run_config& cfg = st.config();
  st.collectors = profilers::make_collectors(st.prep.counter_events);
  st.counters.spec = cfg.counters;
  st.counters.separate_pass = cfg.counter_pass == "separate";
  st.counters.log = [](const std::string& m) { log(m); };
  for (const auto& c : st.collectors) {
    st.counters.collectors.push_back(c.get());
    st.all_collectors.push_back(c.get());
  }
  st.opt.config = cfg;
  st.opt.counters = &st.counters;
  st.opt.launcher = st.req.launcher;
  const json affinity = affinity_context(cfg.threads);
  st.opt.threads_pinned = affinity.value("pinned", false);
  st.opt.allowed_cpus = static_cast<int>(allowed_cpus().size());
}

// --bind as the run had it: the mode asked for and the OpenMP binding the environment gave.
json bind_context(const std::string& mode) {
  json j = {{"mode", mode.empty() ? "environment" : mode}};
  for (const char* v : {"OMP_PROC_BIND", "OMP_PLACES"})
    if (const char* e = std::getenv(v)) j[v] = utf8_text(e);
  return j;
}

// The document's run and context before the first problem (collective: the ranks' context).
void start_document(run_state& st) {
  const run_config& cfg = st.config();
  const json ranks = ranks_context(st.comm);
  for (const auto& rk : ranks["ranks"]) st.opt.rank_hosts.push_back(rk["host"]);
  if (!st.root) return;
  std::vector<const workload*> used;
  for (const auto& p : st.prep.plan)
    if (std::find(used.begin(), used.end(), p.w) == used.end()) used.push_back(p.w);
  json& doc = st.doc;
  doc["schema_version"] = schema_version;
  std::vector<std::string> command_line;
  for (const auto& a : st.req.command_line) command_line.push_back(utf8_text(a));
  doc["run"] = {{"status", "partial"},
                {"command_line", command_line},
                {"started_at", utc_now()},
                {"problems_planned", st.prep.plan.size()},
                {"seed", cfg.seed},
                {"threads", cfg.threads},
                {"ranks", st.comm.size()},
                {"settings", settings_json(cfg)},
                {"settings_sources", st.prep.rs.sources},
                {"input_fill",
                 "inputs are pseudo-random: each element is splitmix64(seed, stream, index) "
                 "mapped to the type's range; the seed is --seed"}};
  if (!st.req.launcher.empty()) doc["run"]["launcher"] = st.req.launcher;
  doc["run"]["counters"] = {
      {"spec", cfg.counters}, {"events", st.prep.counter_events}, {"pass", cfg.counter_pass}};
  if (const auto& s = st.prep.in.st)
    doc["run"]["suite"] = {{"name", utf8_text(s->name)}, {"file", utf8_text(s->path)}};
  if (!st.req.ceilings.empty()) doc["run"]["ceilings_file"] = utf8_text(st.req.ceilings);
  if (!st.req.filter.empty()) doc["run"]["filter"] = utf8_text(st.req.filter);
  doc["run"]["bind"] = bind_context(st.req.bind);
  st.system = system_context();
  st.max_hz = measure_core_hz();
  doc["context"] = {{"tool", build_context()},
                    {"system", st.system},
                    {"nominal_peak", nominal_peak_context(st.system, cfg.threads, st.max_hz)},
                    {"libraries", library_context(used)},
                    {"affinity", affinity_context(cfg.threads)},
                    {"environment", environment_context()},
                    {"collectors", collectors_context(st.all_collectors, st.counters.failed)},
                    {"communicator", ranks}};
  doc["ceilings"] = json::object();
  doc["results"] = json::array();
  st.save_locked();
}

// A problem ran past --timeout on this rank. Every rank's watchdog gets here at about the same
// time: the others post their state to rank 0, which writes the file with every state it
// received (the rank that is working, not waiting, is the one that hangs) and ends the job.
[[noreturn]] void end_on_timeout(run_state& st) {
  std::string label;
  {
    std::lock_guard lock(st.doc_mutex);
    label = st.in_progress;
  }
  const std::string mine = st.state_line(label);
  log(fmt::format("--timeout {} s exceeded: {}", st.config().timeout_s, terminal_text(mine)));
  if (!st.root) {
    st.comm.post_status(mine);
    // Rank 0 ends the job once it has the reports; if it cannot (it hangs too), this rank does.
    std::this_thread::sleep_for(std::chrono::seconds(10));
    st.comm.abort(1);
  }
  const auto others = st.comm.collect_statuses(3.0);
  std::lock_guard lock(st.doc_mutex);
  json states = json::array();
  states.push_back({{"rank", 0}, {"state", mine}});
  std::vector<bool> reported(static_cast<std::size_t>(st.comm.size()), false);
  reported[0] = true;
  for (const auto& [r, line] : others) {
    states.push_back({{"rank", r}, {"state", utf8_text(line)}});
    if (r >= 0 && r < st.comm.size()) reported[static_cast<std::size_t>(r)] = true;
  }
  json silent = json::array();
  for (int r = 0; r < st.comm.size(); ++r)
    if (!reported[static_cast<std::size_t>(r)]) silent.push_back(r);
  json& doc = st.doc;
  doc["run"]["status"] = "partial";
  doc["run"]["ended_at"] = utc_now();
  doc["run"]["timeout"] = {{"seconds", st.config().timeout_s},
                           {"during", st.in_progress},
                           {"ranks", states},
                           {"silent_ranks", silent}};
  try {
    st.write_now();
    for (const auto& s : states)
      if (s["rank"] != 0) log(fmt::format("  {}", terminal_text(s["state"].get<std::string>())));
    if (!silent.empty())
      log(
          fmt::format("  ranks {} sent no report (dead, hung with their watchdog, or MPI without "
                      "MPI_THREAD_MULTIPLE)",
                      silent.dump()));
    log(fmt::format("the job is ended; the finished results are in {}",
                    st.to_stdout ? "the JSON on stdout" : terminal_text(st.prep.out)));
  } catch (const std::exception& e) {
    log(fmt::format("the result file could not be written: {}", terminal_text(e.what())));
  }
  st.comm.abort(1);
}

run_watchdog::actions watchdog_actions(run_state& st) {
  run_watchdog::actions a;
  a.on_signal_save = [&st] {
    if (!st.root) return;
    st.doc["run"]["status"] = "interrupted";
    st.doc["run"]["ended_at"] = utc_now();
    st.doc["run"]["interruption"] = {
        {"signal", signal_name()}, {"during", st.in_progress}, {"abandoned", true}};
    try {
      if (!st.to_stdout) write_json_file(st.prep.out, st.doc);
    } catch (const std::exception& e) {
      log(fmt::format("interrupted; the result file could not be written: {}",
                      terminal_text(e.what())));
    }
  };
  a.abandon = [&st] {
    if (!st.root) return;
    try {
      if (st.to_stdout) st.write_now();
      log(
          fmt::format("interrupted by {} during {}, which did not stop within {} s; abandoned. "
                      "The finished results are in {}",
                      signal_name(), terminal_text(st.in_progress), interrupt_grace.count(),
                      st.to_stdout ? "the JSON on stdout" : terminal_text(st.prep.out)));
    } catch (const std::exception& e) {
      log(fmt::format("interrupted; the result file could not be written: {}",
                      terminal_text(e.what())));
    }
  };
  a.on_timeout = [&st] { end_on_timeout(st); };
  return a;
}

// Where earlier result files lie: the directory of --out (the working directory for stdout).
std::filesystem::path history_dir(const std::string& out) {
  const auto parent =
      out == "-" ? std::filesystem::path() : std::filesystem::path(out).parent_path();
  return parent.empty() ? std::filesystem::path(".") : parent;
}

// Progress for a person (rank 0, unless --quiet), and the sample count every rank keeps for a
// timeout's report.
progress_observer make_observer(run_state& st, std::atomic<std::size_t>& done) {
  progress_observer obs;
  obs.on_phase = [&st](const char* p) { st.phase.store(p, std::memory_order_relaxed); };
  obs.on_sample = [&st](const planned_problem&, const measurement& m) {
    st.samples.store(static_cast<long long>(m.samples_s.size()), std::memory_order_relaxed);
  };
  if (st.req.quiet || !st.root) return obs;
  const bool tty = isatty(STDERR_FILENO) != 0;
  const std::size_t total = st.prep.plan.size();
  // The time left: each problem's estimate (its last run in the output directory, or the stop
  // rule's bound), the current one's less what it has already taken.
  auto estimates = std::make_shared<std::vector<problem_estimate>>(
      estimate_plan(st.prep.plan, st.config(), load_durations(history_dir(st.prep.out))));
  auto started = std::make_shared<std::chrono::steady_clock::time_point>();
  const auto run_start = std::chrono::steady_clock::now();
  auto left_s = [estimates, started](std::size_t i) {
    double s = 0;
    for (std::size_t k = i + 1; k < estimates->size(); ++k) s += (*estimates)[k].seconds;
    const double in_this =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - *started).count();
    return s + std::max(0.0, (*estimates)[i].seconds - in_this);
  };
  // Off a terminal (a log, a batch job): a line when a problem starts (what a hung job was
  // doing) and one when it ends, never per sample.
  obs.on_start = [started, tty](std::size_t i, std::size_t n, const planned_problem& pp) {
    *started = std::chrono::steady_clock::now();
    if (!tty) fmt::print(stderr, "[{}/{}] {}\n", i + 1, n, terminal_text(pp.short_label()));
  };
  if (tty)
    // A bar with the time left, redrawn at most ten times a second (a terminal write per 1 ms
    // sample would be wasteful), cut to 118 columns.
    obs.on_sample = [&st, &done, total, left_s, run_start,
                     last = std::chrono::steady_clock::time_point{}](const planned_problem& pp,
                                                                     const measurement& m) mutable {
      st.samples.store(static_cast<long long>(m.samples_s.size()), std::memory_order_relaxed);
      const auto now = std::chrono::steady_clock::now();
      if (now - last < std::chrono::milliseconds(100)) return;
      last = now;
      const std::size_t i = done.load();
      const int filled = static_cast<int>(20 * i / std::max<std::size_t>(1, total));
      std::string line = fmt::format(
          "[{}{}] {}/{} {} elapsed, ~{} left  {} (sample {})", std::string(filled, '#'),
          std::string(20 - filled, '.'), i + 1, total,
          format_duration(std::chrono::duration<double>(now - run_start).count()),
          format_duration(left_s(i)), terminal_text(pp.short_label()), m.samples_s.size());
      if (line.size() > 118) line = line.substr(0, 115) + "...";
      fmt::print(stderr, "\r\033[K{}", line);
    };
  obs.on_end = [tty](std::size_t i, std::size_t n, const json& r) {
    std::string what = r["status"];
    if (r.contains("statistics"))
      what += fmt::format(
          ", median {} over {} samples ({})", format_seconds(r["statistics"]["median_s"]),
          r["statistics"]["n"].get<int>(), r["measurement"]["stop_reason"].get<std::string>());
    if (r.contains("reason")) what += ": " + r["reason"].get<std::string>();
    if (tty) fmt::print(stderr, "\r\033[K");
    fmt::print(stderr, "[{}/{}] {} -> {}\n", i + 1, n,
               terminal_text(r.value("label", r["key"].get<std::string>())), terminal_text(what));
  };
  return obs;
}

// The problems in order, on every rank; true when a signal stopped the run. One decision for
// every rank before each problem: a signal on any rank stops all.
bool run_plan(run_state& st, run_watchdog& watchdog, const progress_observer& obs,
              std::atomic<std::size_t>& done) {
  const auto& plan = st.prep.plan;
  for (std::size_t i = 0; i < plan.size(); ++i) {
    if (st.comm.any(interrupted())) return true;
    {
      std::lock_guard lock(st.doc_mutex);
      st.in_progress = plan[i].label();
    }
    st.samples.store(0);
    watchdog.problem_started();
    json r = run_problem(plan[i], st.opt, st.comm, obs, i, plan.size(), &interrupt_flag());
    watchdog.problem_ended();
    // The clock again right after a ceiling, in the conditions it ran in: the nominal peak is
    // bounded by the highest clock of the run, so a ceiling whose best sample came in a quiet
    // moment is not judged against a clock measured only in busy ones (on a loaded 2-vCPU VM the
    // clock read 2.79-2.99 GHz against 3.23 GHz quiet; session.cpp gives a disturbed ceiling
    // more room for the rest).
    if (r.contains("provides_ceiling") && r["status"] == "ok")
      if (const auto hz = measure_core_hz()) st.max_hz = std::max(st.max_hz.value_or(0.0), *hz);
    const bool stopped = r["status"] == "interrupted";
    std::lock_guard lock(st.doc_mutex);
    if (st.root) {
      st.doc["results"].push_back(std::move(r));
      st.doc["run"]["problems_done"] = st.doc["results"].size();
      done.store(st.doc["results"].size());
      st.save_locked();
    }
    if (stopped) return true;
    st.in_progress.clear();
  }
  return false;
}

// Rank 0: the final document, its check against the schema, and the table.
int finish(run_state& st, bool was_interrupted) {
  json& doc = st.doc;
  std::unique_lock lock(st.doc_mutex);
  doc["run"]["ended_at"] = utc_now();
  doc["run"]["status"] = was_interrupted ? "interrupted" : "complete";
  doc["run"].erase("interruption");
  if (was_interrupted)
    doc["run"]["interruption"] = {{"signal", interrupted() ? signal_name() : "SIGINT"},
                                  {"during", st.in_progress},
                                  {"abandoned", false}};
  // A VM's boost clock moves during a run (peak once reached 100.6 % of a nominal peak from the
  // clock at the start): the clock is measured again at the end (and after each ceiling) and
  // the highest bounds.
  if (const auto end_hz = measure_core_hz(); end_hz && st.max_hz)
    doc["context"]["nominal_peak"] =
        nominal_peak_context(st.system, st.config().threads, std::max(*st.max_hz, *end_hz));
  std::string final_text;
  int final_status = 0;
  if (st.req.finalize) std::tie(final_text, final_status) = st.req.finalize(doc);
  st.save_locked();
  lock.unlock();

  const auto errors = validate_result(doc);
  for (const auto& e : errors)
    log(
        fmt::format("internal error (a bug; please report it): the result does not match the "
                    "schema at {}: {}",
                    e.where, terminal_text(e.what)));
  // Everything from the file that reaches the terminal is text only (bench/text.hpp).
  // At most 118 columns: the table fits by construction, the lines below it are wrapped.
  const std::string table = terminal_lines(
      wrap_lines(format_table(doc) + format_ranks(doc) + format_ceilings(doc) + format_trust(doc) +
                     format_summaries(doc) + "\n" + format_legend() + format_summary_line(doc),
                 118));
  int failed = 0;
  for (const auto& r : doc["results"]) failed += r["status"] == "failed";
  if (st.to_stdout) {
    std::cout << json_text(doc) << '\n';
    std::cerr << '\n' << table;
  } else if (st.req.format == "csv" || st.req.format == "json") {
    // The table as data on stdout, and nothing else there.
    std::cout << (st.req.format == "csv" ? format_table_csv(doc)
                                         : json_text(table_rows(doc)) + "\n");
    std::cerr << fmt::format("{}results: {}\n", terminal_text(format_summary_line(doc)),
                             terminal_text(st.prep.out));
  } else {
    std::cout << '\n' << table;
    std::cout << fmt::format("results: {}\n", terminal_text(st.prep.out));
  }
  // Counting errors are said on stderr as well as in the file and the table.
  for (const auto& r : doc["results"])
    for (const auto& t : r.value("trust_issues", json::array()))
      if (t["code"] == "above_ceiling" || t["code"] == "above_nominal_peak")
        log(fmt::format("warning: {}: {}", terminal_text(r["key"].get<std::string>()),
                        terminal_text(t["detail"].get<std::string>())));
  // Beside the table: on stderr when stdout holds the JSON (--out -) or the table as data.
  if (!final_text.empty())
    (st.to_stdout || st.req.format != "table" ? std::cerr : std::cout)
        << terminal_lines(wrap_lines(final_text, 118));
  if (was_interrupted) return interrupted() ? interrupted_status() : 130;
  if (!errors.empty()) return 4;
  return std::max(failed > 0 ? 1 : 0, final_status);
}

}  // namespace

int run_benchmarks(const registry& reg, const run_request& req, communicator& outer) {
  watched_communicator comm(outer);
  run_state st(req, comm, prepare(reg, req, comm));
  if (req.dry_run) {
    if (st.root) {
      for (std::size_t i = 0; i < st.prep.plan.size(); ++i)
        fmt::print("{:>4}  {}\n", i + 1, terminal_text(st.prep.plan[i].label()));
      fmt::print("{} problem(s) on {} rank(s); {}\n", st.prep.plan.size(), comm.size(),
                 terminal_text(settings_summary(st.config())));
      const auto dir = history_dir(st.prep.out);
      fmt::print("{}\n", terminal_text(describe_estimate(
                             estimate_plan(st.prep.plan, st.config(), load_durations(dir)),
                             st.config(), dir.string())));
    }
    return 0;
  }
  start_collectors(st);
  start_document(st);
  run_watchdog watchdog(st.doc_mutex, st.config().timeout_s, watchdog_actions(st));
  install_interrupt_handlers();
  std::atomic<std::size_t> done{0};
  const progress_observer obs = make_observer(st, done);
  const bool stopped = run_plan(st, watchdog, obs, done);
  // The ranks agree whether the run was interrupted: a rank that saw no signal says so too.
  const bool was_interrupted = comm.any(interrupted() || stopped);
  {
    std::lock_guard lock(st.doc_mutex);
    watchdog.run_ended();
  }
  if (!st.root) return was_interrupted ? interrupted_status() : 0;
  return finish(st, was_interrupted);
}

}  // namespace mlhpc
