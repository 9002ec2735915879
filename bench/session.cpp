#include "bench/session.hpp"

#include <fmt/chrono.h>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cmath>

#include "bench/error.hpp"
#include "bench/files.hpp"
#include "bench/rates.hpp"
#include "bench/sched.hpp"
#include "bench/stats.hpp"
#include "bench/text.hpp"

namespace mlhpc {

using nlohmann::json;

std::string utc_now() {
  const auto now = std::chrono::system_clock::now();
  const auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  return fmt::format("{:%Y-%m-%dT%H:%M:%S}.{:03d}Z",
                     fmt::gmtime(std::chrono::system_clock::to_time_t(now)), ms);
}

namespace {

json summary_json(const summary& s) {
  json j = {{"n", s.n},       {"median_s", s.median}, {"mean_s", s.mean}, {"min_s", s.min},
            {"max_s", s.max}, {"p5_s", s.p5},         {"p95_s", s.p95}};
  if (s.stddev) j["stddev_s"] = *s.stddev;
  if (s.cv) j["cv"] = *s.cv;
  if (s.ci95) {
    j["median_ci95_s"] = {{"low", s.ci95->low},
                          {"high", s.ci95->high},
                          {"coverage", s.ci95->achieved},
                          {"method", "binomial order statistics"}};
    if (const auto hw = relative_ci_halfwidth(s)) j["median_ci95_relative_halfwidth"] = *hw;
  } else {
    j["median_ci95_unavailable"] = fmt::format(
        "a distribution-free 95 % interval of the median needs at least 6 samples; "
        "{} taken",
        s.n);
  }
  return j;
}

json work_json(const work_model& w) {
  json j = json::object();
  if (w.flops) j["flops"] = *w.flops;
  if (w.bytes) j["bytes"] = *w.bytes;
  if (w.items) {
    j["items"] = *w.items;
    j["item_unit"] = w.item_unit;
  }
  if (w.bus_bytes) j["bus_bytes"] = *w.bus_bytes;
  return j;
}

// Each rate of the vocabulary (rates.hpp) whose work the result declares, with its unit, read
// from the result being built (workload, variant, parameters, work).
json rates_json(const summary& s, const json& r) {
  json j = json::object();
  if (s.median <= 0 || !r.contains("work")) return j;
  for (const auto& k : rate_kinds()) {
    if (!r["work"].contains(k.work_key)) continue;
    const double amount = r["work"][k.work_key];
    // A rate is a positive finite number or absent: no work of this kind (0 bytes), or a
    // sample the clock could not resolve (0 s), gives no rate rather than 0 or infinity.
    if (!(amount > 0) || !(s.min > 0) || !std::isfinite(amount / s.min)) continue;
    j[k.metric] = {{"median", amount / s.median}, {"best", amount / s.min}};
    j[k.metric]["unit"] = rate_unit(r, k.metric);
  }
  return j;
}

json verification_json(const verification& v) {
  json j = {{"status", to_string(v.status)}};
  if (!v.metric.empty()) j["metric"] = v.metric;
  if (v.error) j["error"] = *v.error;
  if (v.tolerance) j["tolerance"] = *v.tolerance;
  if (!v.detail.empty()) j["detail"] = v.detail;
  return j;
}

// The host of a rank, "rank 1 (node7): " before a message when there are several ranks.
std::string host_of(const session_options& opt, int rank) {
  if (rank >= 0 && rank < static_cast<int>(opt.rank_hosts.size())) return opt.rank_hosts[rank];
  return "?";
}
std::string rank_prefix(const session_options& opt, const communicator& comm, int rank) {
  if (comm.size() == 1) return "";
  return fmt::format("rank {} ({}): ", rank, host_of(opt, rank));
}

// What one rank measured: its samples and the work of one repetition in the unit the result
// is judged by (0 when it declares none). Work can differ between ranks: `peak` calibrates its
// repetition to about 20 ms on each rank, so a slow rank does less work per repetition.
struct rank_samples {
  std::vector<double> samples;
  double collective_wait_s = 0;  // its time in the timed loop's collectives
  double loop_s = 0;             // its timed loop's wall time
  json scheduler;                // sched_delta::to_json() of its measurement
  double work = 0;
  json work_json;  // the rank's whole work model (the headline rank's becomes the result's)
};

// The ranks the job waited for because the kernel did not run them. Their own samples may look
// fast (a rank under a CPU quota runs its short samples between throttling periods and is
// stopped between them, often inside the next collective, where it would have waited anyway),
// so the judgement reads the scheduler: the share of each rank's runnable time its threads
// waited for a CPU (a quota's throttling, a CPU shared with other tasks). A rank stands out when
// that share is a robust outlier above the others' and exceeds their median by `held_effect`.
// A low clock leaves this share alone and slows the samples: the median judgement catches it.
json held_the_job(const std::vector<rank_samples>& ranks, const session_options& opt) {
  json held = json::array();
  std::vector<double> shares;
  for (const auto& r : ranks) {
    if (!r.scheduler.is_object() || !r.scheduler.contains("wait_share")) return held;
    shares.push_back(r.scheduler["wait_share"].get<double>());
  }
  for (std::size_t i = 0; i < shares.size(); ++i) {
    // Against the others alone (leave one out): with 3 ranks, the one being judged would
    // otherwise set the spread it is judged by.
    std::vector<double> others;
    for (std::size_t k = 0; k < shares.size(); ++k)
      if (k != i) others.push_back(shares[k]);
    const auto [theirs, z] = robust_z_against(shares[i], others);
    const double excess = shares[i] - theirs;
    if (z > opt.outlier_z && excess >= opt.held_effect) {
      json o = {{"rank", static_cast<int>(i)},
                {"host", host_of(opt, static_cast<int>(i))},
                {"cpu_wait_share", shares[i]},
                {"others_cpu_wait_share", theirs},
                {"excess", excess}};
      if (std::isfinite(z)) o["robust_z"] = z;
      const auto& sc = ranks[i].scheduler;
      if (sc.contains("cgroup")) o["cgroup_throttled_s"] = sc["cgroup"]["throttled_s"];
      held.push_back(o);
    }
  }
  return held;
}

// The per-rank section of a multi-rank result: every rank's samples and statistics, the spread
// of the per-rank medians, the headline rank (the slowest: the job waits for it) and, for
// workloads whose ranks run independent copies, the node-acceptance judgement. Ranks are
// compared by time per unit of work when every rank declares its work, by time otherwise.
json ranks_json(const std::vector<rank_samples>& ranks, const session_options& opt, bool collective,
                int& headline) {
  const auto n = static_cast<int>(ranks.size());
  bool per_work = true;
  for (const auto& r : ranks) per_work = per_work && r.work > 0;
  json per_rank = json::array();
  std::vector<double> medians, paces;  // seconds; seconds per unit of work (or seconds)
  headline = 0;
  for (int i = 0; i < n; ++i) {
    const summary s = summarize(ranks[i].samples);
    medians.push_back(s.median);
    paces.push_back(per_work ? s.median / ranks[i].work : s.median);
    if (paces[i] > paces[headline]) headline = i;
    json pr = {{"rank", i},
               {"host", host_of(opt, i)},
               {"samples_s", ranks[i].samples},
               {"statistics", summary_json(s)}};
    if (ranks[i].work > 0) pr["work"] = ranks[i].work;
    if (ranks[i].loop_s > 0)
      pr["collectives"] = {
          {"wait_s", ranks[i].collective_wait_s},
          {"loop_s", ranks[i].loop_s},
          {"wait_share", std::clamp(ranks[i].collective_wait_s / ranks[i].loop_s, 0.0, 1.0)},
          {"how",
           "its time in the timed loop's barrier and stop decision (each sample's two "
           "collectives) over the loop's wall time"}};
    if (!ranks[i].scheduler.is_null()) pr["scheduler"] = ranks[i].scheduler;
    per_rank.push_back(pr);
  }
  std::vector<double> sorted = medians;
  std::sort(sorted.begin(), sorted.end());
  double mean = 0;
  for (double m : medians) mean += m / n;
  json j = {{"size", n},
            {"headline_rank", headline},
            {"headline",
             "the slowest rank (largest median time per unit of work): a lockstep job runs at "
             "the pace of its slowest rank; for a collective this is the max over ranks, as OSU "
             "and nccl-tests report"},
            {"across_ranks",
             {{"statistic", "per-rank medians"},
              {"min_s", sorted.front()},
              {"median_s", quantile_sorted(sorted, 0.5)},
              {"max_s", sorted.back()},
              {"mean_s", mean}}},
            {"per_rank", per_rank}};
  json acc = {
      {"method",
       fmt::format("robust z-score of each rank's median {} against the median over ranks (MAD "
                   "scaled by 1.4826); a rank stands out beyond |z| {} and {:.0f} % from the "
                   "median; a rank holds the job when the share of its runnable time its threads "
                   "waited for a CPU (schedstat: a CPU quota, a shared CPU) is a robust outlier "
                   "against the other ranks (z above {}, their median and MAD) and exceeds their "
                   "median share by {:.0f} points",
                   per_work ? "time per unit of work" : "time", opt.outlier_z,
                   opt.outlier_effect * 100, opt.outlier_z, opt.held_effect * 100)}};
  if (collective) {
    acc["unavailable"] =
        "a collective: every rank takes part in one operation, so no rank's time is its own";
  } else if (n < 3) {
    acc["unavailable"] = fmt::format(
        "{} ranks: a robust z-score needs 3 ranks or more to say which one stands out", n);
  } else {
    std::vector<double> sorted_paces = paces;
    std::sort(sorted_paces.begin(), sorted_paces.end());
    const double middle = quantile_sorted(sorted_paces, 0.5);
    const auto z = robust_z(paces);
    json outliers = json::array();
    for (int i = 0; i < n; ++i) {
      const double effect = middle > 0 ? paces[i] / middle - 1 : 0;
      if (std::fabs(z[i]) > opt.outlier_z && std::fabs(effect) >= opt.outlier_effect) {
        json o = {{"rank", i},
                  {"host", host_of(opt, i)},
                  {"median_s", medians[i]},
                  {"deviation", effect},
                  {"direction", effect > 0 ? "slower" : "faster"}};
        if (std::isfinite(z[i])) o["robust_z"] = z[i];
        outliers.push_back(o);
      }
    }
    acc["outliers"] = outliers;
    acc["held_the_job"] = held_the_job(ranks, opt);
  }
  j["acceptance"] = acc;
  return j;
}

// Every rank's samples and work model, in rank order (collective).
std::vector<rank_samples> gather_samples(communicator& comm, const measurement& m,
                                         const sched_delta& sched, const json& work_json) {
  std::vector<rank_samples> out;
  const json mine = {{"samples", m.samples_s},
                     {"collective_wait_s", m.collective_wait_s},
                     {"loop_s", m.loop_s},
                     {"scheduler", sched.to_json()},
                     {"work", work_json}};
  for (const auto& text : comm.allgather(mine.dump())) {
    json j = json::parse(text);
    rank_samples r;
    r.samples = j["samples"].get<std::vector<double>>();
    r.collective_wait_s = j.value("collective_wait_s", 0.0);
    r.loop_s = j.value("loop_s", 0.0);
    r.scheduler = std::move(j["scheduler"]);
    r.work = judged_work(j);
    r.work_json = std::move(j["work"]);
    out.push_back(std::move(r));
  }
  return out;
}

}  // namespace

std::string repro_command(const planned_problem& pp, const session_options& opt) {
  std::string cmd = opt.launcher.empty() ? std::string("mlhpc") : opt.launcher + " mlhpc";
  cmd += fmt::format(" run --workload {}:{}", pp.w->name(), pp.variant);
  for (const auto& [k, v] : pp.params.values())
    cmd += fmt::format(" --set {}", shell_quote(k + "=" + v));
  return cmd + settings_repro(opt.config);
}

json run_problem(const planned_problem& pp, const session_options& opt, communicator& comm,
                 const progress_observer& obs, std::size_t index, std::size_t total,
                 const std::atomic<bool>* interrupt) {
  const auto specs = pp.w->parameters(pp.variant);
  const run_config& cfg = opt.config;
  json r;
  r["workload"] = pp.w->name();
  r["variant"] = pp.variant;
  r["parameters"] = pp.params.to_json(specs);
  r["canonical"] = pp.params.canonical();
  r["key"] = pp.label();
  r["label"] = pp.short_label();
  r["pairing_key"] = pp.pairing_key();
  r["repro"] = repro_command(pp, opt);
  r["threads"] = cfg.threads;
  r["seed"] = cfg.seed;
  r["origin"] = pp.origin;
  if (!pp.list_info.is_null()) r["shape_list"] = pp.list_info;
  r["settings"] = settings_json(cfg);
  r["started_at"] = utc_now();
  if (const auto c = pp.w->ceiling_of(pp.variant, pp.params))
    r["ceiling"] = {{"key", c->key}, {"metric", c->metric}};
  if (const auto c = pp.w->provides_ceiling(pp.variant))
    r["provides_ceiling"] = {{"key", c->key}, {"metric", c->metric}};
  if (obs.on_start) obs.on_start(index, total, pp);

  auto finish = [&](const char* status, const std::string& reason) {
    r["status"] = status;
    if (!reason.empty()) r["reason"] = reason;
    r["ended_at"] = utc_now();
    if (obs.on_end) obs.on_end(index, total, r);
    return r;
  };

  // Whether it can run here is decided on every rank: one rank's "no" is the answer for all.
  auto sup = pp.w->supported(pp.variant, pp.params);
  if (sup.ok) sup = pp.w->supported_with(pp.variant, comm);
  if (const auto e = first_error(comm, sup.ok ? std::string() : sup.reason))
    return finish("skipped", rank_prefix(opt, comm, e.rank) + e.message);

  omp_set_num_threads(cfg.threads);
  // The team OpenMP really starts (OMP_THREAD_LIMIT, OMP_DYNAMIC can make it smaller).
  int team = 0;
#pragma omp parallel num_threads(cfg.threads)
  {
#pragma omp single
    team = omp_get_num_threads();
  }
  // Each phase runs on every rank; a rank whose phase threw skips the following ones but still
  // meets every agreement, where one rank's failure becomes the result on all.
  std::unique_ptr<problem> prob;
  std::string phase = "create";
  std::string error;  // this rank's: "<phase> failed: <what>"
  auto attempt = [&](const char* name, const auto& f) {
    phase = name;
    if (obs.on_phase) obs.on_phase(name);
    if (!error.empty()) return;
    try {
      f();
    } catch (const std::bad_alloc&) {
      error = fmt::format("{} failed: out of memory", phase);
    } catch (const std::exception& e) {
      error = fmt::format("{} failed: {}", phase, e.what());
    }
  };
  auto failed = [&](const std::string& local) {
    const auto e = first_error(comm, local);
    if (e) {
      r["failure"] = {{"rank", e.rank}, {"host", host_of(opt, e.rank)}, {"phase", phase}};
      if (comm.size() == 1) r["failure"].erase("host");
    }
    return e;
  };
  // A phase that stopped because a signal asked it to (io's set-up writing its data set checks
  // the flag) was interrupted, not failed: the status says what happened to the run.
  auto fail = [&](const rank_error& e) {
    prob.reset();
    const bool signalled = comm.any(interrupt != nullptr && interrupt->load());
    return finish(
        signalled ? "interrupted" : "failed",
        (signalled ? fmt::format("interrupted by a signal during {}: ", phase) : std::string()) +
            rank_prefix(opt, comm, e.rank) + e.message);
  };

  work_model work;
  attempt("create", [&] {
    prob = pp.w->create(pp.variant, pp.params, problem_env{cfg.threads, cfg.seed, &comm, cfg.dir});
  });
  attempt("setup", [&] { prob->setup(); });
  attempt("setup", [&] { work = prob->work(); });
  if (const auto e = failed(error)) return fail(e);
  r["work"] = work_json(work);

  phase = "run";
  std::function<void(const measurement&)> sample_cb;
  if (obs.on_sample) sample_cb = [&](const measurement& m) { obs.on_sample(pp, m); };
  counter_setup* cset = opt.counters;
  const bool collect = cset != nullptr && (!cset->collectors.empty() || !cset->failed.empty());
  std::unique_ptr<counter_session> counters;
  measurement m;
  attempt("run", [&] {
    if (collect && !cset->separate_pass) counters = std::make_unique<counter_session>(*cset);
  });
  if (const auto e = failed(error)) return fail(e);
  runner_settings timed = cfg.runner;
  timed.warmup = std::max(timed.warmup, prob->minimum_warmup());
  // A ceiling is what other results are shares of: it is timed for at least
  // ceiling_min_time_s (within --max-time), so that its best sample is the best of many and a
  // short disturbance (a neighbour taking a core for a fraction of a second) cannot set it.
  if (r.contains("provides_ceiling"))
    timed.min_time_s = std::max(timed.min_time_s, std::min(ceiling_min_time_s, timed.max_time_s));
  const sched_snapshot sched0 = read_sched();
  m = measure(*prob, timed, comm, interrupt, sample_cb, {}, counters.get());
  const sched_delta sched = between(sched0, read_sched());
  if (const auto e = failed(m.error.empty() ? "" : "run failed: " + m.error)) return fail(e);
  if (counters) {
    r["counters"] = counters->to_json(work, "inline");
  } else if (collect && m.stop_reason != "interrupted") {
    // The counter pass: as many samples of the same batch size as the timed pass, after it,
    // so that collecting cannot perturb the timing.
    runner_settings again = cfg.runner;
    again.warmup = 0;
    again.inner_repetitions = m.inner_repetitions;
    again.repetitions = static_cast<int>(m.samples_s.size());
    again.max_repetitions = again.repetitions;
    again.min_time_s = 0;
    attempt("counter pass", [&] { counters = std::make_unique<counter_session>(*cset); });
    if (const auto e = failed(error)) return fail(e);
    const measurement c = measure(*prob, again, comm, interrupt, {}, {}, counters.get());
    if (const auto e = failed(c.error.empty() ? "" : "counter pass failed: " + c.error))
      return fail(e);
    r["counters"] = counters->to_json(work, "separate");
    r["counters"]["pass_samples_s"] = c.samples_s;
  }

  // The headline: this rank's samples alone, or the slowest rank's.
  std::vector<double> headline_samples = m.samples_s;
  if (comm.size() > 1) {
    const auto all = gather_samples(comm, m, sched, r["work"]);
    int headline = 0;
    r["ranks"] = ranks_json(all, opt, pp.w->collective(pp.variant), headline);
    headline_samples = all[static_cast<std::size_t>(headline)].samples;
    r["work"] = all[static_cast<std::size_t>(headline)].work_json;  // the rates are its
  }
  const summary s = summarize(headline_samples);
  r["measurement"] = {
      {"samples_s", headline_samples},
      {"inner_repetitions", m.inner_repetitions},
      {"warmup_repetitions", m.warmup_repetitions},
      {"stop_reason", m.stop_reason},
      {"timed_s", m.timed_s},
      {"wall_s", m.wall_s},
      // The runner's clock, or a device problem's timer (its host readings,
      // measurement::host_samples_s, are not written before schema 2.0).
      {"timer", m.timer == "host_clock" ? std::string("std::chrono::steady_clock around "
                                                      "inner_repetitions calls")
                                        : m.timer},
      {"scheduler", sched.to_json()}};
  r["statistics"] = summary_json(s);
  r["rates"] = rates_json(s, r);

  verification v;
  attempt("verify", [&] { v = prob->verify(); });
  if (const auto e = failed(error)) return fail(e);
  r["verification"] = verification_json(v);
  r["details"] = prob->details();
  const std::string caveat = prob->memory_caveat();
  const json notes = prob->trust_notes();
  const bool waits = prob->waits_by_design();
  attempt("teardown", [&] { prob->teardown(); });
  prob.reset();
  if (const auto e = failed(error)) return fail(e);
  r["trust_issues"] = trust_issues(r, opt, team);
  if (waits) {
    json kept = json::array();
    for (const auto& t : r["trust_issues"])
      if (t["code"] != "fewer_busy_threads") kept.push_back(t);
    r["trust_issues"] = std::move(kept);
  }
  for (const auto& n : notes) r["trust_issues"].push_back(n);
  // A failed verification on any rank fails the result on all, with that rank's figures.
  phase = "verify";
  const std::string wrong =
      v.status != verification::state::failed
          ? std::string()
          : fmt::format("verification failed: {} {:.3g} exceeds tolerance {:.3g}", v.metric,
                        v.error.value_or(0), v.tolerance.value_or(0));
  if (const auto e = failed(wrong)) {
    if (e.rank != comm.rank()) r["verification"]["status"] = "failed";
    return finish("failed", rank_prefix(opt, comm, e.rank) + e.message);
  }
  // Not a failure of the problem: compare must not call it a regression.
  if (m.stop_reason == "interrupted")
    return finish("interrupted", "interrupted by a signal before the stop rule was met");
  if (!caveat.empty()) return finish("cached", caveat);
  return finish("ok", "");
}

json trust_issues(const json& r, const session_options& opt, int team_threads) {
  json out = json::array();
  auto add = [&](const char* code, std::string detail) {
    out.push_back({{"code", code}, {"detail", std::move(detail)}});
  };
  if (r.contains("statistics")) {
    const auto& st = r["statistics"];
    if (st.contains("cv") && st["cv"].get<double>() > opt.trust_cv_limit)
      add("high_cv", fmt::format("coefficient of variation {:.1f} % is above {:.1f} %",
                                 st["cv"].get<double>() * 100, opt.trust_cv_limit * 100));
    if (!st.contains("median_ci95_s"))
      add("no_median_interval",
          fmt::format("{} samples give no distribution-free 95 % interval of the median (6 "
                      "needed)",
                      st.value("n", 0)));
    else if (st.contains("median_ci95_relative_halfwidth") &&
             st["median_ci95_relative_halfwidth"].get<double>() > opt.config.runner.ci_target)
      add("ci_target_missed",
          fmt::format("the median's 95 % interval is +-{:.2f} %, wider than the target "
                      "+-{:.2f} % ({})",
                      st["median_ci95_relative_halfwidth"].get<double>() * 100,
                      opt.config.runner.ci_target * 100,
                      r.contains("measurement") ? r["measurement"].value("stop_reason", "?")
                                                : std::string("?")));
  }
  const int threads = r.value("threads", opt.config.threads);
  if (team_threads > 0 && team_threads != threads)
    add("threads_overridden",
        fmt::format("{} threads were requested but OpenMP started {} (OMP_THREAD_LIMIT, "
                    "OMP_DYNAMIC?)",
                    threads, team_threads));
  if (opt.allowed_cpus > 0 && threads > opt.allowed_cpus)
    add("threads_oversubscribed",
        fmt::format("{} threads share {} CPUs", threads, opt.allowed_cpus));
  if (opt.threads_pinned && !*opt.threads_pinned && threads > 1)
    add("threads_unpinned",
        "the threads may migrate between CPUs (run with --bind cores, or set "
        "OMP_PROC_BIND=close OMP_PLACES=cores, to pin them)");
  if (r.contains("counters")) {
    const auto& c = r["counters"];
    if (c.contains("unavailable") && c["unavailable"].is_object() && !c["unavailable"].empty()) {
      std::string names;
      for (const auto& [k, v] : c["unavailable"].items()) {
        if (!names.empty()) names += ", ";
        names += k;
      }
      add("counters_unavailable", fmt::format("asked for but not measured: {}", names));
    }
    if (c.contains("derived") && c["derived"].contains("busy_threads")) {
      const double busy = c["derived"]["busy_threads"]["value"].get<double>();
      if (busy < opt.trust_busy_share * threads)
        add("fewer_busy_threads",
            fmt::format("{:.2f} threads were busy on average over the counted windows, of {} "
                        "requested",
                        busy, threads));
    }
  }
  return out;
}

// A nominal peak whose clock was measured is itself a measurement: a rate is flagged above it only
// beyond 2 % (the clock is the best of 30 runs of 2 ms at the start of the run; on the Zen 4 VM
// `peak` reached up to 100.6 % of it later in the same run, the boost clock having moved; a
// merged-accumulator error is a factor of several).
constexpr double kNominalTolerance = 1.02;
// A ceiling measured while disturbed (it is then named untrustworthy) is judged against its
// nominal peak with more room: the clock measured beside it is disturbed too (on a loaded 2-vCPU
// VM, the best of 500 add-chain trials read 2.89-2.94 GHz against 3.23 GHz quiet, and peak's
// best sample then read 102-104 % of the nominal peak). Only an excess a counting error makes
// (a factor of several) is called one then; the untrustworthy ceiling is said either way.
constexpr double kDisturbedNominalTolerance = 1.25;

bool undermines_ceiling(const std::string& code) {
  return code == "high_cv" || code == "fewer_busy_threads" || code == "threads_oversubscribed" ||
         code == "threads_overridden";
}

void apply_ceilings(json& doc, const json& external) {
  json ceilings = json::object();
  for (auto& [key, c] : external.items()) ceilings[key] = c;
  // Measured in this run: the best rate of any sample of a ceiling workload.
  json measured = json::object();
  for (const auto& r : doc["results"]) {
    if (!r.contains("provides_ceiling") || r.value("status", "") != "ok") continue;
    const std::string key = r["provides_ceiling"]["key"];
    const std::string metric = r["provides_ceiling"]["metric"];
    if (!r.contains("rates") || !r["rates"].contains(metric)) continue;
    const double best = r["rates"][metric]["best"];
    if (!measured.contains(key) || measured[key]["value"].get<double>() < best)
      measured[key] = {{"value", best},
                       {"unit", rate_unit(r, metric)},
                       {"source", "measured in this run"},
                       {"problem", r["key"]},
                       {"statistic", "best sample"}};
  }
  // A ceiling whose own timing is untrustworthy (a neighbour took a core while it ran: high CV,
  // busy threads) is named as such, and so is every share of it.
  for (const auto& r : doc["results"]) {
    if (!r.contains("provides_ceiling") || !measured.contains(r["provides_ceiling"]["key"]))
      continue;
    auto& m = measured[r["provides_ceiling"]["key"].get<std::string>()];
    if (m["problem"] != r["key"]) continue;
    std::vector<std::string> why;
    for (const auto& t : r.value("trust_issues", json::array()))
      if (undermines_ceiling(t["code"])) why.push_back(t["detail"].get<std::string>());
    if (!why.empty())
      m["untrustworthy"] = fmt::format("{} was measured while disturbed: {}",
                                       r["key"].get<std::string>(), fmt::join(why, "; "));
  }
  for (auto& [key, c] : measured.items()) ceilings[key] = c;
  // The nominal peak beside each ceiling it exists for; a ceiling above it is a counting error.
  const json* nominal = nullptr;
  if (doc.contains("context") && doc["context"].contains("nominal_peak") &&
      doc["context"]["nominal_peak"].contains("rates"))
    nominal = &doc["context"]["nominal_peak"]["rates"];
  for (auto& [key, c] : ceilings.items()) {
    c.erase("nominal");
    c.erase("above_nominal");
    if (nominal == nullptr || !nominal->contains(key)) continue;
    const double nom = (*nominal)[key]["value"];
    c["nominal"] = {{"value", nom},
                    {"unit", (*nominal)[key]["unit"]},
                    {"isa", (*nominal)[key]["isa"]},
                    {"measured_share", c["value"].get<double>() / nom}};
    const double room =
        c.contains("untrustworthy") ? kDisturbedNominalTolerance : kNominalTolerance;
    if (c["value"].get<double>() > nom * room) c["above_nominal"] = true;
  }
  doc["ceilings"] = ceilings;

  for (auto& r : doc["results"]) {
    // Ceiling issues are recomputed here each time; the others come from run_problem.
    if (r.contains("trust_issues")) {
      json kept = json::array();
      for (const auto& t : r["trust_issues"])
        if (t["code"] != "above_ceiling" && t["code"] != "above_nominal_peak" &&
            t["code"] != "ceiling_untrustworthy")
          kept.push_back(t);
      r["trust_issues"] = kept;
    }
    if (r.contains("provides_ceiling") && r.value("status", "") == "ok" && r.contains("rates")) {
      const std::string key = r["provides_ceiling"]["key"];
      const std::string metric = r["provides_ceiling"]["metric"];
      if (nominal != nullptr && nominal->contains(key) && r["rates"].contains(metric)) {
        const double nom = (*nominal)[key]["value"];
        const double best = r["rates"][metric]["best"];
        const bool disturbed = ceilings.contains(key) && ceilings[key].contains("untrustworthy") &&
                               ceilings[key].value("problem", json()) == r["key"];
        if (best > nom * (disturbed ? kDisturbedNominalTolerance : kNominalTolerance))
          r["trust_issues"].push_back(
              {{"code", "above_nominal_peak"},
               {"detail", fmt::format("best rate {} is above the nominal peak {} of this CPU: a "
                                      "counting error (merged accumulators, a wrong work "
                                      "model), not a win",
                                      format_rate(best, rate_unit(r, metric)),
                                      format_rate(nom, (*nominal)[key]["unit"]))}});
      }
    }
    if (!r.contains("ceiling")) continue;
    auto& c = r["ceiling"];
    c.erase("value");
    c.erase("share");
    c.erase("exceeded");
    c.erase("unavailable");
    c.erase("untrustworthy");
    const std::string key = c["key"];
    const std::string metric = c["metric"];
    if (r.value("status", "") != "ok" || !r.contains("rates") || !r["rates"].contains(metric))
      continue;
    if (!ceilings.contains(key)) {
      c["unavailable"] = fmt::format(
          "no ceiling '{}' was measured in this run and none was given with --ceilings", key);
      continue;
    }
    const double value = ceilings[key]["value"];
    const double median = r["rates"][metric]["median"];
    const double best = r["rates"][metric]["best"];
    c["value"] = value;
    c["share"] = median / value;
    if (ceilings[key].contains("untrustworthy")) {
      // The share is as unreliable as its ceiling; a rate above it says nothing about counting.
      c["untrustworthy"] = ceilings[key]["untrustworthy"];
      if (best > value) c["exceeded"] = true;
      r["trust_issues"].push_back(
          {{"code", "ceiling_untrustworthy"},
           {"detail",
            fmt::format("the ceiling {} ({}) is untrustworthy, so this share of it ({:.0f} %) is "
                        "too: {}",
                        key, format_rate(value, ceilings[key].value("unit", "")),
                        100 * median / value, ceilings[key]["untrustworthy"].get<std::string>())}});
      continue;
    }
    // A point above its roof means a counting or precision mismatch, not a win.
    if (best > value) {
      c["exceeded"] = true;
      r["trust_issues"].push_back(
          {{"code", "above_ceiling"},
           {"detail", fmt::format("best rate {} is above the ceiling {} ({}): a counting or "
                                  "precision mismatch, not a win",
                                  format_rate(best, rate_unit(r, metric)),
                                  format_rate(value, ceilings[key].value("unit", "")), key)}});
    }
  }
}

json load_ceilings_file(const std::string& path) {
  const json j = read_json_file(path, "--ceilings");
  const json& c = j.contains("ceilings") ? j["ceilings"] : j;
  if (!c.is_object() || c.empty())
    throw usage_error(fmt::format(
        "--ceilings '{}': expected a result file with a non-empty \"ceilings\" object", path));
  json out = json::object();
  for (const auto& [key, v] : c.items()) {
    if (!v.is_object() || !v.contains("value") || !v["value"].is_number() ||
        v["value"].get<double>() <= 0)
      throw usage_error(fmt::format(
          "--ceilings '{}': ceiling '{}' has no positive numeric \"value\"", path, key));
    out[key] = {{"value", v["value"]},
                {"unit", v.value("unit", "")},
                {"source", fmt::format("--ceilings {}", path)}};
    if (v.contains("problem")) out[key]["problem"] = v["problem"];
  }
  return out;
}

}  // namespace mlhpc
