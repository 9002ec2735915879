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
// Labels are the keys without default parameters (the result's `label`), cut in the middle to
// keep the table under 120 columns; codes every measured row carries are said once below it, and
// the reasons of results that did not run are numbered notes.
std::string format_table(const nlohmann::json& doc);

// The same rows as data: one object per result with the full key, the label, status, median_s,
// cv, ci95_low_s/ci95_high_s, rate, rate_unit, rate_metric, ceiling_share, trust (codes),
// verification, verification_error, reason (null where not measured).
nlohmann::json table_rows(const nlohmann::json& doc);
// table_rows as CSV (RFC 4180: CRLF, quoted where needed; empty where not measured), numbers in
// SI units as in the file.
std::string format_table_csv(const nlohmann::json& doc);

// Whether a trust code makes a result's timing untrustworthy: every code but a counter that could
// not be read and threads that may migrate (those concern the conditions, not the figure).
bool undermines_timing(const std::string& code);

// One line that says what the columns and abbreviations mean.
std::string format_legend();

// "20 problems: 16 ok, 0 failed, 4 skipped; 3 untrustworthy (ci 2, cv 3)": untrustworthy counts
// results with a trust issue that concerns the timing (all but `ctr` and `unpinned`).
std::string format_summary_line(const nlohmann::json& doc);

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
