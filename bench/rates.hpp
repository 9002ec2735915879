#pragma once
// The rate vocabulary, in one place: which rates a result can carry, which one it is judged by,
// and the unit each is written and shown in. The session, the table, the ceilings, compare and
// report all read it (an int8 GEMM runs at op/s, `stream` at byte/s, never flop/s).
#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace mlhpc {

struct rate_kind {
  const char* metric;     // key in a result's "rates": "flops_per_s"
  const char* work_key;   // key in its "work": "flops"
  const char* base_unit;  // "flop/s", "byte/s", "item/s" (refined by rate_unit)
  const char* meaning;    // for the schema and the docs
};

// The rates a result can carry, in the order they are judged when nothing else says:
// flops_per_s, bus_bytes_per_s (a collective's bus bandwidth as nccl-tests defines it: algorithm
// bytes / time x the collective's factor), bytes_per_s, items_per_s.
const std::vector<rate_kind>& rate_kinds();
// The kind whose metric is `metric`, or nullptr.
const rate_kind* find_rate_kind(const std::string& metric);
// The schema of a result's "rates" object and the enum of ceiling metrics, from rate_kinds()
// (the result schema is completed with them when it is loaded).
nlohmann::json rates_schema();

// The metric a result is judged by: its ceiling's, else the ceiling's it provides, else the first
// of rate_kinds() it has; "" when it has no rate.
std::string judged_metric(const nlohmann::json& result);

// The work of one repetition in the unit of the result's judged rate; before the result has
// rates, in the first unit of rate_kinds() its work declares; 0 when it declares none.
double judged_work(const nlohmann::json& result);

// The unit of a result's rate: rates[metric]["unit"] where the file has it; else "op/s" for the
// arithmetic of an int8 problem (variant or dtype int8), "flop/s" for other arithmetic, "byte/s",
// and "<item_unit>/s" for items.
std::string rate_unit(const nlohmann::json& result, const std::string& metric);

// "225.1 GFLOP/s", "70.3 GB/s", "2712.0 GOP/s", "123.4 image/s" (other units: SI prefix G when
// the value is at least 1e9).
std::string format_rate(double value, const std::string& unit);

}  // namespace mlhpc
