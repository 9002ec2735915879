#pragma once
// A whole benchmark run as one unit: what to run (suite, --workload and --set), the settings
// (run_settings.hpp), the plan, the per-problem loop in lockstep over a communicator, signals
// and time limits, and the result file. The driver only turns the command line into a
// run_request; a test or another front end can call run_benchmarks directly.
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "bench/communicator.hpp"
#include "bench/plan.hpp"
#include "bench/registry.hpp"
#include "bench/run_settings.hpp"

namespace mlhpc {

struct run_request {
  std::vector<std::string> workloads;  // NAME or NAME:VARIANT
  std::vector<std::string> sets;       // key=value[,value...]
  std::string suite;                   // a suite file or a shipped suite's name; "" for none
  setting_values settings;             // given on the command line, checked
  std::string out;                     // "" for results/<host>-<time>.json; "-" for stdout
  std::string ceilings;                // a result file whose ceilings apply; "" for none
  std::vector<std::string> inputs;     // other files the command reads (accept's --reference):
                                       // --out must not name one
  std::string filter;  // --filter REGEX: only the planned problems whose key it matches
  // --bind: "" (the environment's OMP_PROC_BIND/OMP_PLACES as they are), "cores" or "none". The
  // driver applies it to the environment before OpenMP starts; the run records it.
  std::string bind;
  std::string format = "table";  // the end-of-run table: table, csv or json (to stdout)
  bool dry_run = false;
  // Rank 0, once every problem has run (or the run was interrupted): adds to the document (the
  // acceptance verdicts of `mlhpc accept`) before its last save, and returns the text printed
  // after the table and an exit status that is kept when it is the worse.
  std::function<std::pair<std::string, int>(nlohmann::json& doc)> finalize;
  bool quiet = false;  // no progress on stderr
  std::vector<std::string> command_line;
  std::string launcher;  // "mpirun -np 4" when launched so (for the repro lines); "" plain
};

// The --timeout the request will run with (command line, environment, suite, default), read
// before MPI starts: a time limit needs MPI_THREAD_MULTIPLE. 0 when none, or when the request
// is bad input (run_benchmarks then says so).
double planned_timeout(const run_request& req);

// The problems of `plan` whose label --filter `filter` (RE2 syntax) finds anywhere; a pattern
// RE2 refuses, one over 4096 characters or over its memory budget, and a filter that keeps
// nothing are usage errors.
std::vector<planned_problem> filter_plan(std::vector<planned_problem> plan,
                                         const std::string& filter);

// Runs the request on every rank of `comm` (collective). Rank 0 writes the one result file and
// prints the table; every rank returns the same exit status: 0, 1 (a problem failed or timed
// out), 130/143 (a signal), 4 (the result does not match the schema: a bug). Bad input throws
// usage_error on every rank (the message names the rank when only some ranks saw it).
int run_benchmarks(const registry& reg, const run_request& req, communicator& comm);

}  // namespace mlhpc
