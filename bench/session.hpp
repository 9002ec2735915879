#pragma once
// Runs planned problems and assembles the result document. Measurement (runner.hpp) and
// formatting (table.hpp) stay apart: this file only turns measurements into result records.
#include <nlohmann/json.hpp>

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "bench/communicator.hpp"
#include "bench/counters.hpp"
#include "bench/plan.hpp"
#include "bench/runner.hpp"

namespace mlhpc {

inline constexpr const char* schema_version = "1.2.0";

struct session_options {
  runner_settings runner;
  int threads = 1;
  std::uint64_t seed = 42;
  // Counters and energy (--counters); null or without collectors: none are collected.
  counter_setup* counters = nullptr;
};

// Observer for a person at a terminal; the session calls it, it may print to stderr.
struct progress_observer {
  std::function<void(std::size_t index, std::size_t total, const planned_problem&)> on_start;
  std::function<void(const planned_problem&, const measurement&)> on_sample;
  std::function<void(std::size_t index, std::size_t total, const nlohmann::json& result)> on_end;
};

// One result record (see the schema): runs the problem, or records why it was skipped or failed.
// Never throws for a problem's own failure.
nlohmann::json run_problem(const planned_problem& pp, const session_options& opt,
                           communicator& comm, const progress_observer& obs, std::size_t index,
                           std::size_t total, const std::atomic<bool>* interrupt);

// The command line that re-runs exactly this problem with these settings.
std::string repro_command(const planned_problem& pp, const session_options& opt);

// Recomputes doc["ceilings"] from the results that measure a ceiling (their best rate) and the
// ceilings given in `external` ({"flops:f32": {"value": ..., "unit": ..., "source": ...}}), and
// each result's share of its ceiling. Measured ceilings win over external ones.
void apply_ceilings(nlohmann::json& doc, const nlohmann::json& external);

// Extracts the ceilings of a result file (or a plain ceilings object) for --ceilings.
// Throws usage_error when the file is unreadable or has no ceilings.
nlohmann::json load_ceilings_file(const std::string& path);

// ISO 8601 UTC time with milliseconds.
std::string utc_now();

}  // namespace mlhpc
