#pragma once
// The readable end-of-run table, formatted from a result document (a printer: it measures
// nothing and reads only the JSON).
#include <nlohmann/json.hpp>

#include <string>

#include "bench/rates.hpp"

namespace mlhpc {

// Columns: problem, status, median time, cv, rate (in its own unit), % of ceiling, counters,
// trust flags, verification. Unmeasured values
// are shown as "-", never as 0.
std::string format_table(const nlohmann::json& doc);

// The whole-network summaries (doc["summaries"]), one paragraph each; empty when there are none.
std::string format_summaries(const nlohmann::json& doc);

// "12.3 ms", "845 us", "1.20 s".
std::string format_seconds(double s);

// The ceilings of the run, each with where it came from and the nominal peak beside it where the
// CPU is known ("flops:f32  221.3 GFLOP/s measured (peak:f32 ...); nominal 230.4 GFLOP/s: 96.1 %").
// A ceiling above its nominal peak is marked as a counting error. Empty when there are none.
std::string format_ceilings(const nlohmann::json& doc);

// Multi-rank results: per result the spread of the per-rank medians, the slowest rank, and the
// ranks node acceptance flags (or why it cannot judge); empty for a single-rank run.
std::string format_ranks(const nlohmann::json& doc);

// The trust issues of the results, one line per kind with the results it concerns; empty when
// every result can be trusted.
std::string format_trust(const nlohmann::json& doc);

}  // namespace mlhpc
