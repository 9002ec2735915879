#pragma once
// The readable end-of-run table, formatted from a result document (a printer: it measures
// nothing and reads only the JSON).
#include <nlohmann/json.hpp>

#include <string>

namespace mlhpc {

// Columns: problem, status, median time, rate, % of ceiling, verification. Unmeasured values
// are shown as "-", never as 0.
std::string format_table(const nlohmann::json& doc);

// The whole-network summaries (doc["summaries"]), one paragraph each; empty when there are none.
std::string format_summaries(const nlohmann::json& doc);

// "12.3 ms", "845 us", "1.20 s".
std::string format_seconds(double s);
// "405.2 GFLOP/s", "61.3 GB/s".
std::string format_rate(double value, const std::string& metric);

}  // namespace mlhpc
