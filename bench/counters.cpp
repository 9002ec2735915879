#include "bench/counters.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <optional>

#include "bench/stats.hpp"

namespace mlhpc {

using nlohmann::json;

counter_session::counter_session(counter_setup& setup) : m_setup(setup) {
  for (collector* c : setup.collectors) {
    track t;
    t.c = c;
    double step = 0;
    for (const auto& m : c->metrics()) step = std::max(step, m.update_interval_s);
    t.min_window_s = step * window_updates;
    m_tracks.push_back(std::move(t));
  }
}

counter_session::~counter_session() {
  stop();
}

void counter_session::fail(track& t, const std::string& what) noexcept {
  t.failed = true;
  t.open = false;
  if (t.started) t.c->stop();
  t.started = false;
  try {
    const std::string why = fmt::format("{} failed: {}", t.c->name(), what);
    m_setup.failed[t.c->name()] = why;
    std::erase(m_setup.collectors, t.c);
    if (m_setup.log) m_setup.log(fmt::format("{}; it drops out, the run goes on", why));
  } catch (...) {
  }
}

void counter_session::start() {
  for (auto& t : m_tracks) {
    try {
      t.c->start();
      t.started = true;
    } catch (const std::exception& e) {
      fail(t, e.what());
    }
  }
}

// Fine-grained collectors read last before the clock starts and first after it stops.
namespace {
double now_s() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}
}  // namespace

void counter_session::before_sample() {
  const double t0 = now_s();
  for (auto& t : m_tracks) {
    if (t.failed || t.open) continue;
    try {
      t.from = t.c->read();
      t.open = true;
    } catch (const std::exception& e) {
      fail(t, e.what());
    }
  }
  m_before_s.push_back(now_s() - t0);
}

void counter_session::close_window(track& t) {
  const auto to = t.c->read();
  window w;
  w.values = t.c->difference(t.from, to);
  w.from = std::move(t.from);
  w.seconds = t.seconds;
  w.repetitions = t.repetitions;
  w.samples = t.samples;
  t.windows.push_back(std::move(w));
  t.open = false;
  t.seconds = 0;
  t.repetitions = 0;
  t.samples = 0;
}

void counter_session::after_sample(double seconds, long long repetitions) {
  const double t0 = now_s();
  for (auto it = m_tracks.rbegin(); it != m_tracks.rend(); ++it) {
    auto& t = *it;
    if (t.failed || !t.open) continue;
    t.seconds += seconds;
    t.repetitions += repetitions;
    ++t.samples;
    if (t.seconds < t.min_window_s) continue;
    try {
      close_window(t);
    } catch (const std::exception& e) {
      fail(t, e.what());
    }
  }
  m_after_s.push_back(now_s() - t0);
}

void counter_session::stop() noexcept {
  if (m_stopped) return;
  m_stopped = true;
  for (auto& t : m_tracks) {
    if (t.failed) continue;
    try {
      if (t.open) {
        // A last window shorter than the counter's resolution allows joins the one before it;
        // the only window of a short measurement stays, marked as short.
        if (t.seconds < t.min_window_s && !t.windows.empty()) {
          auto& last = t.windows.back();
          const auto to = t.c->read();
          last.values = t.c->difference(last.from, to);
          last.seconds += t.seconds;
          last.repetitions += t.repetitions;
          last.samples += t.samples;
          t.open = false;
          t.last_merged = true;
        } else {
          t.last_short = t.seconds < t.min_window_s;
          close_window(t);
        }
      }
    } catch (const std::exception& e) {
      fail(t, e.what());
      continue;
    }
    if (t.started) t.c->stop();
    t.started = false;
  }
}

namespace {

json stats_json(const std::vector<double>& v) {
  json j = {{"n", v.size()}};
  if (v.empty()) return j;
  const summary s = summarize(v);
  j["median"] = s.median;
  j["mean"] = s.mean;
  j["min"] = s.min;
  j["max"] = s.max;
  if (s.stddev) j["stddev"] = *s.stddev;
  return j;
}

const char* kind_name(metric_kind k) {
  return k == metric_kind::counter ? "counter" : "gauge";
}

// Totals of one counter over the windows it was measured in.
struct total {
  double value = 0;
  double seconds = 0;
  std::optional<double> counted_seconds;  // wall time counted, where the collector stamps it
  long long repetitions = 0;
  std::string collector;
  double per_repetition() const { return value / static_cast<double>(repetitions); }
};

}  // namespace

