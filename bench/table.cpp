#include "bench/table.hpp"

#include "bench/text.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <vector>

namespace mlhpc {

using nlohmann::json;

std::string format_seconds(double s) {
  if (s >= 1) return fmt::format("{:.3g} s", s);
  if (s >= 1e-3) return fmt::format("{:.3g} ms", s * 1e3);
  if (s >= 1e-6) return fmt::format("{:.3g} us", s * 1e6);
  return fmt::format("{:.3g} ns", s * 1e9);
}

// The derived counter metrics a person reads first, those that were measured.
std::string format_counters(const json& r) {
  if (!r.contains("counters")) return "-";
  const auto& d = r["counters"]["derived"];
  std::vector<std::string> parts;
  auto add = [&](const char* key, const char* fmt_spec) {
    if (d.contains(key))
      parts.push_back(fmt::format(fmt::runtime(fmt_spec), d[key]["value"].get<double>()));
  };
  add("ipc", "IPC {:.2f}");
  add("ghz_effective", "{:.2f} GHz");
  add("busy_threads", "{:.1f} thr");
  add("average_watts", "{:.0f} W");
  add("gflop_per_joule", "{:.2f} GFLOP/J");
  if (d.contains("fp_work_ratio") && d["fp_work_ratio"].value("flagged", false))
    parts.push_back(fmt::format("fp x{:.2f} (!)", d["fp_work_ratio"]["value"].get<double>()));
  if (parts.empty()) return "-";
  std::string out = parts[0];
  for (std::size_t i = 1; i < parts.size(); ++i) out += ", " + parts[i];
  return out;
}

std::string format_summaries(const json& doc) {
  std::string out;
  std::vector<json> all;
  for (const auto& sm : doc.value("summaries", json::array())) {
    all.push_back(sm);
    for (const auto& g : sm.value("other_groups", json::array())) all.push_back(g);
  }
  for (const auto& sm : all) {
    out += fmt::format("\nnetwork {} ({} {}, {} layers, {} convolutions, batch {}):\n",
                       sm.value("network", "?"), sm.value("dtype", "?"), sm.value("layout", "?"),
                       sm.value("layers", 0), sm.value("convolutions", 0), sm.value("batch", 0));
    if (sm.contains("forward_s"))
      out += fmt::format("  forward        {:>10}  ({:.1f} images/s)\n",
                         format_seconds(sm["forward_s"]), sm["forward_images_per_s"].get<double>());
    if (sm.contains("training_step_s"))
      out += fmt::format("  training step  {:>10}  ({:.1f} images/s; convolutions only)\n",
                         format_seconds(sm["training_step_s"]),
                         sm["training_images_per_s"].get<double>());
    const json unavailable = sm.value("unavailable", json::object());
    for (const auto& [k, why] : unavailable.items())
      out += fmt::format("  {}: unavailable: {}\n", k, why.get<std::string>());
    // Beside it, the whole training steps measured in the same run.
    for (const auto& m : sm.value("measured_steps", json::array())) {
      out += fmt::format("  measured step  {:>10}  ({:.1f} images/s; resnet50:{})",
                         format_seconds(m["step_s"]), m["images_per_s"].get<double>(),
                         m.value("variant", "?"));
      if (m.contains("synthetic_share"))
        out += fmt::format(": the convolutions alone, timed apart, are {:.0f} % of it",
                           m["synthetic_share"].get<double>() * 100);
      if (m.contains("profiled_convolution_share"))
        out += fmt::format("; in the step's profile {:.0f} %",
                           m["profiled_convolution_share"].get<double>() * 100);
      out += "\n";
    }
  }
  return out;
}

namespace {

// Short names of trust issues for the table's column (the legend under the table says more).
std::string short_code(const std::string& code) {
  static const std::vector<std::pair<std::string, std::string>> names = {
      {"high_cv", "cv"},
      {"ci_target_missed", "ci"},
      {"no_median_interval", "n<6"},
      {"fewer_busy_threads", "busy"},
      {"threads_unpinned", "unpinned"},
      {"threads_overridden", "threads"},
      {"threads_oversubscribed", "oversub"},
      {"counters_unavailable", "ctr"},
      {"above_ceiling", "ABOVE-CEILING"},
      {"above_nominal_peak", "ABOVE-NOMINAL"},
      {"fits_in_page_cache", "fits-cache"}};
  for (const auto& [c, n] : names)
    if (c == code) return n;
  return code;
}

}  // namespace

std::string format_ceilings(const json& doc) {
  std::string out;
  const json ceilings = doc.value("ceilings", json::object());
  for (const auto& [key, c] : ceilings.items()) {
    const std::string unit = c.value("unit", "");
    out += fmt::format("  {:<12} {:>14}  {}", key, format_rate(c["value"].get<double>(), unit),
                       c.value("source", ""));
    if (c.contains("problem")) out += fmt::format(" ({})", c["problem"].get<std::string>());
    if (c.contains("nominal")) {
      const auto& n = c["nominal"];
      out += fmt::format("; nominal {} ({}): {:.1f} %",
                         format_rate(n["value"].get<double>(), n.value("unit", unit)),
                         n.value("isa", ""), n["measured_share"].get<double>() * 100);
      if (c.value("above_nominal", false))
        out += "  ABOVE THE NOMINAL PEAK: a counting error, not a win";
    }
    out += '\n';
  }
  if (out.empty()) return out;
  std::string head = "\nceilings:\n";
  const json np = doc.contains("context") ? doc["context"].value("nominal_peak", json::object())
                                          : json::object();
  if (np.contains("unavailable"))
    head += fmt::format("  (nominal peak unavailable: {})\n", np["unavailable"].get<std::string>());
  else if (np.contains("frequency_hz"))
    head += fmt::format("  (nominal: {}, {} cores x {:.2f} GHz ({}))\n",
                        np.value("microarchitecture", "?"), np.value("cores", 0),
                        np["frequency_hz"].get<double>() / 1e9, np.value("frequency_source", "?"));
  return head + out;
}

std::string format_trust(const json& doc) {
  std::map<std::string, std::vector<std::string>> by_code;
  std::map<std::string, std::string> example;
  for (const auto& r : doc.value("results", json::array()))
    for (const auto& t : r.value("trust_issues", json::array())) {
      const std::string code = t["code"];
      by_code[code].push_back(r.value("key", "?"));
      if (!example.count(code)) example[code] = t.value("detail", "");
    }
  if (by_code.empty()) return "";
  std::string out = "\ntrust:\n";
  for (const auto& [code, keys] : by_code)
    out += fmt::format("  {} ({}, {} result{}): {}{}\n", short_code(code), code, keys.size(),
                       keys.size() == 1 ? "" : "s", example[code],
                       keys.size() == 1 ? "" : fmt::format(" (first: {})", keys.front()));
  return out;
}

std::string format_ranks(const json& doc) {
  std::string out;
  std::map<std::string, int> unjudged;  // reason -> results
  for (const auto& r : doc.value("results", json::array())) {
    if (!r.contains("ranks")) continue;
    const auto& k = r["ranks"];
    const auto& acc = k["acceptance"];
    if (!acc.contains("outliers")) {
      ++unjudged[acc.value("unavailable", "?")];
      continue;
    }
    const auto& a = k["across_ranks"];
    const int slow = k["headline_rank"];
    out += fmt::format(
        "  {}: per-rank medians {} / {} / {} (min / median / max), slowest rank {} ({})\n",
        r.value("key", "?"), format_seconds(a["min_s"]), format_seconds(a["median_s"]),
        format_seconds(a["max_s"]), slow,
        k["per_rank"][static_cast<std::size_t>(slow)].value("host", "?"));
    for (const auto& o : acc["outliers"]) {
      const std::string z = o.contains("robust_z")
                                ? fmt::format(", robust z {:.1f}", o["robust_z"].get<double>())
                                : std::string(", robust z infinite (the others agree exactly)");
      out += fmt::format(
          "    STANDS OUT: rank {} on {}: median {}, {:+.1f} % from the median of the ranks{}\n",
          o["rank"].get<int>(), o.value("host", "?"), format_seconds(o["median_s"]),
          o["deviation"].get<double>() * 100, z);
    }
    if (acc["outliers"].empty()) out += "    no rank stands out\n";
  }
  for (const auto& [reason, n] : unjudged)
    out += fmt::format("  {} result{} not judged: {}\n", n, n == 1 ? "" : "s", reason);
  if (out.empty()) return "";
  return fmt::format("\nranks ({}), node acceptance:\n", doc["run"].value("ranks", 0)) + out;
}

std::string format_table(const json& doc) {
  std::vector<std::vector<std::string>> rows;
  rows.push_back({"problem", "status", "median", "cv", "rate", "% ceiling", "counters", "trust",
                  "verification"});
  for (const auto& r : doc.value("results", json::array())) {
    std::vector<std::string> row;
    row.push_back(r.value("key", "?"));
    row.push_back(r.value("status", "?"));
    if (r.contains("statistics")) {
      row.push_back(format_seconds(r["statistics"]["median_s"]));
      row.push_back(r["statistics"].contains("cv")
                        ? fmt::format("{:.1f}%", r["statistics"]["cv"].get<double>() * 100)
                        : "-");
    } else {
      row.push_back("-");
      row.push_back("-");
    }
    std::string rate = "-";
    if (const std::string m = judged_metric(r); !m.empty())
      rate = (m == "bus_bytes_per_s" ? "busbw " : "") +
             format_rate(r["rates"][m]["median"], rate_unit(r, m));
    row.push_back(rate);
    std::string share = "-";
    if (r.contains("ceiling") && r["ceiling"].contains("share")) {
      share = fmt::format("{:.1f}%", r["ceiling"]["share"].get<double>() * 100);
      if (r["ceiling"].value("exceeded", false)) share += " (!)";
    }
    row.push_back(share);
    row.push_back(format_counters(r));
    std::string flags;
    for (const auto& t : r.value("trust_issues", json::array())) {
      if (!flags.empty()) flags += ',';
      flags += short_code(t["code"]);
    }
    row.push_back(flags.empty() ? (r.contains("statistics") ? "ok" : "-") : flags);
    std::string ver = "-";
    if (r.contains("verification")) {
      ver = r["verification"].value("status", "-");
      if (r["verification"].contains("error"))
        ver += fmt::format(" ({:.1e})", r["verification"]["error"].get<double>());
    }
    if (r.value("status", "") != "ok" && r.contains("reason"))
      ver += "  " + r["reason"].get<std::string>();
    row.push_back(ver);
    rows.push_back(std::move(row));
  }
  // Cells come from result files: no control character reaches the terminal, none breaks a row.
  for (auto& row : rows)
    for (auto& cell : row) cell = terminal_text(cell);
  std::vector<std::size_t> width(rows[0].size(), 0);
  for (const auto& row : rows)
    for (std::size_t i = 0; i + 1 < row.size(); ++i) width[i] = std::max(width[i], row[i].size());
  std::string out;
  for (std::size_t k = 0; k < rows.size(); ++k) {
    for (std::size_t i = 0; i < rows[k].size(); ++i) {
      const bool right = i >= 2 && i <= 5;
      if (i + 1 == rows[k].size())
        out += rows[k][i];
      else if (right)
        out += fmt::format("{:>{}}  ", rows[k][i], width[i]);
      else
        out += fmt::format("{:<{}}  ", rows[k][i], width[i]);
    }
    out += '\n';
    if (k == 0) {
      std::size_t total = 0;
      for (std::size_t i = 0; i + 1 < width.size(); ++i) total += width[i] + 2;
      out += std::string(total + 12, '-') + '\n';
    }
  }
  return out;
}

}  // namespace mlhpc
