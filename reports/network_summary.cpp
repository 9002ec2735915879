#include "reports/network_summary.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <map>
#include <vector>

namespace mlhpc {

namespace {

using nlohmann::json;

struct layer {
  std::string problem;
  std::int64_t count = 1, line = 0;
  double batch = 0;
  std::map<std::string, double> median_s;
  std::map<std::string, std::string> not_ok;
};

// The resnet50 steps measured in the same document at this batch and dtype, on the full
// network (224^2, 64-channel stem, 1000 classes: the layers of the list).
json measured_steps(const json& results, double batch, const std::string& dtype,
                    std::optional<double> synthetic_step_s) {
  json out = json::array();
  for (const auto& r : results) {
    if (r.value("workload", "") != "resnet50" || r.value("status", "") != "ok") continue;
    const auto& p = r["parameters"];
    if (p.value("dtype", "") != dtype || p.value("batch", 0.0) != batch ||
        p.value("image", 0) != 224 || p.value("width", 0) != 64 || p.value("classes", 0) != 1000)
      continue;
    const double step = r["statistics"]["median_s"];
    json m = {{"problem", r.value("canonical", "")},
              {"variant", r.value("variant", "")},
              {"step_s", step},
              {"images_per_s", batch / step}};
    const auto& prof = r["details"].value("profile", json::object());
    if (prof.contains("seconds_by_kind") && prof.contains("step_s")) {
      double conv = 0;
      for (const char* k : {"conv_fwd", "conv_bwd_data", "conv_bwd_weights"})
        conv += prof["seconds_by_kind"].value(k, 0.0);
      m["profiled_convolution_s"] = conv;
      m["profiled_step_s"] = prof["step_s"];
      m["profiled_convolution_share"] = conv / prof["step_s"].get<double>();
    }
    if (synthetic_step_s) m["synthetic_share"] = *synthetic_step_s / step;
    out.push_back(m);
  }
  return out;
}

}  // namespace

json network_summary(const std::string& network, const std::string& list, const json& results) {
  // Layers (lines of the list) per (dtype, layout): each pass's median time.
  std::map<std::pair<std::string, std::string>, std::map<std::int64_t, layer>> groups;
  std::vector<std::int64_t> expected;
  for (const auto& r : results) {
    if (r.value("workload", "") != "conv" || !r.contains("shape_list") ||
        r["shape_list"].value("list", "") != list)
      continue;
    const auto& sl = r["shape_list"];
    if (sl.contains("lines") && expected.empty())
      expected = sl["lines"].get<std::vector<std::int64_t>>();
    const auto& p = r["parameters"];
    auto& layers = groups[{p.value("dtype", "?"), p.value("layout", "?")}];
    const std::int64_t line = sl.value("line", 0);
    auto& l = layers[line];
    l.line = line;
    l.problem = p.value("problem", "");
    l.count = p.value("count", 1);
    if (r.contains("work") && r["work"].contains("items")) l.batch = r["work"]["items"];
    const std::string pass_name = p.value("pass", "?");
    if (r.value("status", "") == "ok")
      l.median_s[pass_name] = r["statistics"]["median_s"];
    else
      l.not_ok[pass_name] = r.value("status", "?") + ": " + r.value("reason", "");
  }
  if (groups.empty()) return nullptr;
  // Every layer of the list must be there: a summary of a subset (a partial or interrupted run,
  // or the file written between two problems) would look faster than the network is.
  for (auto& [key, layers] : groups)
    for (const auto line : expected)
      if (!layers.count(line)) {
        layer l;
        l.line = line;
        l.problem = fmt::format("line {} of the list", line);
        for (const char* ps : {"fwd_training", "bwd_data", "bwd_weights"}) l.not_ok[ps] = "not run";
        layers[line] = l;
      }
  // One summary object per run: the first (dtype, layout) group; others are listed as their own
  // entries of "other_groups".
  json all = json::array();
  for (auto& [key, layers] : groups) {
    json sm = {{"kind", "network"},  {"network", network},   {"shape_list", list},
               {"dtype", key.first}, {"layout", key.second}, {"layers", layers.size()}};
    if (!expected.empty()) sm["layers_expected"] = expected.size();
    double batch = 0;
    for (const auto& [line, l] : layers) batch = std::max(batch, l.batch);
    if (batch > 0) sm["batch"] = batch;
    std::int64_t convs = 0;
    double fwd = 0, step = 0;
    std::vector<std::string> fwd_missing, step_missing;
    json per = json::array();
    bool first = true;
    for (const auto& entry : layers) {
      const layer& l = entry.second;  // a plain reference: clang 15 cannot capture a binding
      convs += l.count;
      const auto c = static_cast<double>(l.count);
      json row = {{"problem", l.problem}, {"count", l.count}, {"line", l.line}};
      for (const auto& [ps, t] : l.median_s) row[ps + "_s"] = t;
      auto get = [&](const char* ps, std::vector<std::string>& missing) -> double {
        const auto it = l.median_s.find(ps);
        if (it != l.median_s.end()) return it->second;
        const auto bad = l.not_ok.find(ps);
        missing.push_back(fmt::format("{} {}{}", l.problem, ps,
                                      bad != l.not_ok.end() ? " (" + bad->second + ")" : ""));
        return 0;
      };
      fwd += c * get("fwd_training", fwd_missing);
      step += c * get("fwd_training", step_missing);
      step += c * get("bwd_weights", step_missing);
      // The first layer reads the images: a framework computes no gradient for its input.
      if (!first) step += c * get("bwd_data", step_missing);
      first = false;
      per.push_back(row);
    }
    sm["convolutions"] = convs;
    sm["per_layer"] = per;
    json unavailable = json::object();
    if (fwd_missing.empty() && batch > 0) {
      sm["forward_s"] = fwd;
      sm["forward_images_per_s"] = batch / fwd;
    } else if (!fwd_missing.empty()) {
      unavailable["forward_s"] = fmt::format("missing {}", fmt::join(fwd_missing, "; "));
    }
    std::optional<double> synthetic;
    if (step_missing.empty() && batch > 0) {
      sm["training_step_s"] = step;
      sm["training_images_per_s"] = batch / step;
      synthetic = step;
    } else if (!step_missing.empty()) {
      unavailable["training_step_s"] = fmt::format("missing {}", fmt::join(step_missing, "; "));
    }
    if (!unavailable.empty()) sm["unavailable"] = unavailable;
    sm["method"] =
        "sum over the layers of count x the median time of each pass (forward: fwd_training; "
        "training step: fwd_training + bwd_data + bwd_weights, without bwd_data of the first "
        "layer, whose input is the images); convolutions only: no batch norm, activations, "
        "pooling, FC layer, optimizer or reorders between layers";
    if (batch > 0) {
      const json steps = measured_steps(results, batch, key.first, synthetic);
      if (!steps.empty()) {
        sm["measured_steps"] = steps;
        sm["measured_steps_method"] =
            "resnet50 results of this document at the same batch and dtype (224^2, the full "
            "network): synthetic_share = this summary's training_step_s / the measured step; "
            "profiled_convolution_share = the convolutions' time in the step's own profile";
      }
    }
    all.push_back(sm);
  }
  if (all.size() == 1) return all.front();
  json out = all.front();
  out["other_groups"] = json::array();
  for (std::size_t i = 1; i < all.size(); ++i) out["other_groups"].push_back(all[i]);
  return out;
}

}  // namespace mlhpc
