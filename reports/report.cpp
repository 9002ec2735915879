#include "reports/report.hpp"

#include <fmt/format.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <map>

#include "bench/context_text.hpp"
#include "bench/files.hpp"
#include "bench/rates.hpp"
#include "bench/table.hpp"
#include "bench/text.hpp"
#include "reports/compare.hpp"

extern char** environ;

namespace mlhpc::reports {

using nlohmann::json;

std::string html_escape(const std::string& s) {
  return xml_escape(s);  // the same five characters; '&#39;' works in HTML 4 too
}

namespace {

std::string text(const json& j) {
  if (j.is_null()) return "-";
  return j.is_string() ? j.get<std::string>() : j.dump();
}

const json& at(const json& doc, std::initializer_list<const char*> path) {
  static const json null;
  const json* p = &doc;
  for (const char* k : path) {
    if (!p->is_object() || !p->contains(k)) return null;
    p = &(*p)[k];
  }
  return *p;
}

std::string base64(const std::string& in) {
  static const char* t = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  std::size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    const unsigned v = (static_cast<unsigned char>(in[i]) << 16) |
                       (static_cast<unsigned char>(in[i + 1]) << 8) |
                       static_cast<unsigned char>(in[i + 2]);
    out += {t[v >> 18], t[(v >> 12) & 63], t[(v >> 6) & 63], t[v & 63]};
  }
  if (i + 1 == in.size()) {
    const unsigned v = static_cast<unsigned char>(in[i]) << 16;
    out += {t[v >> 18], t[(v >> 12) & 63], '=', '='};
  } else if (i + 2 == in.size()) {
    const unsigned v =
        (static_cast<unsigned char>(in[i]) << 16) | (static_cast<unsigned char>(in[i + 1]) << 8);
    out += {t[v >> 18], t[(v >> 12) & 63], t[(v >> 6) & 63], '='};
  }
  return out;
}

// The context a reader wants, as readable fields (bench/context_text.hpp), then the run's own.
std::vector<std::pair<std::string, std::string>> context_rows(const json& d) {
  auto rows = context_fields(d.value("context", json::object()));
  std::string command;
  for (const auto& a : at(d, {"run", "command_line"}))
    command += (command.empty() ? "" : " ") + text(a);
  rows.emplace_back("command", command);
  const json& bind = at(d, {"run", "bind"});
  rows.emplace_back("threads", fmt::format("{} (binding: {})", text(at(d, {"run", "threads"})),
                                           bind.is_object() ? text(bind["mode"]) : "not recorded"));
  rows.emplace_back("run",
                    fmt::format("{} to {}, {}", text(at(d, {"run", "started_at"})),
                                text(at(d, {"run", "ended_at"})), text(at(d, {"run", "status"}))));
  return rows;
}

struct result_row {
  std::string key, status, median, rate, share, trust, verification, repro;
};

struct ceiling_row {
  std::string key, measured, nominal, note;
};

// Each ceiling with its source and the nominal peak beside it (a measured ceiling above the
// nominal peak is a counting error, said in `note`).
std::vector<ceiling_row> ceiling_rows(const json& d) {
  std::vector<ceiling_row> rows;
  const json ceilings = d.value("ceilings", json::object());
  for (const auto& [key, c] : ceilings.items()) {
    ceiling_row row;
    row.key = key;
    const std::string unit = c.value("unit", "");
    row.measured =
        fmt::format("{} ({})", format_rate(c["value"].get<double>(), unit), c.value("source", "?"));
    row.nominal = "-";
    if (c.contains("nominal"))
      row.nominal = fmt::format(
          "{}: measured {:.1f} %",
          format_rate(c["nominal"]["value"].get<double>(), c["nominal"].value("unit", unit)),
          c["nominal"]["measured_share"].get<double>() * 100);
    if (c.value("above_nominal", false))
      row.note = "above the nominal peak: a counting error, not a win";
    rows.push_back(row);
  }
  return rows;
}

std::vector<result_row> result_rows(const json& d) {
  std::vector<result_row> rows;
  for (const auto& r : d["results"]) {
    result_row row;
    row.key = r.contains("label") && r["label"].is_string() ? r["label"] : r["key"];
    row.status = r["status"];
    if (r.contains("reason")) row.status += ": " + r["reason"].get<std::string>();
    row.median = "-";
    if (r.contains("statistics")) {
      const auto& st = r["statistics"];
      row.median = format_seconds(st["median_s"].get<double>());
      if (st.contains("median_ci95_s"))
        row.median +=
            fmt::format(" ({} to {})", format_seconds(st["median_ci95_s"]["low"].get<double>()),
                        format_seconds(st["median_ci95_s"]["high"].get<double>()));
    }
    row.rate = "-";
    // The rate the result is judged by, in its own unit (stream in byte/s, int8 in op/s).
    if (const std::string m = judged_metric(r); !m.empty())
      row.rate = (m == "bus_bytes_per_s" ? "busbw " : "") +
                 format_rate(r["rates"][m]["median"].get<double>(), rate_unit(r, m));
    row.share = r.contains("ceiling") && r["ceiling"].contains("share")
                    ? fmt::format("{:.1f} %", r["ceiling"]["share"].get<double>() * 100)
                    : "-";
    row.verification = r.contains("verification") ? text(r["verification"]["status"]) : "-";
    row.trust = "-";
    if (r.contains("trust_issues") && r["trust_issues"].is_array()) {
      std::string codes;
      for (const auto& t : r["trust_issues"]) {
        if (!codes.empty()) codes += ", ";
        codes += text(t.value("code", json("?")));
      }
      row.trust = codes.empty() ? "ok" : codes;
    }
    row.repro = r.value("repro", "");
    rows.push_back(row);
  }
  return rows;
}

// Runs plot.py on the spec; the figures as SVG text, or why there are none.
json draw(const json& spec, const report_options& opt, std::string* why) {
  std::string py = opt.python;
  if (py.empty()) {
    const char* env = std::getenv("MLHPC_PYTHON");
    py = env != nullptr && *env != '\0'                ? env
         : std::filesystem::exists("/usr/bin/python3") ? "/usr/bin/python3"
                                                       : "python3";
  }
  if (opt.plot_script.empty() || !std::filesystem::exists(opt.plot_script)) {
    *why = fmt::format("the plotting script is missing ({})", opt.plot_script);
    return nullptr;
  }
  // A private directory (mkdtemp: mode 0700, a fresh name) holds the exchange with plot.py, so
  // no name in /tmp can be planted in advance.
  char dir_tpl[] = "/tmp/mlhpc-report-XXXXXX";
  if (mkdtemp(dir_tpl) == nullptr) {
    *why = "cannot create a scratch directory for the figures";
    return nullptr;
  }
  const std::string dir = dir_tpl, in = dir + "/spec.json", out = dir + "/figures.json";
  try {
    write_file_atomically(in, spec.dump());
  } catch (const std::exception& e) {
    std::filesystem::remove_all(dir);
    *why = fmt::format("cannot write the figure spec ({})", e.what());
    return nullptr;
  }
  std::vector<std::string> args = {py, opt.plot_script, in, out};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = 0;
  json figures = nullptr;
  int status = 0;
  if (posix_spawnp(&pid, py.c_str(), nullptr, nullptr, argv.data(), environ) != 0) {
    *why = fmt::format("{} cannot be started", py);
  } else if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    *why = WIFEXITED(status) && WEXITSTATUS(status) == 3
               ? fmt::format(
                     "matplotlib is not installed for {} (apt-get install "
                     "python3-matplotlib, or set MLHPC_PYTHON)",
                     py)
               : fmt::format("{} {} failed", py, opt.plot_script);
  } else {
    try {
      figures = read_json_file(out, "figures");
    } catch (const std::exception& e) {
      *why = fmt::format("the figures could not be read ({})", e.what());
    }
  }
  std::filesystem::remove_all(dir);
  return figures;
}

}  // namespace

