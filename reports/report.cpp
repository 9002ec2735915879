#include "reports/report.hpp"

#include <fmt/format.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <map>

#include "bench/files.hpp"
#include "bench/rates.hpp"
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

// The context rows a reader wants first.
std::vector<std::pair<std::string, std::string>> context_rows(const json& d) {
  std::vector<std::pair<std::string, std::string>> rows = {
      {"host", text(at(d, {"context", "system", "host"}))},
      {"CPU", fmt::format("{} ({}, family {} model {})",
                          text(at(d, {"context", "system", "cpu", "model_name"})),
                          text(at(d, {"context", "system", "cpu", "vendor"})),
                          text(at(d, {"context", "system", "cpu", "family"})),
                          text(at(d, {"context", "system", "cpu", "model"})))},
      {"sockets / cores / hardware threads",
       fmt::format("{} / {} / {}", text(at(d, {"context", "system", "topology", "sockets"})),
                   text(at(d, {"context", "system", "topology", "cores"})),
                   text(at(d, {"context", "system", "topology", "hardware_threads"})))},
      {"memory", text(at(d, {"context", "system", "memory"}))},
      {"frequency", text(at(d, {"context", "system", "frequency"}))},
      {"virtualization", text(at(d, {"context", "system", "virtualization"}))},
      {"OS / kernel", fmt::format("{} / {}", text(at(d, {"context", "system", "os"})),
                                  text(at(d, {"context", "system", "kernel"})))},
      {"tool", fmt::format("mlhpc-bench {} (git {}), {} build, {}",
                           text(at(d, {"context", "tool", "version"})),
                           text(at(d, {"context", "tool", "git_commit"})),
                           text(at(d, {"context", "tool", "build_type"})),
                           text(at(d, {"context", "tool", "compiler"})))},
      {"compiler flags", text(at(d, {"context", "tool", "flags"}))},
      {"libraries", text(at(d, {"context", "libraries"}))},
      {"environment", text(at(d, {"context", "environment"}))},
      {"threads", text(at(d, {"run", "threads"}))},
      {"command", text(at(d, {"run", "command_line"}))},
      {"run", fmt::format("{} to {}, {}", text(at(d, {"run", "started_at"})),
                          text(at(d, {"run", "ended_at"})), text(at(d, {"run", "status"})))},
  };
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
        fmt::format("{:.4g} {} ({})", c["value"].get<double>(), unit, c.value("source", "?"));
    row.nominal = "-";
    if (c.contains("nominal"))
      row.nominal = fmt::format("{:.4g} {}: measured {:.1f} %", c["nominal"]["value"].get<double>(),
                                c["nominal"].value("unit", unit),
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
    row.key = r["key"];
    row.status = r["status"];
    if (r.contains("reason")) row.status += ": " + r["reason"].get<std::string>();
    row.median = r.contains("statistics")
                     ? fmt::format("{:.4g} s", r["statistics"]["median_s"].get<double>())
                     : "-";
    row.rate = "-";
    // The rate the result is judged by, in its own unit (stream in byte/s, int8 in op/s).
    if (const std::string m = judged_metric(r); !m.empty())
      row.rate = fmt::format("{:.4g} {}", r["rates"][m]["median"].get<double>(), rate_unit(r, m));
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
          {{"label", r["key"]},
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
      if (metric.empty()) continue;
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
    // Keys present in every file, with the median time's 95 % interval as a relative error bar.
    json labels = json::array(), series = json::array();
    std::vector<std::string> keys;
    for (const auto& r : docs[0]["results"]) {
      bool everywhere = r.value("status", "") == "ok";
      for (std::size_t i = 1; i < docs.size() && everywhere; ++i) {
        bool found = false;
        for (const auto& s : docs[i]["results"])
          found = found || (s["key"] == r["key"] && s.value("status", "") == "ok");
        everywhere = found;
      }
      if (everywhere) keys.push_back(r["key"]);
    }
    for (const auto& k : keys) labels.push_back(k);
    for (std::size_t i = 0; i < docs.size(); ++i) {
      json s = {{"name", names[i]},
                {"values", json::array()},
                {"low", json::array()},
                {"high", json::array()}};
      for (const auto& k : keys)
        for (const auto& r : docs[i]["results"])
          if (r["key"] == k) {
            const auto& st = r["statistics"];
            const double med = st["median_s"];
            s["values"].push_back(med * 1e3);
            s["low"].push_back(st.contains("median_ci95_s")
                                   ? st["median_ci95_s"]["low"].get<double>() * 1e3
                                   : med * 1e3);
            s["high"].push_back(st.contains("median_ci95_s")
                                    ? st["median_ci95_s"]["high"].get<double>() * 1e3
                                    : med * 1e3);
          }
      series.push_back(s);
    }
    if (!keys.empty())
      spec["comparison"] = {{"kind", "bars"},
                            {"title", "median time per repetition, 95 % interval of the median"},
                            {"ylabel", "ms"},
                            {"labels", labels},
                            {"series", series}};
  }
  return spec;
}

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
      out += fmt::format("## {}\n\n| | |\n|---|---|\n", markdown_escape(names[i]));
      for (const auto& [k, v] : context_rows(docs[i]))
        out += fmt::format("| {} | {} |\n", k, markdown_escape(v));
      out +=
          "\n| problem | status | median | rate | % ceiling | trust | verification |\n"
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
      out += fmt::format(
          "- Hardware: {} CPU, {} cores, {} hardware threads, {} socket(s), memory {}; "
          "virtualization {}.\n",
          markdown_escape(text(at(docs[i], {"context", "system", "cpu", "model_name"}))),
          markdown_escape(text(at(docs[i], {"context", "system", "topology", "cores"}))),
          markdown_escape(text(at(docs[i], {"context", "system", "topology", "hardware_threads"}))),
          markdown_escape(text(at(docs[i], {"context", "system", "topology", "sockets"}))),
          markdown_escape(text(at(docs[i], {"context", "system", "memory"}))),
          markdown_escape(text(at(docs[i], {"context", "system", "virtualization"}))));
      out += fmt::format(
          "- Software: mlhpc-bench {} (git {}), {}; libraries {}; OS {}, kernel "
          "{}.\n",
          markdown_escape(text(at(docs[i], {"context", "tool", "version"}))),
          markdown_escape(text(at(docs[i], {"context", "tool", "git_commit"}))),
          markdown_escape(text(at(docs[i], {"context", "tool", "compiler"}))),
          markdown_escape(text(at(docs[i], {"context", "libraries"}))),
          markdown_escape(text(at(docs[i], {"context", "system", "os"}))),
          markdown_escape(text(at(docs[i], {"context", "system", "kernel"}))));
      out += fmt::format("- Build: {} build, flags {}.\n",
                         markdown_escape(text(at(docs[i], {"context", "tool", "build_type"}))),
                         markdown_escape(text(at(docs[i], {"context", "tool", "flags"}))));
      // Strings from the file stay text: code spans and blocks fenced longer than any run of
      // backticks inside, control characters escaped (bench/text.hpp).
      std::string command;
      for (const auto& arg : at(docs[i], {"run", "command_line"})) {
        if (!command.empty()) command += ' ';
        command += text(arg);
      }
      out += fmt::format("- The run: {}; result file {} (schema {}), raw samples included.\n",
                         markdown_code(command), markdown_code(paths[i]),
                         markdown_escape(text(docs[i]["schema_version"])));
      std::string repro;
      for (const auto& r : result_rows(docs[i]))
        if (!r.repro.empty()) repro += r.repro + "\n";
      out += "- Each number again (one command per problem):\n\n";
      out += markdown_code_block(repro) + "\n";
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
      "code{font-size:85%}</style></head><body>\n<h1>mlhpc-bench report</h1>\n";
  for (std::size_t i = 0; i < docs.size(); ++i) {
    out += fmt::format("<h2>{}</h2>\n<table>\n", html_escape(names[i]));
    for (const auto& [k, v] : context_rows(docs[i]))
      out += fmt::format("<tr><th>{}</th><td>{}</td></tr>\n", html_escape(k), html_escape(v));
    out +=
        "</table>\n<table>\n<tr><th>problem</th><th>status</th><th>median</th><th>rate</th>"
        "<th>% ceiling</th><th>trust</th><th>verification</th><th>re-run</th></tr>\n";
    for (const auto& r : result_rows(docs[i]))
      out += fmt::format(
          "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td>"
          "<td><code>{}</code></td></tr>\n",
          html_escape(r.key), html_escape(r.status), r.median, html_escape(r.rate), r.share,
          html_escape(r.trust), html_escape(r.verification), html_escape(r.repro));
    out += "</table>\n";
    const auto ceilings = ceiling_rows(docs[i]);
    if (!ceilings.empty()) {
      out +=
          "<table>\n<tr><th>ceiling</th><th>measured</th><th>nominal peak</th><th>note</th></tr>\n";
      for (const auto& c : ceilings)
        out += fmt::format("<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>\n",
                           html_escape(c.key), html_escape(c.measured), html_escape(c.nominal),
                           html_escape(c.note));
      out += "</table>\n";
    }
  }
  out += "<h2>Figures</h2>\n";
  if (figures.is_null()) {
    out += fmt::format("<p>No figures: {}. The tables above hold every number.</p>\n",
                       html_escape(why));
  } else {
    // SVG as an image: nothing inside it can run, and the file stays self-contained.
    for (const auto& [name, svg] : figures.items())
      out += fmt::format("<p><img alt=\"{}\" src=\"data:image/svg+xml;base64,{}\"/></p>\n",
                         html_escape(name), base64(svg.get<std::string>()));
  }
  out += "</body></html>\n";
  return out;
}

}  // namespace mlhpc::reports
