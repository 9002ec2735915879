#pragma once
// mlhpc compare: pairs the results of two result files by their key (workload, variant,
// canonical parameters) and decides per pair, from the raw samples, whether the new run
// regressed, improved, is unchanged or is inconclusive. Reads result JSON only.
#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace mlhpc::reports {

struct compare_options {
  double threshold = 0.05;  // a change counts only beyond this fraction
  double alpha = 0.05;      // and when the U test's p-value is below this
  int min_samples = 5;      // fewer on a side: inconclusive
  int warn_samples = 9;     // fewer on a side: a warning
  int resamples = 2000;     // bootstrap resamples
  std::uint64_t seed = 1;
};

// Reads a result file and checks it: readable, complete JSON, valid against the schema, schema
// major version 1, no duplicate result keys. Throws usage_error naming the file and the problem.
nlohmann::json load_result_file(const std::string& path);

// The comparison of `neu` against `base` (both loaded): context differences, one entry per
// paired key with medians, time ratio new/base with its bootstrap interval, U test p-value and
// verdict, the keys found on one side only, and geometric-mean summaries per workload and overall.
nlohmann::json compare(const nlohmann::json& base, const std::string& base_path,
                       const nlohmann::json& neu, const std::string& new_path,
                       const compare_options& opt);

// Several runs per side (a group is one result file): per pairing key, the ratio of the
// geometric means of the runs' medians with a hierarchical bootstrap interval over runs, then
// samples (statistics.hpp), so run-to-run drift widens the interval instead of raising false
// alarms. `paired`: base[i] and neu[i] were taken in the same round of an interleaved protocol
// (mlhpc ab), so the rounds are resampled together. Verdicts: regressed when the interval lies
// above 1 and the ratio is at least 1 + threshold (improved: mirrored); unchanged when the
// interval lies inside [1/(1+threshold), 1+threshold]; otherwise inconclusive.
nlohmann::json compare_groups(const std::vector<nlohmann::json>& base,
                              const std::vector<std::string>& base_paths,
                              const std::vector<nlohmann::json>& neu,
                              const std::vector<std::string>& new_paths, bool paired,
                              const compare_options& opt);

// Many nodes' results of the same suite: per result key, each node's median time, the median
// over nodes, the spread, and the nodes that stand out: robust |z| > `z_limit` (median and MAD)
// and at least `min_effect` away from the median (a node 1 % off a tight fleet has a large z but
// no effect worth a sysadmin's time). Needs three nodes: with two, the median is their midpoint
// and both are equally far from it, so no node can be called the odd one; the result says so.
// Nodes are named by their host, or their file.
nlohmann::json compare_fleet(const std::vector<nlohmann::json>& docs,
                             const std::vector<std::string>& paths, double z_limit = 3.5,
                             double min_effect = 0.05);
std::string format_fleet_console(const nlohmann::json& fleet);
std::string format_fleet_markdown(const nlohmann::json& fleet);

// Renderings of one or more comparisons.
std::string format_console(const std::vector<nlohmann::json>& comparisons);
std::string format_markdown(const std::vector<nlohmann::json>& comparisons);
std::string format_junit(const std::vector<nlohmann::json>& comparisons);

// Markdown table-cell escaping: the characters that make markup or break the table get a
// backslash, newlines become spaces.
std::string markdown_escape(const std::string& s);

// XML text escaping (& < > " ').
std::string xml_escape(const std::string& s);

}  // namespace mlhpc::reports
