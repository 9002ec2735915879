#include "bench/session.hpp"

#include <fmt/chrono.h>
#include <fmt/format.h>
#include <omp.h>

#include <chrono>

#include "bench/error.hpp"
#include "bench/files.hpp"
#include "bench/rates.hpp"
#include "bench/stats.hpp"

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

std::string shell_quote(const std::string& s) {
  if (!s.empty() && s.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                        "0123456789_-.,:=/+@%") == std::string::npos)
    return s;
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

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
  return j;
}

// Each rate with its unit (rates.hpp), read from the result being built (workload, variant,
// parameters, work).
json rates_json(const work_model& w, const summary& s, const json& r) {
  json j = json::object();
  auto add = [&](const char* key, const std::optional<double>& amount) {
    if (!amount || s.median <= 0) return;
    j[key] = {{"median", *amount / s.median}, {"best", *amount / s.min}};
    j[key]["unit"] = rate_unit(r, key);
  };
  add("flops_per_s", w.flops);
  add("bytes_per_s", w.bytes);
  add("items_per_s", w.items);
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

json settings_json(const runner_settings& r) {
  return {{"repetitions", r.repetitions},  {"warmup", r.warmup},
          {"min_time_s", r.min_time_s},    {"max_time_s", r.max_time_s},
          {"ci_target", r.ci_target},      {"max_repetitions", r.max_repetitions},
          {"min_sample_s", r.min_sample_s}};
}

const char* metric_name(ceiling_ref::rate r) {
  return r == ceiling_ref::rate::flops ? "flops_per_s" : "bytes_per_s";
}

}  // namespace

std::string repro_command(const planned_problem& pp, const session_options& opt) {
  std::string cmd = fmt::format("mlhpc run --workload {}:{}", pp.w->name(), pp.variant);
  for (const auto& [k, v] : pp.params.values())
    cmd += fmt::format(" --set {}", shell_quote(k + "=" + v));
  const auto& r = opt.runner;
  cmd += fmt::format(
      " --threads {} --seed {} --repetitions {} --warmup {} --min-time {} --max-time {} "
      "--ci-target {}",
      opt.threads, opt.seed, r.repetitions, r.warmup, r.min_time_s, r.max_time_s, r.ci_target);
  if (opt.counters != nullptr) {
    cmd += fmt::format(" --counters {}", shell_quote(opt.counters->spec));
    if (opt.counters->separate_pass) cmd += " --counter-pass separate";
  }
  return cmd;
}

