#pragma once
// The synthetic whole-network estimate from per-layer results (conv --set network=resnet50):
// per (dtype, layout), Σ count x median of each pass over the network's layer list, computed
// from the result document alone (no workload code), so that the runner writes it and offline
// tools can recompute it. Beside it, the measured training steps of the same network (resnet50
// results of the same batch and dtype), so a reader sees how much of a step the convolutions
// alone would take.
#include <nlohmann/json.hpp>

#include <string>

namespace mlhpc {

// The summary of the conv results of shape list `list` (a layer is a line of it:
// result.shape_list.line; its expected lines are result.shape_list.lines), named `network`.
// Null when `results` hold none of the list. Totals are given only when every pass of every
// line is there and ok; otherwise `unavailable` says what is missing.
nlohmann::json network_summary(const std::string& network, const std::string& list,
                               const nlohmann::json& results);

}  // namespace mlhpc