json figure_spec(const std::vector<json>& docs, const std::vector<std::string>& names) {
  json spec = json::object();
  for (std::size_t i = 0; i < docs.size(); ++i) {
    const auto& d = docs[i];
    json ceilings = {{"flops_per_s", json::object()}};
    const json ceilings_in = d.value("ceilings", json::object());
    for (const auto& [k, c] : ceilings_in.items()) {
      if (k.rfind("flops:", 0) == 0) ceilings["flops_per_s"][k.substr(6)] = c["value"];
      if (k == "bytes:memory") ceilings["bytes_per_s"] = c["value"];
    }
    json points = json::array();
    // The reader guarantees work.flops beside rates.flops_per_s (check_result_limits).
    for (const auto& r : d["results"]) {
      if (r.value("status", "") != "ok" || !r.contains("rates") ||
          !r["rates"].contains("flops_per_s") || !r.contains("work") ||
          !r["work"].contains("bytes") || !(r["work"]["bytes"].get<double>() > 0) ||
          r.contains("provides_ceiling"))
        continue;
      points.push_back(
          {{"label", r.contains("label") ? r["label"] : r["key"]},
           {"intensity", r["work"]["flops"].get<double>() / r["work"]["bytes"].get<double>()},
           {"flops_per_s", r["rates"]["flops_per_s"]["median"]}});
    }
    if (!points.empty() || !ceilings["flops_per_s"].empty())
      spec[fmt::format("roofline_{}", i)] = {{"kind", "roofline"},
                                             {"title", "roofline of " + names[i]},
                                             {"ceilings", ceilings},
                                             {"points", points}};
  }
  // Series: results of one workload and variant that differ in one numeric parameter only
  // (a sweep of sizes), and the same key across files that differ in threads.
  json lines = json::array();
  for (std::size_t i = 0; i < docs.size(); ++i) {
    std::map<std::string, std::map<double, double>> series;  // "gemm:f32 m=* n=.." -> x -> rate
    std::map<std::string, std::string> axis;
    for (const auto& r : docs[i]["results"]) {
      if (r.value("status", "") != "ok" || !r.contains("rates")) continue;
      const std::string metric = judged_metric(r);
      // Collectives have their own figure, bus bandwidth against size.
      if (metric.empty() || metric == "bus_bytes_per_s") continue;
      const std::string unit = rate_unit(r, metric);
      for (const auto& [p, v] : r["parameters"].items()) {
        if (!v.is_number()) continue;
        std::string name = fmt::format("{}:{} [G{}]", r["workload"].get<std::string>(),
                                       r["variant"].get<std::string>(), unit);
        for (const auto& [q, w] : r["parameters"].items())
          name += q == p ? fmt::format(" {}=*", q) : fmt::format(" {}={}", q, text(w));
        series[name][v.get<double>()] = r["rates"][metric]["median"].get<double>() / 1e9;
        axis[name] = p;
      }
    }
    for (const auto& [name, pts] : series) {
      if (pts.size() < 3) continue;
      json x = json::array(), y = json::array();
      for (const auto& [a, b] : pts) {
        x.push_back(a);
        y.push_back(b);
      }
      lines.push_back({{"name", name + (docs.size() > 1 ? " (" + names[i] + ")" : "")},
                       {"xlabel", axis[name]},
                       {"x", x},
                       {"y", y}});
    }
  }
  if (docs.size() > 1) {
    std::map<std::string, std::map<double, double>> by_threads;
    for (const auto& d : docs) {
      const json& t = at(d, {"run", "threads"});
      if (!t.is_number()) continue;
      for (const auto& r : d["results"])
        if (const std::string m = judged_metric(r); r.value("status", "") == "ok" && !m.empty())
          by_threads[fmt::format("{} [G{}]", r["key"].get<std::string>(), rate_unit(r, m))]
                    [t.get<double>()] = r["rates"][m]["median"].get<double>() / 1e9;
    }
    for (const auto& [key, pts] : by_threads) {
      if (pts.size() < 2) continue;
      json x = json::array(), y = json::array();
      for (const auto& [a, b] : pts) {
        x.push_back(a);
        y.push_back(b);
      }
      lines.push_back({{"name", key}, {"xlabel", "threads"}, {"x", x}, {"y", y}});
    }
  }
  if (!lines.empty())
    spec["series"] = {{"kind", "lines"},
                      {"title", "rates along a sweep (median, G per second)"},
                      {"lines", lines}};
  if (docs.size() > 1) {
    // Each file after the first against the first, as `mlhpc compare` judges them: the time
    // ratio per unit of work with its 95 % bootstrap interval, and the verdict.
    json series = json::array();
    for (std::size_t i = 1; i < docs.size(); ++i) {
      const json c = compare(docs[0], names[0], docs[i], names[i], compare_options{});
      json s = {{"name", names[i]},     {"labels", json::array()}, {"values", json::array()},
                {"low", json::array()}, {"high", json::array()},   {"verdicts", json::array()}};
      for (const auto& p : c["pairs"]) {
        if (!p.contains("time_ratio") || !p.contains("time_ratio_ci95")) continue;
        s["labels"].push_back(p.contains("label") ? p["label"] : p["key"]);
        s["values"].push_back(p["time_ratio"]);
        s["low"].push_back(p["time_ratio_ci95"]["low"]);
        s["high"].push_back(p["time_ratio_ci95"]["high"]);
        s["verdicts"].push_back(p["verdict"]);
      }
      if (!s["labels"].empty()) series.push_back(s);
    }
    if (!series.empty())
      spec["comparison"] = {{"kind", "ratios"},
                            {"title", "time per unit of work against " + names[0] +
                                          " (median ratio, 95 % bootstrap interval)"},
                            {"threshold", compare_options{}.threshold},
                            {"series", series}};
  }
  for (std::size_t i = 0; i < docs.size(); ++i) {
    const auto& d = docs[i];
    const std::string suffix = docs.size() > 1 ? " (" + names[i] + ")" : "";
    // Collectives: bus bandwidth against the message size, one line per collective and type.
    std::map<std::string, std::map<double, double>> bus;
    for (const auto& r : d["results"])
      if (r.value("status", "") == "ok" && r.contains("rates") &&
          r["rates"].contains("bus_bytes_per_s") && r.contains("parameters") &&
          r["parameters"].contains("bytes") && r["parameters"]["bytes"].is_number())
        bus[fmt::format("{} {}", text(r["workload"]),
                        text(r["parameters"].value("dtype", json("?"))))]
           [r["parameters"]["bytes"].get<double>()] =
               r["rates"]["bus_bytes_per_s"]["median"].get<double>() / 1e9;
    json bus_lines = json::array();
    for (const auto& [name, pts] : bus) {
      json x = json::array(), y = json::array();
      for (const auto& [a, b] : pts) {
        x.push_back(a);
        y.push_back(b);
      }
      bus_lines.push_back({{"name", name}, {"x", x}, {"y", y}});
    }
    if (!bus_lines.empty())
      spec[fmt::format("busbw_{}", i)] = {{"kind", "busbw"},
                                          {"title", "bus bandwidth against message size" + suffix},
                                          {"lines", bus_lines}};
    // ResNet-50: where one training step's time goes (the profiled step, by kind of operation).
    for (const auto& r : d["results"]) {
      if (r.value("workload", "") != "resnet50" || r.value("status", "") != "ok" ||
          !r.contains("details") || !r["details"].contains("profile"))
        continue;
      const auto& prof = r["details"]["profile"];
      json labels = json::array(), values = json::array();
      const json kinds = prof.value("seconds_by_kind", json::object());
      for (const auto& [k, v] : kinds.items()) {
        labels.push_back(k);
        values.push_back(v.get<double>() * 1e3);
      }
      if (labels.empty()) continue;
      spec[fmt::format("resnet50_{}_{}", i, spec.size())] = {
          {"kind", "breakdown"},
          {"title", fmt::format("where a training step's time goes: {}{} (profiled step {})",
                                text(r.contains("label") ? r["label"] : r["key"]), suffix,
                                format_seconds(prof.value("step_s", 0.0)))},
          {"labels", labels},
          {"values", values},
          {"xlabel", "ms per step"}};
    }
    // Acceptance: each judgement's ratio against its thresholds, coloured by verdict.
    if (d.contains("acceptance") && d["acceptance"].contains("checks")) {
      json labels = json::array(), ratios = json::array(), verdicts = json::array(),
           warn = json::array(), fail = json::array();
      for (const auto& c : d["acceptance"]["checks"])
        for (const auto& j : c.value("judgements", json::array())) {
          std::string against = j.value("against", "");
          against = against.substr(0, against.find(' '));
          labels.push_back(fmt::format("{} vs {}", text(c.value("label", json(""))), against));
          ratios.push_back(j["ratio"]);
          verdicts.push_back(j["verdict"]);
          warn.push_back(j["warn_below"]);
          fail.push_back(j["fail_below"]);
        }
      if (!labels.empty())
        spec[fmt::format("acceptance_{}", i)] = {
            {"kind", "verdicts"},
            {"title", fmt::format("acceptance{}: measured / expected, node {}", suffix,
                                  text(d["acceptance"].value("verdict", json("?"))))},
            {"labels", labels},
            {"ratios", ratios},
            {"verdicts", verdicts},
            {"warn", warn},
            {"fail", fail}};
    }
  }
  return spec;
}

