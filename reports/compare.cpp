#include "reports/compare.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "bench/error.hpp"
#include "bench/rates.hpp"
#include "bench/result_file.hpp"
#include "bench/stats.hpp"
#include "bench/text.hpp"
#include "reports/statistics.hpp"

namespace mlhpc::reports {

using nlohmann::json;

json load_result_file(const std::string& path) {
  json doc = read_result_file(path);
  std::set<std::string> keys;
  for (const auto& r : doc["results"]) {
    const std::string key = r["key"];
    if (!keys.insert(key).second)
      throw usage_error(fmt::format(
          "'{}': the result key '{}' appears twice; a comparison needs one result per problem",
          path, key));
  }
  return doc;
}

namespace {

std::string text_of(const json& j) {
  return j.is_string() ? j.get<std::string>() : j.dump();
}

// What of the context changes the meaning of a comparison.
json context_differences(const json& a, const json& b) {
  json out = json::array();
  auto at = [](const json& doc, const std::vector<std::string>& path) -> json {
    const json* p = &doc;
    for (const auto& k : path) {
      if (!p->is_object() || !p->contains(k)) return nullptr;
      p = &(*p)[k];
    }
    return *p;
  };
  const std::vector<std::pair<std::string, std::vector<std::string>>> fields = {
      {"host", {"context", "system", "host"}},
      {"CPU model", {"context", "system", "cpu", "model_name"}},
      {"CPU vendor", {"context", "system", "cpu", "vendor"}},
      {"CPU family/model", {"context", "system", "cpu", "model"}},
      {"sockets", {"context", "system", "topology", "sockets"}},
      {"cores", {"context", "system", "topology", "cores"}},
      {"hardware threads", {"context", "system", "topology", "hardware_threads"}},
      {"governor", {"context", "system", "frequency", "governor"}},
      {"threads", {"run", "threads"}},
      {"compiler", {"context", "tool", "compiler"}},
      {"build type", {"context", "tool", "build_type"}},
      {"kernel", {"context", "system", "kernel"}},
  };
  for (const auto& [what, path] : fields) {
    const json x = at(a, path), y = at(b, path);
    if (x != y) out.push_back({{"what", what}, {"base", x}, {"new", y}});
  }
  const json la = at(a, {"context", "libraries"}), lb = at(b, {"context", "libraries"});
  std::set<std::string> libs;
  if (la.is_object())
    for (const auto& [k, v] : la.items()) libs.insert(k);
  if (lb.is_object())
    for (const auto& [k, v] : lb.items()) libs.insert(k);
  for (const auto& lib : libs) {
    const json x = la.is_object() && la.contains(lib) ? la[lib] : json(nullptr);
    const json y = lb.is_object() && lb.contains(lib) ? lb[lib] : json(nullptr);
    const json vx = x.is_object() && x.contains("version") ? x["version"] : x;
    const json vy = y.is_object() && y.contains("version") ? y["version"] : y;
    if (vx != vy) out.push_back({{"what", "library " + lib}, {"base", vx}, {"new", vy}});
  }
  return out;
}

// The key results pair by: the pairing key where the file has one (schema 1.3), else the key.
std::string pairing_key(const json& r) {
  if (r.contains("pairing_key") && r["pairing_key"].is_string()) return r["pairing_key"];
  return r["key"];
}

// The work of one repetition in the unit the result is judged by (flops, bytes, items), or 0
// when it declares none. `peak` calibrates its repetition to about 20 ms in every run, so two
// runs can time different amounts of work: samples are compared per unit of work.
double work_of(const json& r) {
  return judged_work(r);
}

std::vector<double> samples_of(const json& r) {
  std::vector<double> v;
  if (r.contains("measurement"))
    for (const auto& x : r["measurement"]["samples_s"]) v.push_back(x.get<double>());
  return v;
}

// Samples of `r` scaled to the work of `ref` (unchanged when the work is equal or unknown).
std::vector<double> samples_scaled(const json& r, const json& ref) {
  auto v = samples_of(r);
  const double w = work_of(r), w0 = work_of(ref);
  if (w > 0 && w0 > 0 && w != w0)
    for (auto& x : v) x *= w0 / w;
  return v;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return quantile_sorted(v, 0.5);
}

// The rate the result is judged by and whether higher is better (every rate is work / time).
std::pair<std::string, std::string> metric_of(const json& r) {
  if (const std::string m = judged_metric(r); !m.empty()) return {m, "higher is better"};
  return {"time", "lower is better"};
}

json compare_pair(const json& a, const json& b, const compare_options& opt) {
  json p = {{"key", pairing_key(a)}, {"workload", a["workload"]}};
  // What tables print: the new result's key without default parameters, where it has one.
  if (b.contains("label") && b["label"].is_string()) p["label"] = b["label"];
  const auto [metric, direction] = metric_of(b);
  p["metric"] = metric;
  p["direction"] = direction;
  json warnings = json::array();
  auto verdict = [&](const std::string& v, const std::string& why) {
    p["verdict"] = v;
    p["reason"] = why;
    if (!warnings.empty()) p["warnings"] = warnings;
    return p;
  };
  const std::string sa = a["status"], sb = b["status"];
  if (sb == "failed" && sa == "ok")
    return verdict("regressed",
                   fmt::format("the new run's problem failed: {}", b.value("reason", "?")));
  if (sa != "ok" || sb != "ok")
    return verdict("inconclusive",
                   fmt::format("not measured on both sides (base {}, new {})", sa, sb));
  const auto x = samples_of(a), y = samples_scaled(b, a);
  if (const double wa = work_of(a), wb = work_of(b); wa > 0 && wb > 0 && wa != wb)
    p["work_scaled"] = fmt::format(
        "the new run's repetition did {:.4g} times the base's work; "
        "its times are scaled to the base's work",
        wb / wa);
  p["base_n"] = x.size();
  p["new_n"] = y.size();
  for (const auto& [side, n] : {std::pair{"base", x.size()}, {"new", y.size()}})
    if (static_cast<int>(n) < opt.warn_samples)
      warnings.push_back(
          fmt::format("{} has {} samples; at least {} are advised", side, n, opt.warn_samples));
  const auto ci = bootstrap_median_ratio(x, y, opt.resamples, 0.95, opt.seed);
  const auto u = mann_whitney_u(x, y);
  p["base_median_s"] = a["statistics"]["median_s"];
  p["new_median_s"] = y.empty() ? b["statistics"]["median_s"].get<double>() : median(y);
  p["time_ratio"] = ci.ratio;
  p["time_ratio_ci95"] = {
      {"low", ci.low}, {"high", ci.high}, {"method", ci.method}, {"resamples", ci.resamples}};
  // The judged metric's ratio: rates are work / time, so the inverse for "higher is better".
  p["metric_ratio"] = metric == "time" ? ci.ratio : 1 / ci.ratio;
  p["p_value"] = u.p_value;
  p["test"] = u.exact ? "Mann-Whitney U, exact" : "Mann-Whitney U, normal approximation";
  const double up = 1 + opt.threshold, down = 1 / (1 + opt.threshold);
  if (static_cast<int>(std::min(x.size(), y.size())) < opt.min_samples)
    return verdict("inconclusive", fmt::format("fewer than {} samples on a side", opt.min_samples));
  const bool significant = u.p_value < opt.alpha;
  if (significant && ci.low > up)
    return verdict("regressed", fmt::format("{:.1f} % slower (95 % interval {:.1f} to {:.1f} %), "
                                            "p = {:.2g}",
                                            (ci.ratio - 1) * 100, (ci.low - 1) * 100,
                                            (ci.high - 1) * 100, u.p_value));
  if (significant && ci.high < down)
    return verdict("improved", fmt::format("{:.1f} % faster (95 % interval {:.1f} to {:.1f} %), "
                                           "p = {:.2g}",
                                           (1 - ci.ratio) * 100, (1 - ci.high) * 100,
                                           (1 - ci.low) * 100, u.p_value));
  if (ci.low >= down && ci.high <= up)
    return verdict("unchanged", fmt::format("the 95 % interval of the time ratio, {:.3f} to "
                                            "{:.3f}, is within the {:.0f} % threshold",
                                            ci.low, ci.high, opt.threshold * 100));
  return verdict("inconclusive",
                 fmt::format("the 95 % interval of the time ratio, {:.3f} to {:.3f}, straddles "
                             "the {:.0f} % threshold{}",
                             ci.low, ci.high, opt.threshold * 100,
                             significant ? "" : fmt::format(" (p = {:.2g})", u.p_value)));
}

json summary_of(const json& pairs) {
  std::map<std::string, std::vector<double>> by;
  std::map<std::string, std::map<std::string, int>> counts;
  std::vector<double> all;
  std::map<std::string, int> total;
  for (const auto& p : pairs) {
    const std::string w = p["workload"], v = p["verdict"];
    ++counts[w][v];
    ++total[v];
    if (p.contains("time_ratio")) {
      by[w].push_back(p["time_ratio"]);
      all.push_back(p["time_ratio"]);
    }
  }
  json out = {{"by_workload", json::object()}};
  for (const auto& [w, c] : counts) {
    json s = {{"verdicts", c}};
    if (by.count(w)) {
      s["geomean_time_ratio"] = geometric_mean(by[w]);
      s["pairs_measured"] = by[w].size();
    }
    out["by_workload"][w] = s;
  }
  out["overall"] = {{"verdicts", total}, {"pairs_measured", all.size()}};
  if (!all.empty()) out["overall"]["geomean_time_ratio"] = geometric_mean(all);
  return out;
}

// The comparison `out` with its pairs, the keys of one side only, the summary and the count of
// regressions.
json with_pairs(json out, json pairs, json only_base, json only_new) {
  int regressed = 0;
  for (const auto& p : pairs) regressed += p["verdict"] == "regressed";
  out["summary"] = summary_of(pairs);
  out["pairs"] = std::move(pairs);
  out["only_in_base"] = std::move(only_base);
  out["only_in_new"] = std::move(only_new);
  out["regressed"] = regressed;
  return out;
}

}  // namespace

json compare(const json& base, const std::string& base_path, const json& neu,
             const std::string& new_path, const compare_options& opt) {
  json out = {{"base", base_path},
              {"new", new_path},
              {"threshold", opt.threshold},
              {"alpha", opt.alpha},
              {"context_differences", context_differences(base, neu)}};
  std::map<std::string, const json*> in_base, in_new;
  for (const auto& r : base["results"]) in_base.emplace(pairing_key(r), &r);
  for (const auto& r : neu["results"]) in_new.emplace(pairing_key(r), &r);
  json pairs = json::array(), only_base = json::array(), only_new = json::array();
  std::set<std::string> done;
  for (const auto& r : base["results"]) {
    const std::string key = pairing_key(r);
    if (!done.insert(key).second) continue;
    if (!in_new.count(key)) {
      only_base.push_back(key);
      continue;
    }
    pairs.push_back(compare_pair(r, *in_new[key], opt));
  }
  for (const auto& r : neu["results"])
    if (!in_base.count(pairing_key(r))) only_new.push_back(pairing_key(r));
  return with_pairs(std::move(out), std::move(pairs), std::move(only_base), std::move(only_new));
}

namespace {

std::string files_text(const std::vector<std::string>& paths) {
  if (paths.size() == 1) return paths.front();
  return fmt::format("{} and {} more", paths.front(), paths.size() - 1);
}

json compare_group_pair(const std::string& key, const std::vector<const json*>& a,
                        const std::vector<const json*>& b, bool paired,
                        const compare_options& opt) {
  json p = {{"key", key}, {"workload", (*a.front())["workload"]}};
  const auto [metric, direction] = metric_of(*b.front());
  p["metric"] = metric;
  p["direction"] = direction;
  p["base_runs"] = a.size();
  p["new_runs"] = b.size();
  auto verdict = [&](const std::string& v, const std::string& why) {
    p["verdict"] = v;
    p["reason"] = why;
    return p;
  };
  int base_ok = 0, new_ok = 0, new_failed = 0;
  for (const json* r : a) base_ok += (*r)["status"] == "ok";
  for (const json* r : b) {
    new_ok += (*r)["status"] == "ok";
    new_failed += (*r)["status"] == "failed";
  }
  if (new_failed > 0 && base_ok == static_cast<int>(a.size()))
    return verdict("regressed", fmt::format("the problem failed in {} of the {} new runs",
                                            new_failed, b.size()));
  if (base_ok < static_cast<int>(a.size()) || new_ok < static_cast<int>(b.size()))
    return verdict("inconclusive",
                   fmt::format("not measured in every run (ok in {} of {} base runs, {} of {} "
                               "new runs)",
                               base_ok, a.size(), new_ok, b.size()));
  // Every run's samples per unit of the first base run's work (see work_of).
  const json& ref = *a.front();
  std::vector<std::vector<double>> x, y;
  std::size_t nx = 0, ny = 0;
  for (const json* r : a) {
    x.push_back(samples_scaled(*r, ref));
    nx += x.back().size();
  }
  for (const json* r : b) {
    y.push_back(samples_scaled(*r, ref));
    ny += y.back().size();
  }
  p["base_n"] = nx;
  p["new_n"] = ny;
  const auto boot =
      hierarchical_bootstrap_ratio(x, y, paired, opt.resamples, 1 - opt.alpha, opt.seed);
  std::vector<double> mx, my;
  for (const auto& g : x) mx.push_back(median(g));
  for (const auto& g : y) my.push_back(median(g));
  p["base_median_s"] = geometric_mean(mx);
  p["new_median_s"] = geometric_mean(my);
  p["hierarchical_bootstrap"] = {{"ratio", boot.ratio},         {"low", boot.low},
                                 {"high", boot.high},           {"level", 1 - opt.alpha},
                                 {"resamples", boot.resamples}, {"method", boot.method}};
  double ratio = boot.ratio, low = boot.low, high = boot.high;
  std::string method = "hierarchical bootstrap: runs of each side, then samples";
  if (std::string(boot.method) != direct_method) method += fmt::format(" ({})", boot.method);
  if (paired) {
    // Rounds: the ratio of the two medians of each round, so the drift the round shares cancels.
    // The estimate is the median round ratio, its interval the distribution-free order-statistic
    // interval of a median (binomial), which one disrupted round cannot move and which needs no
    // normality: 6 rounds give [min, max] at 96.9 %, 9 rounds [2nd, 8th] at 96.1 %.
    std::vector<double> rr = boot.group_ratios;
    p["round_ratios"] = rr;
    std::sort(rr.begin(), rr.end());
    ratio = quantile_sorted(rr, 0.5);
    const auto ci = median_ci(rr, 1 - opt.alpha);
    if (!ci) {
      p["time_ratio"] = ratio;
      p["metric_ratio"] = metric == "time" ? ratio : 1 / ratio;
      return verdict("inconclusive",
                     fmt::format("{} rounds give no distribution-free {:.0f} % interval of the "
                                 "median round ratio (6 rounds at least for 95 %)",
                                 rr.size(), (1 - opt.alpha) * 100));
    }
    low = ci->low;
    high = ci->high;
    method = fmt::format(
        "median of the per-round ratios of medians; order-statistic interval (ranks {} and {} "
        "of {}, coverage {:.3f})",
        ci->lower_rank, rr.size() + 1 - ci->lower_rank, rr.size(), ci->achieved);
  }
  p["time_ratio"] = ratio;
  p["time_ratio_ci95"] = {{"low", low},
                          {"high", high},
                          {"level", 1 - opt.alpha},
                          {"method", method},
                          {"resamples", boot.resamples}};
  p["metric_ratio"] = metric == "time" ? ratio : 1 / ratio;
  const double up = 1 + opt.threshold, down = 1 / (1 + opt.threshold);
  if (static_cast<int>(std::min(a.size(), b.size())) < 2)
    return verdict("inconclusive", "one run on a side: run-to-run variation is not measured");
  if (low > 1 && ratio >= up)
    return verdict("regressed", fmt::format("{:.1f} % slower (interval {:.1f} to {:.1f} %) over "
                                            "{} and {} runs",
                                            (ratio - 1) * 100, (low - 1) * 100, (high - 1) * 100,
                                            a.size(), b.size()));
  if (high < 1 && ratio <= down)
    return verdict("improved", fmt::format("{:.1f} % faster (interval {:.1f} to {:.1f} %) over {} "
                                           "and {} runs",
                                           (1 - ratio) * 100, (1 - high) * 100, (1 - low) * 100,
                                           a.size(), b.size()));
  if (low >= down && high <= up)
    return verdict("unchanged", fmt::format("the interval of the time ratio, {:.3f} to {:.3f}, "
                                            "is within the {:.0f} % threshold",
                                            low, high, opt.threshold * 100));
  return verdict("inconclusive",
                 fmt::format("ratio {:.3f}, interval {:.3f} to {:.3f}: neither a change of at "
                             "least {:.0f} % whose interval excludes 1, nor inside the threshold",
                             ratio, low, high, opt.threshold * 100));
}

}  // namespace

json compare_groups(const std::vector<json>& base, const std::vector<std::string>& base_paths,
                    const std::vector<json>& neu, const std::vector<std::string>& new_paths,
                    bool paired, const compare_options& opt) {
  MLHPC_ASSERT(!base.empty() && !neu.empty());
  if (paired && base.size() != neu.size())
    throw usage_error(
        fmt::format("paired comparison: {} base runs but {} new runs (a round "
                    "holds one of each)",
                    base.size(), neu.size()));
  json out = {{"base", files_text(base_paths)},
              {"new", files_text(new_paths)},
              {"base_files", base_paths},
              {"new_files", new_paths},
              {"paired", paired},
              {"threshold", opt.threshold},
              {"alpha", opt.alpha},
              {"context_differences", context_differences(base.front(), neu.front())}};
  // Keys in the first base run's order; a key is compared when every run of both sides has it.
  std::vector<std::string> keys;
  for (const auto& r : base.front()["results"])
    if (std::find(keys.begin(), keys.end(), pairing_key(r)) == keys.end())
      keys.push_back(pairing_key(r));
  auto find = [](const json& doc, const std::string& key) -> const json* {
    for (const auto& r : doc["results"])
      if (pairing_key(r) == key) return &r;
    return nullptr;
  };
  json pairs = json::array(), only_base = json::array(), only_new = json::array();
  for (const auto& key : keys) {
    std::vector<const json*> a, b;
    for (const auto& d : base)
      if (const json* r = find(d, key)) a.push_back(r);
    for (const auto& d : neu)
      if (const json* r = find(d, key)) b.push_back(r);
    if (b.empty()) {
      only_base.push_back(key);
      continue;
    }
    if (a.size() != base.size() || b.size() != neu.size()) {
      pairs.push_back({{"key", key},
                       {"workload", (*a.front())["workload"]},
                       {"verdict", "inconclusive"},
                       {"reason", fmt::format("in {} of {} base runs and {} of {} new runs",
                                              a.size(), base.size(), b.size(), neu.size())}});
      continue;
    }
    pairs.push_back(compare_group_pair(key, a, b, paired, opt));
  }
  for (const auto& r : neu.front()["results"])
    if (std::find(keys.begin(), keys.end(), pairing_key(r)) == keys.end())
      only_new.push_back(pairing_key(r));
  return with_pairs(std::move(out), std::move(pairs), std::move(only_base), std::move(only_new));
}

namespace {

std::string ratio_text(const json& p) {
  if (!p.contains("time_ratio")) return "-";
  if (!p.contains("time_ratio_ci95")) return fmt::format("{:.3f}", p["time_ratio"].get<double>());
  return fmt::format("{:.3f} [{:.3f}, {:.3f}]", p["time_ratio"].get<double>(),
                     p["time_ratio_ci95"]["low"].get<double>(),
                     p["time_ratio_ci95"]["high"].get<double>());
}

// The judged metric's change in its own direction: "+9.1 % flops_per_s (higher is better)".
std::string rate_change(const json& p) {
  if (!p.contains("metric_ratio")) return "-";
  return fmt::format("{:+.1f} % {}", (p["metric_ratio"].get<double>() - 1) * 100,
                     p["metric"].get<std::string>());
}

std::string seconds(const json& p, const char* key) {
  if (!p.contains(key)) return "-";
  const double s = p[key];
  if (s >= 1) return fmt::format("{:.3g} s", s);
  if (s >= 1e-3) return fmt::format("{:.3g} ms", s * 1e3);
  return fmt::format("{:.3g} us", s * 1e6);
}

}  // namespace

std::string format_console(const std::vector<json>& comparisons) {
  std::string out;
  for (const auto& c : comparisons) {
    out +=
        fmt::format("compare {} (base) with {} (new); threshold {:.0f} %\n",
                    terminal_text(c["base"].get<std::string>()),
                    terminal_text(c["new"].get<std::string>()), c["threshold"].get<double>() * 100);
    if (!c.contains("paired"))
      out +=
          "note: one run per side: the intervals see the variation within each run, not the "
          "drift between runs; to gate CI on a shared machine use 'mlhpc ab' or several runs "
          "per side (--base ... --new ...)\n";
    else if (c["paired"].get<bool>())
      out +=
          "rounds: per problem the median of the per-round ratios, with the order-statistic "
          "interval of a median\n";
    else
      out += "runs pooled per side: hierarchical bootstrap over runs, then samples\n";
    if (!c["context_differences"].empty()) {
      out +=
          "WARNING: the two runs differ in what matters; a difference below may be the "
          "system, not a regression:\n";
      for (const auto& d : c["context_differences"])
        out += fmt::format("  {}: {} -> {}\n", terminal_text(d["what"].get<std::string>()),
                           terminal_text(text_of(d["base"])), terminal_text(text_of(d["new"])));
    }
    std::vector<std::vector<std::string>> rows = {
        {"problem", "base", "new", "time ratio [95% CI]", "rate change", "p", "verdict"}};
    for (const auto& p : c["pairs"])
      rows.push_back(
          {p.contains("label") ? p["label"] : p["key"], seconds(p, "base_median_s"),
           seconds(p, "new_median_s"), ratio_text(p), rate_change(p),
           p.contains("p_value") ? fmt::format("{:.2g}", p["p_value"].get<double>()) : "-",
           p["verdict"]});
    for (auto& r : rows)
      for (auto& cell : r) cell = terminal_text(cell);  // cells come from files
    std::vector<std::size_t> w(rows[0].size(), 0);
    for (const auto& r : rows)
      for (std::size_t i = 0; i < r.size(); ++i) w[i] = std::max(w[i], r[i].size());
    // The problem column takes what the others leave of 118 columns (at least 30).
    std::size_t others = 0;
    for (std::size_t i = 1; i < w.size(); ++i) others += w[i] + 2;
    if (const std::size_t budget = others + 30 < 118 ? 118 - others : 30; w[0] > budget) {
      for (auto& r : rows) r[0] = cut_middle(r[0], budget);
      w[0] = budget;
    }
    for (const auto& r : rows) {
      for (std::size_t i = 0; i < r.size(); ++i)
        out += i + 1 == r.size() ? r[i] : fmt::format("{:<{}}  ", r[i], w[i]);
      out += '\n';
    }
    for (const auto& p : c["pairs"])
      if (p.contains("warnings"))
        for (const auto& wn : p["warnings"])
          out += fmt::format("warning: {}: {}\n", terminal_text(p["key"].get<std::string>()),
                             terminal_text(wn.get<std::string>()));
    for (const auto& k : c["only_in_base"])
      out += fmt::format("only in base: {}\n", terminal_text(k.get<std::string>()));
    for (const auto& k : c["only_in_new"])
      out += fmt::format("only in new: {}\n", terminal_text(k.get<std::string>()));
    for (const auto& [w2, s] : c["summary"]["by_workload"].items())
      if (s.contains("geomean_time_ratio"))
        out +=
            fmt::format("{}: geometric mean time ratio {:.3f} over {} pairs\n", terminal_text(w2),
                        s["geomean_time_ratio"].get<double>(), s["pairs_measured"].get<int>());
    if (c["summary"]["overall"].contains("geomean_time_ratio"))
      out += fmt::format("overall: geometric mean time ratio {:.3f}; {} regressed\n\n",
                         c["summary"]["overall"]["geomean_time_ratio"].get<double>(),
                         c["regressed"].get<int>());
  }
  return out;
}

std::string format_markdown(const std::vector<json>& comparisons) {
  std::string out;
  for (const auto& c : comparisons) {
    out += fmt::format("### mlhpc compare: {} vs {}\n\n", markdown_escape(c["new"]),
                       markdown_escape(c["base"]));
    if (!c["context_differences"].empty()) {
      out += "> **Warning:** the runs differ in hardware or software that matters:\n";
      for (const auto& d : c["context_differences"])
        out += fmt::format("> - {}: {} → {}\n", markdown_escape(d["what"]),
                           markdown_escape(text_of(d["base"])), markdown_escape(text_of(d["new"])));
      out += "\n";
    }
    out +=
        "| problem | base | new | time ratio [95% CI] | p | verdict |\n|---|---|---|---|---|---|\n";
    for (const auto& p : c["pairs"])
      out += fmt::format(
          "| {} | {} | {} | {} | {} | {} |\n", markdown_escape(p["key"]),
          seconds(p, "base_median_s"), seconds(p, "new_median_s"), ratio_text(p),
          p.contains("p_value") ? fmt::format("{:.2g}", p["p_value"].get<double>()) : "-",
          p["verdict"] == "regressed" ? "**regressed**" : p["verdict"].get<std::string>());
    out += fmt::format("\n{} regressed; threshold {:.0f} %", c["regressed"].get<int>(),
                       c["threshold"].get<double>() * 100);
    if (c["summary"]["overall"].contains("geomean_time_ratio"))
      out += fmt::format("; geometric mean time ratio {:.3f}",
                         c["summary"]["overall"]["geomean_time_ratio"].get<double>());
    out += ".\n\n";
  }
  return out;
}

json compare_fleet(const std::vector<json>& docs, const std::vector<std::string>& paths,
                   double z_limit, double min_effect) {
  std::vector<std::string> nodes;
  for (std::size_t i = 0; i < docs.size(); ++i) {
    std::string n = paths[i];
    if (docs[i].contains("context") && docs[i]["context"].contains("system") &&
        docs[i]["context"]["system"].contains("host"))
      n = docs[i]["context"]["system"]["host"].get<std::string>();
    // Two files from one host keep apart by their file names.
    if (std::find(nodes.begin(), nodes.end(), n) != nodes.end()) n += " (" + paths[i] + ")";
    nodes.push_back(n);
  }
  // Keys in the order of the first file, then any others.
  std::vector<std::string> keys;
  for (const auto& d : docs)
    for (const auto& r : d["results"])
      if (std::find(keys.begin(), keys.end(), r["key"]) == keys.end()) keys.push_back(r["key"]);
  json metrics = json::array();
  std::map<std::string, int> slow_count;
  for (const auto& key : keys) {
    std::vector<double> medians;
    std::vector<std::string> who;
    json missing = json::array();
    for (std::size_t i = 0; i < docs.size(); ++i) {
      const json* found = nullptr;
      for (const auto& r : docs[i]["results"])
        if (r["key"] == key) found = &r;
      if (found == nullptr || (*found)["status"] != "ok") {
        missing.push_back(nodes[i]);
        continue;
      }
      medians.push_back((*found)["statistics"]["median_s"]);
      who.push_back(nodes[i]);
    }
    json m = {{"key", key}, {"nodes", json::array()}};
    if (!missing.empty()) m["not_measured_on"] = missing;
    if (medians.empty()) {
      metrics.push_back(m);
      continue;
    }
    std::vector<double> sorted = medians;
    std::sort(sorted.begin(), sorted.end());
    const double med = quantile_sorted(sorted, 0.5);
    m["median_s"] = med;
    m["min_s"] = sorted.front();
    m["max_s"] = sorted.back();
    m["spread"] = sorted.back() / sorted.front() - 1;
    const auto z = robust_z(medians);
    json outliers = json::array();
    for (std::size_t i = 0; i < medians.size(); ++i) {
      json n = {{"node", who[i]}, {"median_s", medians[i]}, {"ratio_to_median", medians[i] / med}};
      if (std::isfinite(z[i])) n["robust_z"] = z[i];
      m["nodes"].push_back(n);
      if (medians.size() >= 3 && std::fabs(z[i]) > z_limit &&
          std::fabs(medians[i] / med - 1) >= min_effect) {
        outliers.push_back({{"node", who[i]},
                            {"direction", medians[i] > med ? "slow" : "fast"},
                            {"ratio_to_median", medians[i] / med}});
        if (medians[i] > med) ++slow_count[who[i]];
      }
    }
    m["outliers"] = outliers;
    if (medians.size() < 3)
      m["note"] = fmt::format(
          "measured on {} node{}: an outlier needs at least 3 (with two, the median is their "
          "midpoint and both are equally far from it, so neither can be called the odd one)",
          medians.size(), medians.size() == 1 ? "" : "s");
    metrics.push_back(m);
  }
  json slow = json::array();
  for (const auto& [n, c] : slow_count) slow.push_back({{"node", n}, {"slow_in", c}});
  return {{"nodes", nodes},
          {"files", paths},
          {"z_limit", z_limit},
          {"min_effect", min_effect},
          {"method",
           "per key, each node's median time; an outlier has robust |z| = |x - median| / "
           "(1.4826 MAD) above z_limit and differs from the median by at least min_effect; "
           "at least 3 nodes"},
          {"metrics", metrics},
          {"slow_nodes", slow}};
}

std::string format_fleet_console(const json& f) {
  std::string out = fmt::format(
      "fleet of {} nodes; outliers: robust |z| > {} and at least {:.0f} % from the median\n",
      f["nodes"].size(), f["z_limit"].get<double>(), f.value("min_effect", 0.0) * 100);
  if (f["nodes"].size() < 3)
    out +=
        "no outliers can be named with fewer than 3 nodes: with two, the median is their "
        "midpoint and both are equally far from it\n";
  for (const auto& m : f["metrics"]) {
    if (!m.contains("median_s")) {
      out += fmt::format("{}: measured on no node\n", terminal_text(m["key"].get<std::string>()));
      continue;
    }
    std::string odd;
    for (const auto& o : m["outliers"])
      odd += fmt::format("  {} is {} ({:.2f}x the median)",
                         terminal_text(o["node"].get<std::string>()),
                         o["direction"].get<std::string>(), o["ratio_to_median"].get<double>());
    out += fmt::format("{}: median {}, spread {:.1f} %{}\n",
                       terminal_text(m["key"].get<std::string>()), seconds(m, "median_s"),
                       m["spread"].get<double>() * 100, odd.empty() ? "" : ";" + odd);
  }
  for (const auto& s : f["slow_nodes"])
    out += fmt::format("slow node: {} (in {} of {} metrics)\n",
                       terminal_text(s["node"].get<std::string>()), s["slow_in"].get<int>(),
                       f["metrics"].size());
  return out;
}

std::string format_fleet_markdown(const json& f) {
  std::string out = "| problem | median | spread | outliers |\n|---|---|---|---|\n";
  for (const auto& m : f["metrics"]) {
    std::string odd;
    for (const auto& o : m.value("outliers", json::array()))
      odd += fmt::format("{}{} {} ({:.2f}x)", odd.empty() ? "" : ", ", markdown_escape(o["node"]),
                         o["direction"].get<std::string>(), o["ratio_to_median"].get<double>());
    out += fmt::format(
        "| {} | {} | {} | {} |\n", markdown_escape(m["key"]), seconds(m, "median_s"),
        m.contains("spread") ? fmt::format("{:.1f} %", m["spread"].get<double>() * 100) : "-",
        odd.empty() ? "-" : odd);
  }
  return out;
}

std::string markdown_escape(const std::string& s) {
  return markdown_text(s);  // bench/text.hpp: the one Markdown escape
}

std::string xml_escape(const std::string& s) {
  std::string out;
  for (char ch : s) {
    switch (ch) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        // Control characters other than tab and newline are not allowed in XML 1.0.
        if (static_cast<unsigned char>(ch) < 0x20 && ch != '\t' && ch != '\n' && ch != '\r')
          out += "?";
        else
          out += ch;
    }
  }
  return out;
}

