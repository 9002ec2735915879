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
      {"ceiling_untrustworthy", "ceiling?"},
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

namespace {
std::string label_of(const json& r);
}  // namespace

std::string format_trust(const json& doc) {
  std::map<std::string, std::vector<std::string>> by_code;
  std::map<std::string, std::string> example;
  for (const auto& r : doc.value("results", json::array()))
    for (const auto& t : r.value("trust_issues", json::array())) {
      const std::string code = t["code"];
      by_code[code].push_back(label_of(r));
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
    const json held = acc.value("held_the_job", json::array());
    for (const auto& o : held) {
      const std::string cg = o.contains("cgroup_throttled_s")
                                 ? fmt::format("; its cgroup's CPU quota throttled it {}",
                                               format_seconds(o["cgroup_throttled_s"]))
                                 : std::string();
      out += fmt::format(
          "    HOLDS THE JOB: rank {} on {}: its threads waited for a CPU {:.0f} % of their "
          "runnable time, the other ranks {:.0f} %{}\n",
          o["rank"].get<int>(), o.value("host", "?"), o["cpu_wait_share"].get<double>() * 100,
          o["others_cpu_wait_share"].get<double>() * 100, cg);
    }
    if (acc["outliers"].empty() && held.empty()) out += "    no rank stands out\n";
  }
  for (const auto& [reason, n] : unjudged)
    out += fmt::format("  {} result{} not judged: {}\n", n, n == 1 ? "" : "s", reason);
  if (out.empty()) return "";
  return fmt::format("\nranks ({}), node acceptance:\n", doc["run"].value("ranks", 0)) + out;
}

bool undermines_timing(const std::string& code) {
  return code != "counters_unavailable" && code != "threads_unpinned";
}

namespace {

// The verification in a word.
std::string check_word(const json& r) {
  if (!r.contains("verification")) return "-";
  const std::string v = r["verification"].value("status", "-");
  return v == "failed" ? "FAILED" : v;
}

std::string rate_cell(const json& r) {
  if (const std::string m = judged_metric(r); !m.empty())
    return (m == "bus_bytes_per_s" ? "busbw " : "") +
           format_rate(r["rates"][m]["median"], rate_unit(r, m));
  return "-";
}

std::string share_cell(const json& r) {
  if (!r.contains("ceiling") || !r["ceiling"].contains("share")) return "-";
  std::string share = fmt::format("{:.1f}%", r["ceiling"]["share"].get<double>() * 100);
  if (r["ceiling"].value("exceeded", false)) share += "(!)";
  return share;
}

std::string label_of(const json& r) {
  if (r.contains("label") && r["label"].is_string()) return r["label"];
  return r.value("key", "?");
}

// Trust codes that every measured result carries (on a VM: no counters, unpinned threads): said
// once under the table instead of on every row.
std::vector<std::string> common_trust_codes(const json& results) {
  std::vector<std::string> common;
  bool first = true;
  for (const auto& r : results) {
    if (!r.contains("statistics")) continue;
    std::vector<std::string> mine;
    for (const auto& t : r.value("trust_issues", json::array())) mine.push_back(t["code"]);
    if (first) {
      common = mine;
      first = false;
    } else {
      std::erase_if(common, [&](const std::string& c) {
        return std::find(mine.begin(), mine.end(), c) == mine.end();
      });
    }
  }
  // One measured result: nothing is "common"; its row shows everything.
  std::size_t measured = 0;
  for (const auto& r : results) measured += r.contains("statistics");
  if (measured < 2) common.clear();
  return common;
}

// RFC 4180: a field with a comma, quote or line break is quoted, quotes doubled.
std::string csv_field(const std::string& v) {
  if (v.find_first_of(",\"\r\n") == std::string::npos) return v;
  std::string out = "\"";
  for (char c : v) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + '"';
}

}  // namespace