namespace {

// The headline figures of a run: its ceilings against their nominal peaks, the best share of a
// ceiling, a training step's images/s, the storage's bandwidth, the largest bus bandwidth.
std::vector<std::pair<std::string, std::string>> headline_rows(const json& d) {
  std::vector<std::pair<std::string, std::string>> rows;
  for (const auto& c : ceiling_rows(d))
    rows.emplace_back("ceiling " + c.key,
                      c.measured + (c.nominal == "-" ? "" : "; nominal " + c.nominal));
  double best_share = 0;
  std::string best_key;
  std::map<std::string, std::pair<double, std::string>> best_bus;  // workload -> busbw, size
  for (const auto& r : d["results"]) {
    if (r.value("status", "") != "ok") continue;
    const std::string label = r.contains("label") ? text(r["label"]) : text(r["key"]);
    if (r.contains("ceiling") && r["ceiling"].contains("share") &&
        r["ceiling"]["share"].get<double>() > best_share && r.value("workload", "") != "resnet50") {
      best_share = r["ceiling"]["share"];
      best_key = label;
    }
    const std::string w = r.value("workload", "");
    // A collective: its largest bus bandwidth over the sizes, one line per collective below.
    if (r.contains("rates") && r["rates"].contains("bus_bytes_per_s")) {
      const double v = r["rates"]["bus_bytes_per_s"]["median"].get<double>();
      auto& best = best_bus[w];
      if (v > best.first)
        best = {v, r.contains("parameters") && r["parameters"].contains("bytes") &&
                           r["parameters"]["bytes"].is_number()
                       ? format_bytes_binary(r["parameters"]["bytes"].get<double>())
                       : std::string("?")};
      continue;
    }
    if ((w == "resnet50" || w == "io") && r.contains("rates")) {
      const std::string m = judged_metric(r);
      if (m.empty()) continue;
      std::string what = format_rate(r["rates"][m]["median"].get<double>(), rate_unit(r, m));
      if (w == "resnet50" && r["rates"].contains("items_per_s"))
        what = format_rate(r["rates"]["items_per_s"]["median"].get<double>(),
                           rate_unit(r, "items_per_s")) +
               ", " + what;
      rows.emplace_back(label, (m == "bus_bytes_per_s" ? "busbw " : "") + what + " (median)");
    }
  }
  for (const auto& [w, b] : best_bus)
    rows.emplace_back(w, fmt::format("largest bus bandwidth {} at {} (median)",
                                     format_rate(b.first, "byte/s"), b.second));
  if (!best_key.empty())
    rows.emplace_back("best share of a ceiling",
                      fmt::format("{:.1f} % ({})", best_share * 100, best_key));
  return rows;
}

}  // namespace

