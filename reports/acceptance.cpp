#include "reports/acceptance.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <map>

#include "bench/rates.hpp"
#include "bench/table.hpp"
#include "bench/text.hpp"

namespace mlhpc::reports {

using nlohmann::json;

namespace {

int rank_of(const std::string& v) {
  return v == "fail" ? 3 : v == "warn" ? 2 : v == "pass" ? 1 : 0;
}

std::string worse(const std::string& a, const std::string& b) {
  return rank_of(a) >= rank_of(b) ? a : b;
}

std::string by_ratio(double ratio, double warn, double fail) {
  return ratio < fail ? "fail" : ratio < warn ? "warn" : "pass";
}

std::string pct(double v) {
  return fmt::format("{:.1f} %", v * 100);
}

// One judgement of `measured` against `expected` into check["judgements"], or, when the ratio
// is not a finite number (a valid but tiny reference rate, 1e-310 B/s, overflows it), a note
// saying so and a warning: never a ratio written as null.
void judge(json& check, std::string& verdict, const std::string& against, double measured,
           double expected, const std::string& unit, double warn, double fail) {
  const double ratio = measured / expected;
  if (!std::isfinite(ratio) || !(expected > 0)) {
    check["notes"].push_back(
        fmt::format("not judged against {}: {:.6g} {} against {:.6g} gives no finite ratio",
                    against, measured, unit, expected));
    verdict = worse(verdict, "warn");
    return;
  }
  check["judgements"].push_back({{"against", against},
                                 {"measured", measured},
                                 {"expected", expected},
                                 {"unit", unit},
                                 {"ratio", ratio},
                                 {"warn_below", warn},
                                 {"fail_below", fail},
                                 {"verdict", by_ratio(ratio, warn, fail)}});
}

std::string pairing_key_of(const json& r) {
  if (r.contains("pairing_key") && r["pairing_key"].is_string()) return r["pairing_key"];
  return r.value("key", "");
}

json judge_result(const json& r, const json& doc,
                  const std::vector<std::pair<std::string, json>>& refs,
                  const acceptance_thresholds& t) {
  json check = {{"key", r.value("key", "")},
                {"label", r.value("label", r.value("key", ""))},
                {"judgements", json::array()},
                {"notes", json::array()}};
  std::string verdict = "unjudged";
  const std::string status = r.value("status", "");
  if (status == "failed") {
    check["verdict"] = "fail";
    check["notes"].push_back("failed: " + r.value("reason", std::string("?")));
    return check;
  }
  if (status == "skipped" || status == "interrupted" || !r.contains("statistics")) {
    check["verdict"] = "unjudged";
    check["notes"].push_back(
        status + (r.contains("reason") ? ": " + r["reason"].get<std::string>() : std::string()));
    return check;
  }
  if (status == "cached") {
    verdict = worse(verdict, "warn");
    check["notes"].push_back("cached: " + r.value("reason", std::string("?")) +
                             " (not a measurement of the storage)");
  }
  const std::string wl = r.value("workload", "");
  // Storage and network problems wait by nature: few busy threads says nothing about them.
  const bool waits = wl == "io" || r.value("variant", "") == "mpi";
  json untrusted = json::array();
  for (const auto& ti : r.value("trust_issues", json::array())) {
    const std::string code = ti.value("code", "");
    if (code == "above_ceiling" || code == "above_nominal_peak") {
      verdict = worse(verdict, "fail");
      check["notes"].push_back("counting error: " + ti.value("detail", std::string()));
    } else if (undermines_timing(code) && !(waits && code == "fewer_busy_threads")) {
      verdict = worse(verdict, "warn");
      untrusted.push_back(code);
    }
  }
  if (!untrusted.empty()) {
    std::string codes;
    for (const auto& c : untrusted)
      codes += fmt::format("{}{}", codes.empty() ? "" : ", ", c.get<std::string>());
    check["untrustworthy"] = untrusted;
    check["notes"].push_back("untrustworthy timing (" + codes + "): run again on a quiet node");
  }
  const std::string metric = judged_metric(r);
  const std::string unit = metric.empty() ? "" : rate_unit(r, metric);
  const std::string workload = r.value("workload", "");
  // Nominal: peak against the datasheet peak of its type, stream against the memory's.
  if (workload == "peak" && r.contains("provides_ceiling") && !metric.empty()) {
    const std::string key = r["provides_ceiling"].value("key", "");
    const json np = doc.contains("context") ? doc["context"].value("nominal_peak", json::object())
                                            : json::object();
    if (np.contains("rates") && np["rates"].contains(key))
      judge(check, verdict, "nominal peak (" + key + ")", r["rates"][metric]["best"].get<double>(),
            np["rates"][key]["value"].get<double>(), unit, t.nominal_warn, t.nominal_fail);
    else
      check["notes"].push_back("no nominal peak: " +
                               np.value("unavailable", std::string("not in the context")));
  }
  if (workload == "stream" && metric == "bytes_per_s") {
    if (t.memory_bytes_per_s > 0)
      judge(check, verdict, "nominal memory bandwidth", r["rates"][metric]["best"].get<double>(),
            t.memory_bytes_per_s, unit, t.memory_warn, t.memory_fail);
    else
      check["notes"].push_back(
          "no nominal memory bandwidth (give --memory-channels and --memory-mts)");
  }
  if (r.contains("ceiling") && r["ceiling"].contains("untrustworthy")) {
    // A share of a disturbed ceiling judges the ceiling's run, not this problem.
    check["notes"].push_back("not judged against the measured ceiling " +
                             r["ceiling"].value("key", std::string()) + ": " +
                             r["ceiling"]["untrustworthy"].get<std::string>());
  } else if (r.contains("ceiling") && r["ceiling"].contains("share")) {
    const bool step = workload == "resnet50";
    const double share = r["ceiling"]["share"].get<double>();
    judge(check, verdict, "measured ceiling (" + r["ceiling"].value("key", std::string()) + ")",
          share, 1.0, "share", step ? t.step_ceiling_warn : t.ceiling_warn,
          step ? t.step_ceiling_fail : t.ceiling_fail);
  }
  for (const auto& [path, ref] : refs) {
    const std::string key = pairing_key_of(r);
    bool found = false;
    for (const auto& q : ref.value("results", json::array())) {
      if (pairing_key_of(q) != key || q.value("status", "") != "ok") continue;
      if (metric.empty() || !q.contains("rates") || !q["rates"].contains(metric)) continue;
      judge(check, verdict, "reference " + path, r["rates"][metric]["median"].get<double>(),
            q["rates"][metric]["median"].get<double>(), unit, t.reference_warn, t.reference_fail);
      found = true;
      break;
    }
    if (!found) check["notes"].push_back("no result of this problem in the reference " + path);
  }
  if (r.contains("ranks") && r["ranks"].contains("acceptance")) {
    const auto& acc = r["ranks"]["acceptance"];
    for (const auto& o : acc.value("outliers", json::array())) {
      verdict = worse(verdict, "fail");
      check["notes"].push_back(fmt::format(
          "rank {} on {} stands out: {:+.1f} % from the median of the ranks", o.value("rank", -1),
          o.value("host", std::string("?")), o.value("deviation", 0.0) * 100));
    }
    for (const auto& o : acc.value("held_the_job", json::array())) {
      verdict = worse(verdict, "fail");
      check["notes"].push_back(fmt::format(
          "rank {} on {} holds the job: its threads waited for a CPU {:.0f} % of their runnable "
          "time, the other ranks {:.0f} %{}",
          o.value("rank", -1), o.value("host", std::string("?")),
          o.value("cpu_wait_share", 0.0) * 100, o.value("others_cpu_wait_share", 0.0) * 100,
          o.contains("cgroup_throttled_s")
              ? fmt::format(" (its cgroup's CPU quota throttled it {:.3g} s)",
                            o["cgroup_throttled_s"].get<double>())
              : std::string()));
    }
  }
  for (const auto& j : check["judgements"]) verdict = worse(verdict, j["verdict"]);
  // Notes alone (untrustworthy, cached) make a warning, which is a judgement of its own.
  check["verdict"] = verdict;
  return check;
}

}  // namespace

json judge_node(const json& doc, const std::vector<std::pair<std::string, json>>& refs,
                const acceptance_thresholds& t) {
  json checks = json::array();
  std::map<std::string, int> counts = {{"pass", 0}, {"warn", 0}, {"fail", 0}, {"unjudged", 0}};
  std::string node = "unjudged";
  for (const auto& r : doc.value("results", json::array())) {
    json c = judge_result(r, doc, refs, t);
    ++counts[c["verdict"].get<std::string>()];
    node = worse(node, c["verdict"]);
    checks.push_back(std::move(c));
  }
  json ref_paths = json::array();
  for (const auto& [p, d] : refs) ref_paths.push_back(p);
  std::string host = "?";
  if (doc.contains("context") && doc["context"].contains("system"))
    host = doc["context"]["system"].value("host", "?");
  json out = {
      {"verdict", node},
      {"host", host},
      {"counts", counts},
      {"references", ref_paths},
      {"thresholds",
       {{"nominal", {{"warn_below", t.nominal_warn}, {"fail_below", t.nominal_fail}}},
        {"memory", {{"warn_below", t.memory_warn}, {"fail_below", t.memory_fail}}},
        {"ceiling", {{"warn_below", t.ceiling_warn}, {"fail_below", t.ceiling_fail}}},
        {"step_ceiling",
         {{"warn_below", t.step_ceiling_warn}, {"fail_below", t.step_ceiling_fail}}},
        {"reference", {{"warn_below", t.reference_warn}, {"fail_below", t.reference_fail}}}}},
      {"checks", checks}};
  if (t.memory_bytes_per_s > 0) out["memory_bytes_per_s"] = t.memory_bytes_per_s;
  return out;
}

std::string format_acceptance(const json& a) {
  std::string out = fmt::format("\nacceptance of {}:\n", terminal_text(a.value("host", "?")));
  std::size_t width = 10;
  for (const auto& c : a["checks"]) width = std::max(width, c.value("label", "").size());
  width = std::min<std::size_t>(width, 44);
  for (const auto& c : a["checks"]) {
    std::string label = c.value("label", "");
    if (label.size() > width) label = label.substr(0, width - 3) + "...";
    std::string what;
    for (const auto& j : c["judgements"]) {
      if (!what.empty()) what += "; ";
      const std::string unit = j.value("unit", "");
      if (unit == "share")
        what += fmt::format("{} of the {}", pct(j["measured"].get<double>()),
                            j.value("against", std::string()));
      else
        what += fmt::format("{} of the {} {}", pct(j["ratio"].get<double>()),
                            j.value("against", std::string()),
                            format_rate(j["expected"].get<double>(), unit));
      if (j["verdict"] != "pass")
        what +=
            fmt::format(" ({} below {})", j["verdict"].get<std::string>(),
                        pct(j[j["verdict"] == "fail" ? "fail_below" : "warn_below"].get<double>()));
    }
    for (const auto& n : c["notes"]) {
      if (!what.empty()) what += "; ";
      what += n.get<std::string>();
    }
    if (what.empty()) what = "nothing to judge it against (give --reference FILE)";
    std::string v = c["verdict"];
    for (auto& ch : v) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
    out += terminal_text(fmt::format("  {:<8} {:<{}}  {}", v, label, width, what)) + "\n";
  }
  const auto& n = a["counts"];
  std::string node = a.value("verdict", "unjudged");
  for (auto& ch : node) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  out += fmt::format("node {}: {} ({} pass, {} warn, {} fail, {} unjudged)\n",
                     terminal_text(a.value("host", "?")), node, n.value("pass", 0),
                     n.value("warn", 0), n.value("fail", 0), n.value("unjudged", 0));
  return out;
}

int acceptance_status(const json& a) {
  return a.value("verdict", "") == "fail" ? 1 : 0;
}

}  // namespace mlhpc::reports