json run_problem(const planned_problem& pp, const session_options& opt, communicator& comm,
                 const progress_observer& obs, std::size_t index, std::size_t total,
                 const std::atomic<bool>* interrupt) {
  const auto specs = pp.w->parameters(pp.variant);
  json r;
  r["workload"] = pp.w->name();
  r["variant"] = pp.variant;
  r["parameters"] = pp.params.to_json(specs);
  r["canonical"] = pp.params.canonical();
  r["key"] = pp.label();
  r["pairing_key"] = pp.pairing_key();
  r["repro"] = repro_command(pp, opt);
  r["threads"] = opt.threads;
  r["seed"] = opt.seed;
  r["origin"] = pp.origin;
  if (!pp.list_info.is_null()) r["shape_list"] = pp.list_info;
  r["settings"] = settings_json(opt.runner);
  r["started_at"] = utc_now();
  if (const auto c = pp.w->ceiling_of(pp.variant, pp.params))
    r["ceiling"] = {{"key", c->key}, {"metric", metric_name(c->metric)}};
  if (const auto c = pp.w->provides_ceiling(pp.variant))
    r["provides_ceiling"] = {{"key", c->key}, {"metric", metric_name(c->metric)}};
  if (obs.on_start) obs.on_start(index, total, pp);

  auto finish = [&](const char* status, const std::string& reason) {
    r["status"] = status;
    if (!reason.empty()) r["reason"] = reason;
    r["ended_at"] = utc_now();
    if (obs.on_end) obs.on_end(index, total, r);
    return r;
  };

  const auto sup = pp.w->supported(pp.variant, pp.params);
  if (!sup.ok) return finish("skipped", sup.reason);

  omp_set_num_threads(opt.threads);
  // The team OpenMP really starts (OMP_THREAD_LIMIT, OMP_DYNAMIC can make it smaller).
  int team = 0;
#pragma omp parallel num_threads(opt.threads)
  {
#pragma omp single
    team = omp_get_num_threads();
  }
  std::unique_ptr<problem> prob;
  std::string phase = "create";
  try {
    prob = pp.w->create(pp.variant, pp.params, problem_env{opt.threads, opt.seed});
    phase = "setup";
    prob->setup();
    const work_model work = prob->work();
    r["work"] = work_json(work);
    phase = "run";
    std::function<void(const measurement&)> sample_cb;
    if (obs.on_sample) sample_cb = [&](const measurement& m) { obs.on_sample(pp, m); };
    counter_setup* cset = opt.counters;
    const bool collect = cset != nullptr && (!cset->collectors.empty() || !cset->failed.empty());
    std::unique_ptr<counter_session> counters;
    if (collect && !cset->separate_pass) counters = std::make_unique<counter_session>(*cset);
    const measurement m =
        measure(*prob, opt.runner, comm, interrupt, sample_cb, {}, counters.get());
    if (counters) {
      r["counters"] = counters->to_json(work, "inline");
    } else if (collect && m.stop_reason != "interrupted") {
      // The counter pass: as many samples of the same batch size as the timed pass, after it,
      // so that collecting cannot perturb the timing.
      phase = "counter pass";
      runner_settings again = opt.runner;
      again.warmup = 0;
      again.inner_repetitions = m.inner_repetitions;
      again.repetitions = static_cast<int>(m.samples_s.size());
      again.max_repetitions = again.repetitions;
      again.min_time_s = 0;
      counters = std::make_unique<counter_session>(*cset);
      const measurement c = measure(*prob, again, comm, interrupt, {}, {}, counters.get());
      r["counters"] = counters->to_json(work, "separate");
      r["counters"]["pass_samples_s"] = c.samples_s;
      phase = "run";
    }
    const summary s = summarize(m.samples_s);
    r["measurement"] = {{"samples_s", m.samples_s},
                        {"inner_repetitions", m.inner_repetitions},
                        {"warmup_repetitions", m.warmup_repetitions},
                        {"stop_reason", m.stop_reason},
                        {"timed_s", m.timed_s},
                        {"wall_s", m.wall_s},
                        {"timer", "std::chrono::steady_clock around inner_repetitions calls"}};
    r["statistics"] = summary_json(s);
    r["rates"] = rates_json(work, s, r);
    phase = "verify";
    const verification v = prob->verify();
    r["verification"] = verification_json(v);
    r["details"] = prob->details();
    phase = "teardown";
    prob->teardown();
    prob.reset();
    r["trust_issues"] = trust_issues(r, opt, team);
    if (v.status == verification::state::failed)
      return finish("failed", fmt::format("verification failed: {} {:.3g} exceeds tolerance {:.3g}",
                                          v.metric, v.error.value_or(0), v.tolerance.value_or(0)));
    // Not a failure of the problem: compare must not call it a regression.
    if (m.stop_reason == "interrupted")
      return finish("interrupted", "interrupted by a signal before the stop rule was met");
    return finish("ok", "");
  } catch (const std::bad_alloc&) {
    return finish("failed", fmt::format("{} failed: out of memory", phase));
  } catch (const std::exception& e) {
    return finish("failed", fmt::format("{} failed: {}", phase, e.what()));
  }
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
             st["median_ci95_relative_halfwidth"].get<double>() > opt.runner.ci_target)
      add("ci_target_missed",
          fmt::format("the median's 95 % interval is +-{:.2f} %, wider than the target "
                      "+-{:.2f} % ({})",
                      st["median_ci95_relative_halfwidth"].get<double>() * 100,
                      opt.runner.ci_target * 100,
                      r.contains("measurement") ? r["measurement"].value("stop_reason", "?")
                                                : std::string("?")));
  }
  const int threads = r.value("threads", opt.threads);
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
        "the threads may migrate between CPUs (set OMP_PROC_BIND=close OMP_PLACES=threads to "
        "pin them)");
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
    if (c["value"].get<double>() > nom * kNominalTolerance) c["above_nominal"] = true;
  }
  doc["ceilings"] = ceilings;

  for (auto& r : doc["results"]) {
    // Ceiling issues are recomputed here each time; the others come from run_problem.
    if (r.contains("trust_issues")) {
      json kept = json::array();
      for (const auto& t : r["trust_issues"])
        if (t["code"] != "above_ceiling" && t["code"] != "above_nominal_peak") kept.push_back(t);
      r["trust_issues"] = kept;
    }
    if (r.contains("provides_ceiling") && r.value("status", "") == "ok" && r.contains("rates")) {
      const std::string key = r["provides_ceiling"]["key"];
      const std::string metric = r["provides_ceiling"]["metric"];
      if (nominal != nullptr && nominal->contains(key) && r["rates"].contains(metric)) {
        const double nom = (*nominal)[key]["value"];
        const double best = r["rates"][metric]["best"];
        if (best > nom * kNominalTolerance)
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
    // A point above its roof means a counting or precision mismatch, not a win (REFERENCE.md).
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