namespace {

// The artifact description in the layout of the SC conference's artifact-description appendix:
// hardware, software, compilation, how to run, expected results; every value from the file.
struct artifact {
  std::vector<std::pair<std::string, std::vector<std::string>>> sections;
  std::string run_block;  // the commands, one per line
};

artifact artifact_description(const json& d, const std::string& path) {
  artifact a;
  const auto fields = context_fields(d.value("context", json::object()));
  auto field = [&](const char* k) {
    for (const auto& [n, v] : fields)
      if (n == k) return v;
    return std::string("unavailable");
  };
  a.sections.push_back(
      {"Hardware",
       {"CPU: " + field("cpu"), "ISA: " + field("isa"), "Topology: " + field("topology"),
        "Caches: " + field("caches"), "Memory: " + field("memory"), "Clock: " + field("clock"),
        "Nominal peak: " + field("nominal peak"), "Virtualisation: " + field("virtualisation"),
        "Host: " + field("host")}});
  a.sections.push_back(
      {"Software",
       {"OS: " + field("os"), "Kernel: " + field("kernel"), "Libraries: " + field("libraries"),
        "Counters and energy: " + field("counters"), "Environment: " + field("environment")}});
  const json& tool = at(d, {"context", "tool"});
  std::string features;
  if (tool.is_object() && tool.contains("features"))
    for (const auto& [k, v] : tool["features"].items()) {
      // The feature "dnnl" is the option MLHPC_WITH_DNNL.
      std::string option = k;
      for (auto& c : option) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      features += fmt::format(" -DMLHPC_WITH_{}={}", option,
                              v.is_boolean() && v.get<bool>() ? "ON" : "OFF");
    }
  const std::string commit = text(at(d, {"context", "tool", "git_commit"}));
  a.sections.push_back(
      {"Compilation",
       {"Tool: " + field("tool"),
        fmt::format("Build: git checkout {} && cmake -S . -B build -DCMAKE_BUILD_TYPE={}{} && "
                    "cmake --build build -j",
                    commit, text(at(d, {"context", "tool", "build_type"})), features)}});
  std::string command;
  for (const auto& arg : at(d, {"run", "command_line"}))
    command += (command.empty() ? "" : " ") + text(arg);
  const json& bind = at(d, {"run", "bind"});
  std::string settings;
  if (const json& st = at(d, {"run", "settings"}); st.is_object())
    for (const auto& [k, v] : st.items())
      settings += fmt::format("{}{} {}", settings.empty() ? "" : ", ", k, text(v));
  a.sections.push_back(
      {"How to run",
       {"The run: " + command,
        fmt::format("Threads {}, binding {}, seed {}; run settings: {}",
                    text(at(d, {"run", "threads"})),
                    bind.is_object() ? text(bind["mode"]) : "not recorded",
                    text(at(d, {"run", "seed"})), settings),
        fmt::format("Result file {} (schema {}), with every raw sample; each problem again with "
                    "the command below (concrete values, no defaults left to chance)",
                    path, text(d.value("schema_version", json("?"))))}});
  std::vector<std::string> expected;
  for (const auto& r : d["results"]) {
    const std::string label = r.contains("label") ? text(r["label"]) : text(r["key"]);
    if (r.value("status", "") != "ok") {
      expected.push_back(label + ": " + text(r["status"]) +
                         (r.contains("reason") ? " (" + text(r["reason"]) + ")" : ""));
      continue;
    }
    const auto& st = r["statistics"];
    std::string line = label + ": median " + format_seconds(st["median_s"].get<double>());
    if (st.contains("median_ci95_s"))
      line += fmt::format(" (95 % interval {} to {})",
                          format_seconds(st["median_ci95_s"]["low"].get<double>()),
                          format_seconds(st["median_ci95_s"]["high"].get<double>()));
    if (const std::string m = judged_metric(r); !m.empty())
      line += ", " + format_rate(r["rates"][m]["median"].get<double>(), rate_unit(r, m));
    line += fmt::format(", {} samples", st.value("n", 0));
    expected.push_back(line);
    a.run_block += text(r.value("repro", json(""))) + "\n";
  }
  a.sections.push_back({"Expected results", expected});
  return a;
}

// width and height of an SVG (matplotlib writes points) in CSS pixels; 0 when unreadable.
std::pair<int, int> svg_size(const std::string& svg) {
  auto attr = [&](const char* name) {
    const auto p = svg.find(name);
    if (p == std::string::npos) return 0.0;
    const auto q = svg.find('"', p);
    if (q == std::string::npos) return 0.0;
    double v = std::atof(svg.c_str() + q + 1);
    const auto end = svg.find('"', q + 1);
    if (end != std::string::npos && svg.compare(end - 2, 2, "pt") == 0) v *= 4.0 / 3.0;
    return v;
  };
  return {static_cast<int>(attr(" width=")), static_cast<int>(attr(" height="))};
}

std::string figure_caption(const std::string& name) {
  if (name.rfind("roofline", 0) == 0)
    return "Roofline: the measured peak of each type and the memory bandwidth as roofs; each "
           "GEMM or convolution at its declared arithmetic intensity (median rate).";
  if (name.rfind("busbw", 0) == 0)
    return "Bus bandwidth (nccl-tests' definition) against the message size, median over the "
           "samples.";
  if (name.rfind("resnet50", 0) == 0)
    return "Where a ResNet-50 training step's time goes: a profiled step, each primitive timed "
           "alone, grouped by kind.";
  if (name.rfind("acceptance", 0) == 0)
    return "Acceptance: each check's measured / expected ratio, coloured by its verdict, with "
           "its warn and fail thresholds.";
  if (name == "comparison")
    return "Each file against the first, as mlhpc compare judges it: the ratio of the median "
           "times per unit of work with its 95 % bootstrap interval, coloured by verdict "
           "(red: regressed, green: improved, grey: unchanged or inconclusive); the dashed lines "
           "are the threshold.";
  return "Rates along a sweep (median).";
}

}  // namespace

