#include "bench/rates.hpp"

#include "bench/dtype.hpp"

#include <fmt/format.h>

namespace mlhpc {

using nlohmann::json;

const std::vector<rate_kind>& rate_kinds() {
  static const std::vector<rate_kind> k = {
      {"flops_per_s", "flops", "flop/s", "arithmetic per second (op/s for integer types)"},
      {"bus_bytes_per_s", "bus_bytes", "byte/s",
       "a collective's bus bandwidth (nccl-tests busbw: algbw x the collective's factor, e.g. "
       "2(n-1)/n for allreduce), comparable with the link's speed"},
      {"bytes_per_s", "bytes", "byte/s",
       "bytes per second: memory traffic, or a collective's algorithm bandwidth (nccl-tests "
       "algbw: message bytes / time)"},
      {"items_per_s", "items", "item/s", "domain items (images, samples) per second"}};
  return k;
}

const rate_kind* find_rate_kind(const std::string& metric) {
  for (const auto& k : rate_kinds())
    if (metric == k.metric) return &k;
  return nullptr;
}

json rates_schema() {
  json props = json::object();
  json metrics = json::array();
  for (const auto& k : rate_kinds()) {
    props[k.metric] = {{"$ref", "#/definitions/rate"}, {"description", k.meaning}};
    metrics.push_back(k.metric);
  }
  return {{"rates", {{"type", "object"}, {"additionalProperties", false}, {"properties", props}}},
          {"metrics", metrics}};
}

std::string judged_metric(const json& r) {
  if (!r.is_object() || !r.contains("rates") || !r["rates"].is_object()) return "";
  for (const char* c : {"ceiling", "provides_ceiling"})
    if (r.contains(c) && r[c].is_object() && r[c].contains("metric") &&
        r[c]["metric"].is_string() && r["rates"].contains(r[c]["metric"].get<std::string>()))
      return r[c]["metric"].get<std::string>();
  for (const auto& k : rate_kinds())
    if (r["rates"].contains(k.metric)) return k.metric;
  return "";
}

double judged_work(const json& r) {
  if (!r.is_object() || !r.contains("work") || !r["work"].is_object()) return 0;
  const json& w = r["work"];
  if (const rate_kind* k = find_rate_kind(judged_metric(r));
      k != nullptr && w.contains(k->work_key) && w[k->work_key].is_number())
    return w[k->work_key].get<double>();
  for (const auto& k : rate_kinds())
    if (w.contains(k.work_key) && w[k.work_key].is_number()) return w[k.work_key].get<double>();
  return 0;
}

std::string rate_unit(const json& r, const std::string& metric) {
  if (r.contains("rates") && r["rates"].contains(metric) && r["rates"][metric].is_object() &&
      r["rates"][metric].contains("unit") && r["rates"][metric]["unit"].is_string())
    return r["rates"][metric]["unit"];
  if (metric == "flops_per_s") {
    // An integer type, named by the variant (gemm:int8) or a dtype parameter, counts ops.
    const auto integer = [](const json& name) {
      if (!name.is_string()) return false;
      const auto t = dtype_from_string(name.get<std::string>());
      return t && is_integer(*t);
    };
    const bool ops = (r.contains("variant") && integer(r["variant"])) ||
                     (r.contains("parameters") && r["parameters"].is_object() &&
                      r["parameters"].contains("dtype") && integer(r["parameters"]["dtype"]));
    return ops ? "op/s" : "flop/s";
  }
  if (metric == "bytes_per_s" || metric == "bus_bytes_per_s") return "byte/s";
  if (metric == "items_per_s") {
    if (r.contains("work") && r["work"].is_object() && r["work"].contains("item_unit") &&
        r["work"]["item_unit"].is_string() && !r["work"]["item_unit"].get<std::string>().empty())
      return r["work"]["item_unit"].get<std::string>() + "/s";
    return "item/s";
  }
  return "";
}

std::string format_rate(double v, const std::string& unit) {
  if (unit == "flop/s") return fmt::format("{:.1f} GFLOP/s", v / 1e9);
  if (unit == "op/s") return fmt::format("{:.1f} GOP/s", v / 1e9);
  if (unit == "byte/s") {
    // A small collective moves kilobytes per second: 0.0 GB/s would read as nothing measured.
    if (v < 1e6) return fmt::format("{:.1f} kB/s", v / 1e3);
    if (v < 1e9) return fmt::format("{:.1f} MB/s", v / 1e6);
    return fmt::format("{:.1f} GB/s", v / 1e9);
  }
  if (v >= 1e9) return fmt::format("{:.1f} G{}", v / 1e9, unit);
  return fmt::format("{:.4g} {}", v, unit);
}

}  // namespace mlhpc