std::string format_table(const json& doc) {
  const json results = doc.value("results", json::array());
  const auto common = common_trust_codes(results);
  // The counters column when some row has more than busy threads (which the `busy` trust code
  // already flags when it is short).
  bool any_counters = false;
  for (const auto& r : results) {
    const std::string c = format_counters(r);
    any_counters = any_counters || (c != "-" && c.find(" thr") + 4 != c.size()) ||
                   c.find(',') != std::string::npos;
  }
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> head = {"problem", "status", "median", "cv", "rate", "%ceil"};
  if (any_counters) head.push_back("counters");
  head.push_back("trust");
  head.push_back("check");
  rows.push_back(head);
  std::vector<std::string> notes;  // the reasons of results that did not run, numbered
  for (const auto& r : results) {
    std::vector<std::string> row;
    row.push_back(label_of(r));
    std::string status = r.value("status", "?");
    if (status != "ok" && r.contains("reason") && r["reason"].is_string()) {
      const std::string note = fmt::format("{}: {}", status, r["reason"].get<std::string>());
      auto it = std::find(notes.begin(), notes.end(), note);
      if (it == notes.end()) it = notes.insert(notes.end(), note);
      status += fmt::format("[{}]", it - notes.begin() + 1);
    }
    row.push_back(status);
    if (r.contains("statistics")) {
      row.push_back(format_seconds(r["statistics"]["median_s"]));
      row.push_back(r["statistics"].contains("cv")
                        ? fmt::format("{:.1f}%", r["statistics"]["cv"].get<double>() * 100)
                        : "-");
    } else {
      row.push_back("-");
      row.push_back("-");
    }
    row.push_back(rate_cell(r));
    row.push_back(share_cell(r));
    if (any_counters) row.push_back(format_counters(r));
    std::string flags;
    for (const auto& t : r.value("trust_issues", json::array())) {
      if (std::find(common.begin(), common.end(), t["code"]) != common.end()) continue;
      if (!flags.empty()) flags += ',';
      flags += short_code(t["code"]);
    }
    row.push_back(flags.empty() ? (r.contains("statistics") ? "ok" : "-") : flags);
    row.push_back(check_word(r));
    rows.push_back(std::move(row));
  }
  // Cells come from result files: no control character reaches the terminal, none breaks a row.
  for (auto& row : rows)
    for (auto& cell : row) cell = terminal_text(cell);
  std::vector<std::size_t> width(head.size(), 0);
  for (const auto& row : rows)
    for (std::size_t i = 0; i < row.size(); ++i) width[i] = std::max(width[i], row[i].size());
  // The problem column takes what the others leave of 118 columns (at least 30).
  std::size_t others = 0;
  for (std::size_t i = 1; i < width.size(); ++i) others += width[i] + 2;
  const std::size_t budget = others + 30 < 118 ? 118 - others : 30;
  if (width[0] > budget) {
    for (auto& row : rows) row[0] = cut_middle(row[0], budget);
    width[0] = budget;
  }
  std::string out;
  for (std::size_t k = 0; k < rows.size(); ++k) {
    std::string line;
    for (std::size_t i = 0; i < rows[k].size(); ++i) {
      const bool right = i >= 2 && i <= 5;
      if (i + 1 == rows[k].size())
        line += rows[k][i];
      else if (right)
        line += fmt::format("{:>{}}  ", rows[k][i], width[i]);
      else
        line += fmt::format("{:<{}}  ", rows[k][i], width[i]);
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out += line + '\n';
    if (k == 0) {
      std::size_t total = 2 * (width.size() - 1);
      for (const auto w : width) total += w;
      out += std::string(total, '-') + '\n';
    }
  }
  if (!common.empty()) {
    std::string codes;
    for (const auto& c : common)
      codes += fmt::format("{}{}", codes.empty() ? "" : ", ", short_code(c));
    out += fmt::format("every measured row: {} (see trust: below)\n", codes);
  }
  for (std::size_t i = 0; i < notes.size(); ++i)
    out += terminal_text(fmt::format("[{}] {}", i + 1, notes[i])) + '\n';
  return out;
}

std::string format_legend() {
  return "legend: median = time of one repetition (median of the samples); cv = coefficient of "
         "variation;\n"
         "  rate = median rate (G = 10^9, GB = 10^9 bytes; busbw = bus bandwidth as nccl-tests); "
         "%ceil = share of\n"
         "  the ceiling measured in this run; trust: codes explained above; check = verified "
         "against a reference;\n"
         "  parameters at their default are not shown (the result file's keys have them all)\n";
}

std::string format_summary_line(const json& doc) {
  std::map<std::string, int> by_status;
  std::map<std::string, int> by_code;
  int untrustworthy = 0, n = 0;
  for (const auto& r : doc.value("results", json::array())) {
    ++n;
    ++by_status[r.value("status", "?")];
    bool bad = false;
    for (const auto& t : r.value("trust_issues", json::array())) {
      const std::string code = t.value("code", "?");
      if (!undermines_timing(code)) continue;
      ++by_code[short_code(code)];
      bad = true;
    }
    untrustworthy += bad;
  }
  std::string out = fmt::format("{} problem{}: {} ok, {} failed, {} skipped", n, n == 1 ? "" : "s",
                                by_status["ok"], by_status["failed"], by_status["skipped"]);
  for (const char* other : {"cached", "interrupted"})
    if (by_status[other] > 0) out += fmt::format(", {} {}", by_status[other], other);
  out += fmt::format("; {} untrustworthy", untrustworthy);
  if (!by_code.empty()) {
    std::string codes;
    for (const auto& [c, k] : by_code)
      codes += fmt::format("{}{} {}", codes.empty() ? "" : ", ", c, k);
    out += " (" + codes + ")";
  }
  const std::string status = doc.contains("run") ? doc["run"].value("status", "") : std::string();
  if (!status.empty() && status != "complete") out += fmt::format("; run {}", status);
  return out + '\n';
}

namespace {

json table_row(const json& r) {
  json row = {{"key", r.value("key", "")},
              {"label", label_of(r)},
              {"workload", r.value("workload", "")},
              {"variant", r.value("variant", "")},
              {"status", r.value("status", "")},
              {"median_s", nullptr},
              {"cv", nullptr},
              {"ci95_low_s", nullptr},
              {"ci95_high_s", nullptr},
              {"rate", nullptr},
              {"rate_unit", nullptr},
              {"rate_metric", nullptr},
              {"ceiling_share", nullptr},
              {"trust", nullptr},
              {"verification", nullptr},
              {"verification_error", nullptr},
              {"reason", nullptr}};
  if (r.contains("statistics")) {
    const auto& st = r["statistics"];
    row["median_s"] = st["median_s"];
    if (st.contains("cv")) row["cv"] = st["cv"];
    if (st.contains("median_ci95_s")) {
      row["ci95_low_s"] = st["median_ci95_s"]["low"];
      row["ci95_high_s"] = st["median_ci95_s"]["high"];
    }
  }
  if (const std::string m = judged_metric(r); !m.empty()) {
    row["rate"] = r["rates"][m]["median"];
    row["rate_unit"] = rate_unit(r, m);
    row["rate_metric"] = m;
  }
  if (r.contains("ceiling") && r["ceiling"].contains("share"))
    row["ceiling_share"] = r["ceiling"]["share"];
  std::string codes;
  for (const auto& t : r.value("trust_issues", json::array()))
    codes += fmt::format("{}{}", codes.empty() ? "" : " ", t.value("code", std::string("?")));
  if (!codes.empty()) row["trust"] = codes;
  if (r.contains("verification")) {
    row["verification"] = r["verification"].value("status", "");
    if (r["verification"].contains("error")) row["verification_error"] = r["verification"]["error"];
  }
  if (r.contains("reason")) row["reason"] = r["reason"];
  return row;
}

}  // namespace

json table_rows(const json& doc) {
  json rows = json::array();
  for (const auto& r : doc.value("results", json::array())) rows.push_back(table_row(r));
  return rows;
}

std::string format_table_csv(const json& doc) {
  static const std::vector<std::string> columns = {
      "key",           "label",    "workload",     "variant",
      "status",        "median_s", "cv",           "ci95_low_s",
      "ci95_high_s",   "rate",     "rate_unit",    "rate_metric",
      "ceiling_share", "trust",    "verification", "verification_error",
      "reason"};
  const json rows = table_rows(doc);
  std::string out;
  for (const auto& k : columns) out += fmt::format("{}{}", out.empty() ? "" : ",", k);
  out += "\r\n";
  for (const auto& row : rows) {
    std::string line;
    bool start = true;
    for (const auto& k : columns) {
      const json& cell = row[k];
      std::string text;
      if (cell.is_string())
        text = cell.get<std::string>();
      else if (cell.is_number_float())
        text = fmt::format("{}", cell.get<double>());
      else if (!cell.is_null())
        text = cell.dump();
      line += fmt::format("{}{}", start ? "" : ",", csv_field(text));
      start = false;
    }
    out += line + "\r\n";
  }
  return out;
}

}  // namespace mlhpc