std::string render_report(const std::vector<json>& docs, const std::vector<std::string>& paths,
                          const report_options& opt) {
  std::vector<std::string> names;
  for (std::size_t i = 0; i < docs.size(); ++i) {
    const json& h = at(docs[i], {"context", "system", "host"});
    names.push_back(h.is_string() ? h.get<std::string>() + " (" + paths[i] + ")" : paths[i]);
  }
  std::string why;
  const json figures = draw(figure_spec(docs, names), opt, &why);
  const bool md = opt.format == "md";
  std::string out;
  if (md) {
    out += "# mlhpc-bench report\n\n";
    for (std::size_t i = 0; i < docs.size(); ++i) {
      const auto& d = docs[i];
      // Summary first: the node, its verdicts, the headline figures.
      out += fmt::format("## {}\n\n### Summary\n\n| | |\n|---|---|\n", markdown_escape(names[i]));
      for (const auto& [k, v] : context_fields(d.value("context", json::object())))
        if (k == "host" || k == "cpu" || k == "topology" || k == "memory")
          out += fmt::format("| {} | {} |\n", k, markdown_escape(v));
      if (d.contains("acceptance"))
        out += fmt::format("| node verdict | **{}** |\n",
                           markdown_escape(text(d["acceptance"].value("verdict", json("?")))));
      std::string line = format_summary_line(d);
      if (!line.empty() && line.back() == '\n') line.pop_back();
      out += fmt::format("| results | {} |\n", markdown_escape(line));
      for (const auto& [k, v] : headline_rows(d))
        out += fmt::format("| {} | {} |\n", markdown_escape(k), markdown_escape(v));
      if (d.contains("acceptance")) {
        out += "\n| verdict | check | against | notes |\n|---|---|---|---|\n";
        for (const auto& c : d["acceptance"].value("checks", json::array())) {
          std::string against, notes;
          for (const auto& j : c.value("judgements", json::array()))
            against += fmt::format("{}{}: {:.1f} % ({})", against.empty() ? "" : "; ",
                                   text(j.value("against", json(""))), j.value("ratio", 0.0) * 100,
                                   text(j.value("verdict", json(""))));
          for (const auto& n : c.value("notes", json::array()))
            notes += fmt::format("{}{}", notes.empty() ? "" : "; ", text(n));
          out += fmt::format(
              "| {} | {} | {} | {} |\n", markdown_escape(text(c.value("verdict", json("?")))),
              markdown_escape(text(c.value("label", json("")))),
              markdown_escape(against.empty() ? "-" : against), markdown_escape(notes));
        }
      }
      out += "\n### Results\n";
      out +=
          "\n| problem | status | median time (95 % interval) | median rate | % ceiling | trust | "
          "verification |\n"
          "|---|---|---|---|---|---|---|\n";
      for (const auto& r : result_rows(docs[i]))
        out += fmt::format("| {} | {} | {} | {} | {} | {} | {} |\n", markdown_escape(r.key),
                           markdown_escape(r.status), r.median, markdown_escape(r.rate), r.share,
                           markdown_escape(r.trust), markdown_escape(r.verification));
      const auto ceilings = ceiling_rows(docs[i]);
      if (!ceilings.empty()) {
        out += "\n| ceiling | measured | nominal peak | note |\n|---|---|---|---|\n";
        for (const auto& c : ceilings)
          out += fmt::format("| {} | {} | {} | {} |\n", markdown_escape(c.key),
                             markdown_escape(c.measured), markdown_escape(c.nominal),
                             markdown_escape(c.note));
      }
      out += "\n### Artifact description\n\n";
      const artifact a = artifact_description(docs[i], paths[i]);
      for (const auto& [title, items] : a.sections) {
        out += fmt::format("#### {}\n\n", title);
        for (const auto& it : items) out += "- " + markdown_escape(it) + "\n";
        out += "\n";
      }
      out += "Each number again (one command per problem):\n\n";
      out += markdown_code_block(a.run_block) + "\n";
      out += "#### Context\n\n| | |\n|---|---|\n";
      for (const auto& [k, v] : context_rows(docs[i]))
        out += fmt::format("| {} | {} |\n", k, markdown_escape(v));
      out += "\n";
    }
    if (figures.is_null())
      out += fmt::format("Figures: none ({}).\n", markdown_escape(why));
    else
      out += "Figures: see the HTML report (`mlhpc report FILE... -o report.html`).\n";
    return out;
  }
  out +=
      "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"/><title>mlhpc-bench "
      "report</title>\n<style>body{font-family:sans-serif;margin:2em;max-width:80em}"
      "table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #bbb;padding:.25em "
      ".5em;text-align:left;vertical-align:top;font-size:90%}th{background:#eee}"
      "td.num{text-align:right;white-space:nowrap}.pass{color:#060}.warn{color:#a60}"
      ".fail{color:#b00;font-weight:bold}figure{margin:1em 0}figcaption{font-size:85%;"
      "color:#444;max-width:60em}img{max-width:100%;height:auto}"
      "code{font-size:85%}</style></head><body>\n<h1>mlhpc-bench report</h1>\n";
  // 1. Summary: the node, its verdicts, the headline figures.
  out += "<h2 id=\"summary\">Summary</h2>\n";
  for (std::size_t i = 0; i < docs.size(); ++i) {
    const auto& d = docs[i];
    out += fmt::format("<h3>{}</h3>\n<table>\n", html_escape(names[i]));
    const auto fields = context_fields(d.value("context", json::object()));
    for (const auto& [k, v] : fields)
      if (k == "host" || k == "cpu" || k == "topology" || k == "memory")
        out += fmt::format("<tr><th>{}</th><td>{}</td></tr>\n", html_escape(k), html_escape(v));
    if (d.contains("acceptance")) {
      const std::string v = text(d["acceptance"].value("verdict", json("?")));
      out += fmt::format("<tr><th>node verdict</th><td class=\"{}\">{}</td></tr>\n", html_escape(v),
                         html_escape(v));
    }
    out +=
        fmt::format("<tr><th>results</th><td>{}</td></tr>\n", html_escape(format_summary_line(d)));
    for (const auto& [k, v] : headline_rows(d))
      out += fmt::format("<tr><th>{}</th><td>{}</td></tr>\n", html_escape(k), html_escape(v));
    out += "</table>\n";
    if (d.contains("acceptance")) {
      out += "<table>\n<tr><th>verdict</th><th>check</th><th>against</th><th>notes</th></tr>\n";
      for (const auto& c : d["acceptance"].value("checks", json::array())) {
        std::string against;
        for (const auto& j : c.value("judgements", json::array()))
          against += fmt::format("{}{}: {:.1f} % ({})", against.empty() ? "" : "; ",
                                 text(j.value("against", json(""))), j.value("ratio", 0.0) * 100,
                                 text(j.value("verdict", json(""))));
        std::string notes;
        for (const auto& n : c.value("notes", json::array()))
          notes += fmt::format("{}{}", notes.empty() ? "" : "; ", text(n));
        const std::string v = text(c.value("verdict", json("?")));
        out += fmt::format("<tr><td class=\"{}\">{}</td><td>{}</td><td>{}</td><td>{}</td></tr>\n",
                           html_escape(v), html_escape(v),
                           html_escape(text(c.value("label", json("")))),
                           html_escape(against.empty() ? "-" : against), html_escape(notes));
      }
      out += "</table>\n";
    }
  }
  // 2. Figures.
  out += "<h2 id=\"figures\">Figures</h2>\n";
  if (figures.is_null()) {
    out += fmt::format("<p>No figures: {}. The tables below hold every number.</p>\n",
                       html_escape(why));
  } else {
    // SVG as an image: nothing inside it can run, and the file stays self-contained.
    for (const auto& [name, svg] : figures.items()) {
      const auto [w, h] = svg_size(svg.get<std::string>());
      out += fmt::format(
          "<figure><img alt=\"{}\" width=\"{}\" height=\"{}\" "
          "src=\"data:image/svg+xml;base64,{}\"/><figcaption>{}</figcaption></figure>\n",
          html_escape(name), w, h, base64(svg.get<std::string>()),
          html_escape(figure_caption(name)));
    }
  }
  // 3. Tables.
  out += "<h2 id=\"results\">Results</h2>\n";
  for (std::size_t i = 0; i < docs.size(); ++i) {
    out += fmt::format("<h3>{}</h3>\n", html_escape(names[i]));
    out +=
        "<table>\n<tr><th>problem</th><th>status</th><th>median time (95 % interval)</th>"
        "<th>median rate</th><th>% of ceiling</th><th>trust</th><th>verification</th>"
        "<th>re-run</th></tr>\n";
    for (const auto& r : result_rows(docs[i]))
      out += fmt::format(
          "<tr><td>{}</td><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td>"
          "<td class=\"num\">{}</td><td>{}</td><td>{}</td><td><code>{}</code></td></tr>\n",
          html_escape(r.key), html_escape(r.status), html_escape(r.median), html_escape(r.rate),
          html_escape(r.share), html_escape(r.trust), html_escape(r.verification),
          html_escape(r.repro));
    out += "</table>\n";
    const auto ceilings = ceiling_rows(docs[i]);
    if (!ceilings.empty()) {
      out +=
          "<table>\n<tr><th>ceiling</th><th>measured (best sample)</th><th>nominal peak</th>"
          "<th>note</th></tr>\n";
      for (const auto& c : ceilings)
        out += fmt::format("<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>\n",
                           html_escape(c.key), html_escape(c.measured), html_escape(c.nominal),
                           html_escape(c.note));
      out += "</table>\n";
    }
  }
  // 4. Context and the artifact description (SC's layout).
  out += "<h2 id=\"artifact\">Artifact description</h2>\n";
  for (std::size_t i = 0; i < docs.size(); ++i) {
    out += fmt::format("<h3>{}</h3>\n", html_escape(names[i]));
    const artifact a = artifact_description(docs[i], paths[i]);
    for (const auto& [title, items] : a.sections) {
      out += fmt::format("<h4>{}</h4>\n<ul>\n", html_escape(title));
      for (const auto& it : items) out += fmt::format("<li>{}</li>\n", html_escape(it));
      out += "</ul>\n";
    }
    out += fmt::format("<h4>Each number again</h4>\n<pre><code>{}</code></pre>\n",
                       html_escape(a.run_block));
    out += "<h4>Context</h4>\n<table>\n";
    for (const auto& [k, v] : context_rows(docs[i]))
      out += fmt::format("<tr><th>{}</th><td>{}</td></tr>\n", html_escape(k), html_escape(v));
    out += "</table>\n";
  }
  out += "</body></html>\n";
  return out;
}

}  // namespace mlhpc::reports