std::string format_junit(const std::vector<json>& comparisons) {
  int tests = 0, failures = 0, skipped = 0;
  std::string body;
  for (const auto& c : comparisons) {
    std::string cases;
    int t = 0, f = 0, s = 0;
    for (const auto& p : c["pairs"]) {
      ++t;
      const std::string v = p["verdict"];
      cases += fmt::format("    <testcase classname=\"{}\" name=\"{}\">", xml_escape(p["workload"]),
                           xml_escape(p["key"]));
      if (v == "regressed") {
        ++f;
        cases +=
            fmt::format("<failure message=\"{}\" type=\"regressed\"/>", xml_escape(p["reason"]));
      } else if (v == "inconclusive") {
        ++s;
        cases += fmt::format("<skipped message=\"{}\"/>", xml_escape(p["reason"]));
      }
      cases += fmt::format("<system-out>{}: {}</system-out></testcase>\n", xml_escape(v),
                           xml_escape(p["reason"]));
    }
    body += fmt::format(
        "  <testsuite name=\"mlhpc compare {}\" tests=\"{}\" failures=\"{}\" skipped=\"{}\" "
        "errors=\"0\">\n{}  </testsuite>\n",
        xml_escape(c["new"]), t, f, s, cases);
    tests += t;
    failures += f;
    skipped += s;
  }
  return fmt::format(
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"mlhpc compare\" "
      "tests=\"{}\" failures=\"{}\" skipped=\"{}\" errors=\"0\">\n{}</testsuites>\n",
      tests, failures, skipped, body);
}

}  // namespace mlhpc::reports