json counter_session::to_json(const work_model& work, const std::string& pass) const {
  json out = {{"spec", m_setup.spec}, {"pass", pass}};
  json values = json::object();
  json unavailable = json::object();
  json windows = json::object();
  std::map<std::string, total> totals;
  std::map<std::string, std::string> why_not;  // every requested metric that has no value

  for (const auto& t : m_tracks) {
    for (const auto& [name, reason] : t.c->unavailable()) {
      unavailable[name] = fmt::format("{}: {}", t.c->name(), reason);
      why_not[name] = unavailable[name];
    }
    if (t.failed) {
      const auto f = m_setup.failed.find(t.c->name());
      const std::string reason = f != m_setup.failed.end() ? f->second : "failed";
      for (const auto& m : t.c->metrics()) {
        unavailable[m.name] = reason;
        why_not[m.name] = reason;
      }
      continue;
    }
    const auto& ms = t.c->metrics();
    for (std::size_t i = 0; i < ms.size(); ++i) {
      const auto& m = ms[i];
      json per = json::array();
      json counted = json::array();  // every window's width, where the collector stamps it
      bool all_counted = true;
      double counted_measured = 0;  // over the windows with a value
      std::vector<double> measured;
      double min_running = 1;
      total tot;
      tot.collector = t.c->name();
      for (const auto& w : t.windows) {
        const auto& v = w.values.at(i);
        if (v.counted_s)
          counted.push_back(*v.counted_s);
        else
          all_counted = false;
        if (v.running_fraction && *v.running_fraction <= 0) {
          per.push_back(nullptr);  // never on the PMU in this window: not measured, not 0
          continue;
        }
        if (v.running_fraction) min_running = std::min(min_running, *v.running_fraction);
        const double x =
            m.kind == metric_kind::counter ? v.value / static_cast<double>(w.repetitions) : v.value;
        per.push_back(x);
        measured.push_back(x);
        if (v.counted_s) counted_measured += *v.counted_s;
        tot.value += v.value;
        tot.seconds += w.seconds;
        tot.repetitions += w.repetitions;
      }
      if (measured.empty()) {
        const std::string reason =
            t.windows.empty()
                ? fmt::format("{}: no window was completed (the problem ended first)", t.c->name())
                : fmt::format(
                      "{}: never scheduled on the PMU (more events than counters; ask for "
                      "fewer events)",
                      t.c->name());
        unavailable[m.name] = reason;
        why_not[m.name] = reason;
        continue;
      }
      json e = {{"collector", t.c->name()},
                {"unit", m.unit},
                {"kind", kind_name(m.kind)},
                {"per", m.kind == metric_kind::counter ? "repetition" : "window end"},
                {"values", per},
                {"statistics", stats_json(measured)}};
      if (!m.scope.empty()) e["scope"] = m.scope;
      if (all_counted) {
        e["counted_s"] = counted;
        tot.counted_seconds = counted_measured;
      }
      if (m.kind == metric_kind::counter) {
        e["total"] = tot.value;
        e["repetitions"] = tot.repetitions;
        totals[m.name] = tot;
      }
      if (!m.bits.empty()) {
        // The names of every bit set in any window (GPU throttle reasons).
        unsigned long long any = 0;
        for (double x : measured) any |= static_cast<unsigned long long>(x);
        json names = json::array();
        for (const auto& [bit, label] : m.bits)
          if ((any >> bit) & 1ULL) names.push_back(label);
        e["set_bits"] = names;
      }
      if (min_running < 1) {
        e["scaled"] = true;
        e["running_fraction_min"] = min_running;
      }
      values[m.name] = e;
    }
    if (t.min_window_s > 0 && !t.windows.empty()) {
      json w = {{"min_window_s", t.min_window_s},
                {"samples", json::array()},
                {"repetitions", json::array()},
                {"seconds", json::array()}};
      for (const auto& x : t.windows) {
        w["samples"].push_back(x.samples);
        w["repetitions"].push_back(x.repetitions);
        w["seconds"].push_back(x.seconds);
      }
      const bool batched = std::any_of(t.windows.begin(), t.windows.end(),
                                       [](const window& x) { return x.samples > 1; });
      if (batched)
        w["note"] = fmt::format(
            "one sample is shorter than {} updates of this counter ({:.3g} s), so it was read "
            "over windows of consecutive samples (the short gaps between samples included)",
            window_updates, t.min_window_s);
      if (t.last_merged) w["last_window_merged"] = true;
      if (t.last_short)
        w["short_window"] = fmt::format(
            "the timed region ({:.3g} s) was shorter than {:.3g} s: quantisation error above 1 "
            "%; raise --min-time",
            t.windows.back().seconds, t.min_window_s);
      windows[t.c->name()] = w;
    }
  }
  for (const auto& [name, reason] : m_setup.failed)
    if (!unavailable.contains(name) && !windows.contains(name)) {
      // a collector that dropped out in an earlier problem: its metrics are named in the context
      unavailable[name] = reason;
    }
  out["values"] = values;
  if (!m_before_s.empty()) {
    auto median = [](std::vector<double> v) { return summarize(v).median; };
    out["reading"] = {
        {"before_sample_median_s", median(m_before_s)},
        {"after_sample_median_s", median(m_after_s)},
        {"note",
         "counters are read just outside the timed region; reading a counter of a thread on "
         "another CPU interrupts that CPU, so each counted window is wider than its timed "
         "sample by up to these two times; where a collector stamps its windows, counted_s "
         "gives each window's width and busy_threads is taken over it"}};
  }
  if (!unavailable.empty()) out["unavailable"] = unavailable;
  if (!windows.empty()) out["windows"] = windows;

  // Derived metrics: ratios of totals over the windows, so that every repetition weighs the same.
  json derived = json::object();
  json derived_unavailable = json::object();
  auto have = [&](const std::string& n) { return totals.count(n) > 0; };
  auto requested = [&](const std::string& n) { return have(n) || why_not.count(n) > 0; };
  auto missing = [&](std::initializer_list<std::string> needs) -> std::optional<std::string> {
    for (const auto& n : needs)
      if (!have(n))
        return fmt::format("needs {}: {}", n, why_not.count(n) ? why_not.at(n) : "not requested");
    return std::nullopt;
  };
  auto ratio = [&](const char* key, const std::string& num, const std::string& den,
                   const char* unit, double scale, const char* formula) {
    if (!requested(num) && !requested(den)) return;
    if (const auto m = missing({num, den})) {
      derived_unavailable[key] = *m;
      return;
    }
    const double d = totals.at(den).per_repetition();
    if (d <= 0) {
      derived_unavailable[key] = fmt::format("{} was 0", den);
      return;
    }
    derived[key] = {{"value", totals.at(num).per_repetition() / d * scale},
                    {"unit", unit},
                    {"formula", formula}};
  };
  ratio("ipc", "instructions", "cycles", "instruction/cycle", 1, "instructions / cycles");
  ratio("ghz_effective", "cycles", "task-clock", "GHz", 1e-9,
        "cycles / task-clock: cycles per second of thread time, all threads");
  ratio("cache_miss_rate", "cache-misses", "cache-references", "ratio", 1,
        "cache-misses / cache-references");
  ratio("l1d_miss_rate", "L1-dcache-load-misses", "L1-dcache-loads", "ratio", 1,
        "L1-dcache-load-misses / L1-dcache-loads");
  ratio("llc_miss_rate", "LLC-load-misses", "LLC-loads", "ratio", 1, "LLC-load-misses / LLC-loads");
  if (have("task-clock")) {
    // Over the counted windows where the collector stamped them: the reads outside the timed
    // region widen each window, and the threads keep running (or spinning) meanwhile.
    const auto& tc = totals.at("task-clock");
    const bool stamped = tc.counted_seconds.has_value();
    const double den = tc.counted_seconds.value_or(tc.seconds);
    if (den > 0)
      derived["busy_threads"] = {
          {"value", tc.value / den},
          {"unit", "threads"},
          {"formula", stamped ? "task-clock / counted seconds: threads running on a CPU on average "
                                "over the counted windows"
                              : "task-clock / timed seconds: threads running on a CPU on average"}};
  }

  // Energy. CPU: package zones plus DRAM zones (DRAM is outside the package count even where
  // sysfs nests it); psys only where no package zone exists, since psys contains the package.
  double cpu_j = 0, cpu_s = 0, gpu_j = 0, gpu_s = 0;
  std::vector<std::string> cpu_parts, gpu_parts;
  bool any_package = false;
  for (const auto& [name, tot] : totals)
    if (name.rfind("energy:package-", 0) == 0 && name.find('/') == std::string::npos)
      any_package = true;
  for (const auto& [name, tot] : totals) {
    const bool rapl = name.rfind("energy:", 0) == 0;
    if (rapl) {
      const std::string zone = name.substr(7);
      const auto slash = zone.rfind('/');
      const std::string leaf = slash == std::string::npos ? zone : zone.substr(slash + 1);
      const bool top_package = zone.rfind("package-", 0) == 0 && slash == std::string::npos;
      const bool use =
          top_package || leaf.rfind("dram", 0) == 0 || (!any_package && leaf.rfind("psys", 0) == 0);
      if (!use) continue;
      cpu_j += tot.per_repetition();
      cpu_s = std::max(cpu_s, tot.seconds / static_cast<double>(tot.repetitions));
      cpu_parts.push_back(name);
    } else if (name.size() > 7 && name.compare(name.size() - 7, 7, ":energy") == 0 &&
               name.rfind("gpu", 0) == 0) {
      gpu_j += tot.per_repetition();
      gpu_s = std::max(gpu_s, tot.seconds / static_cast<double>(tot.repetitions));
      gpu_parts.push_back(name);
    }
  }
  auto energy_name = [](const std::string& n) {
    return n.rfind("energy", 0) == 0 || n.find(":energy") != std::string::npos || n == "rapl" ||
           n == "nvml" || n == "gpu-energy";
  };
  bool energy_requested = false;
  for (const auto& [n, r] : why_not) energy_requested = energy_requested || energy_name(n);
  if (!cpu_parts.empty() || !gpu_parts.empty()) {
    const double joules = cpu_j + gpu_j;
    std::vector<std::string> parts = cpu_parts;
    parts.insert(parts.end(), gpu_parts.begin(), gpu_parts.end());
    derived["joules"] = {{"value", joules},
                         {"unit", "joule per repetition"},
                         {"formula", fmt::format("sum of {}", fmt::join(parts, " + "))}};
    if (!cpu_parts.empty())
      derived["cpu_joules"] = {{"value", cpu_j}, {"unit", "joule per repetition"}};
    if (!gpu_parts.empty())
      derived["gpu_joules"] = {{"value", gpu_j}, {"unit", "joule per repetition"}};
    double watts = 0;
    if (cpu_s > 0) watts += cpu_j / cpu_s;
    if (gpu_s > 0) watts += gpu_j / gpu_s;
    derived["average_watts"] = {
        {"value", watts},
        {"unit", "watt"},
        {"formula", "energy / timed seconds of the energy windows, per source, summed"}};
    if (work.flops && joules > 0)
      derived["gflop_per_joule"] = {{"value", *work.flops / joules * 1e-9},
                                    {"unit", "GFLOP/J"},
                                    {"formula", "declared flops per repetition / joules"}};
    if (work.items && *work.items > 0)
      derived["joules_per_item"] = {{"value", joules / *work.items},
                                    {"unit", fmt::format("joule per {}", work.item_unit)},
                                    {"formula", "joules per repetition / items per repetition"}};
  } else if (energy_requested) {
    std::string reason = "no energy counter could be read";
    for (const auto& [n, r] : why_not)
      if (energy_name(n)) {
        reason = fmt::format("needs {}: {}", n, r);
        break;
      }
    derived_unavailable["joules"] = reason;
  }

  // Counted floating-point work against the workload's declared work (counters can lie:
  // RRZE-HPC/likwid#767).
  for (const char* fp : {"fp-ops", "PAPI_FP_OPS", "PAPI_SP_OPS", "PAPI_DP_OPS"}) {
    if (!requested(fp)) continue;
    if (!have(fp)) {
      derived_unavailable["fp_work_ratio"] = *missing({fp});
      continue;
    }
    if (!work.flops || *work.flops <= 0) {
      derived_unavailable["fp_work_ratio"] = "the workload declares no flops";
      break;
    }
    const double counted = totals.at(fp).per_repetition();
    const double r = counted / *work.flops;
    derived["fp_work_ratio"] = {{"value", r},
                                {"counted_per_repetition", counted},
                                {"declared_per_repetition", *work.flops},
                                {"event", fp},
                                {"formula", fmt::format("{} / declared flops", fp)},
                                {"flagged", std::abs(r - 1) > 0.1}};
    if (std::abs(r - 1) > 0.1)
      derived["fp_work_ratio"]["note"] =
          "counted and declared work differ by more than 10 %: the PMU's FP event or the "
          "work model is off (some parts count FMA once, or half their FP operations)";
    derived_unavailable.erase("fp_work_ratio");
    break;
  }
  out["derived"] = derived;
  if (!derived_unavailable.empty()) out["derived_unavailable"] = derived_unavailable;
  return out;
}

json collectors_context(const std::vector<const collector*>& all,
                        const std::map<std::string, std::string>& failed) {
  json out = json::object();
  for (const collector* c : all) {
    json j;
    const auto f = failed.find(c->name());
    if (f != failed.end()) {
      j["status"] = "unavailable";
      j["reason"] = f->second;
    } else if (c->metrics().empty()) {
      j["status"] = "unavailable";
      j["reason"] = c->unavailable_reason().empty() ? "none of the requested metrics is available"
                                                    : c->unavailable_reason();
    } else {
      j["status"] = "available";
    }
    j["metrics"] = json::array();
    for (const auto& m : c->metrics()) j["metrics"].push_back(m.name);
    if (!c->unavailable().empty()) j["unavailable_metrics"] = c->unavailable();
    if (!c->describe().empty()) j["detail"] = c->describe();
    out[c->name()] = j;
  }
  return out;
}

}  // namespace mlhpc
