#pragma once
// Node acceptance verdicts (mlhpc accept): each result of a run judged pass, warn or fail against
// what this node should reach, and one verdict for the node. Reads result JSON only.
//
// A result is judged against up to three figures, each with a warn and a fail threshold on the
// ratio measured / expected (documented defaults in acceptance_thresholds):
//   - nominal: the datasheet figure. `peak` against the nominal peak of its type (the context's
//     nominal_peak: cores x clock x FMA units ...), the best sample as a ceiling is; `stream`
//     against channels x transfer rate x 8 B when the site gives them (a VM hides its DIMMs).
//   - ceiling: a GEMM, convolution or training step as a share of the ceiling of its type
//     measured in the same run (`ceiling.share`).
//   - reference: each --reference file's result with the same pairing key (a fleet's median
//     run, the vendor's acceptance run): the ratio of the median rates.
// Beyond the figures: a failed result fails; a counting error (above its ceiling or the nominal
// peak) fails; a node that stands out among the ranks (ranks.acceptance) fails; a `cached` I/O
// result, or one whose timing cannot be trusted (cv, ci, n<6, busy, threads, oversub,
// fits-cache), warns: run it again on a quiet node. A skipped result, or one with no figure to
// be judged against, is `unjudged` and does not count. The node's verdict is the worst of its
// checks; a node with no judged check is `unjudged`.
#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace mlhpc::reports {

struct acceptance_thresholds {
  // measured / nominal peak: about 97-99 % is reached by `peak` on a healthy Zen 4 node (a
  // throttled or misconfigured one falls well below).
  double nominal_warn = 0.90, nominal_fail = 0.80;
  // stream triad / theoretical bandwidth: STREAM reaches 60-85 % of channels x speed x 8 B on
  // current servers (McCalpin's STREAM results).
  double memory_warn = 0.60, memory_fail = 0.45;
  // share of the ceiling measured in the same run: oneDNN's GEMM and convolutions reach 80-95 %
  // of peak; a training step far less (batch norm and element-wise layers are memory bound).
  double ceiling_warn = 0.70, ceiling_fail = 0.50;
  double step_ceiling_warn = 0.25, step_ceiling_fail = 0.15;
  // measured / reference median rate: 5 % slower warns, 10 % fails.
  double reference_warn = 0.95, reference_fail = 0.90;
  // Nominal memory bandwidth, bytes/s: channels x MT/s x 8 B; 0 when unknown.
  double memory_bytes_per_s = 0;
};

// The verdicts of the results of `doc`; `references` are (path, document) pairs. Returns the
// `acceptance` object the result file carries: verdict, counts, thresholds, references, and per
// check the key, label, verdict and each judgement (against, measured, expected, ratio,
// verdict) with its notes.
nlohmann::json judge_node(const nlohmann::json& doc,
                          const std::vector<std::pair<std::string, nlohmann::json>>& references,
                          const acceptance_thresholds& t);

// One line per check and one for the node, for the terminal.
std::string format_acceptance(const nlohmann::json& acceptance);

// Exit status of `mlhpc accept`: 1 when the node fails, else 0.
int acceptance_status(const nlohmann::json& acceptance);

}  // namespace mlhpc::reports
