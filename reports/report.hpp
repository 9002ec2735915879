#pragma once
// mlhpc report: one self-contained HTML file (or Markdown) from result files: the system context
// in readable form, the results, figures drawn by matplotlib (reports/plot.py) and embedded, and
// for Markdown an artifact description for a paper's appendix. Every string from a result file
// is escaped. Reads result JSON only.
#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace mlhpc::reports {

struct report_options {
  std::string format = "html";  // html or md
  std::string python;       // interpreter with matplotlib; empty: MLHPC_PYTHON, /usr/bin/python3
  std::string plot_script;  // reports/plot.py as installed
};

// The figures' data (roofline per file; bar chart of rates with 95 % intervals when there are
// several files), as the JSON spec plot.py reads.
nlohmann::json figure_spec(const std::vector<nlohmann::json>& docs,
                           const std::vector<std::string>& names);

std::string render_report(const std::vector<nlohmann::json>& docs,
                          const std::vector<std::string>& paths, const report_options& opt);

// &, <, >, " and ' as entities.
std::string html_escape(const std::string& s);

}  // namespace mlhpc::reports
