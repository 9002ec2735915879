#pragma once
// From what the user asked (workloads, settings, a suite file) to the list of concrete problems.
// Every check that can fail on bad input happens here, before anything runs.
#include <nlohmann/json.hpp>

#include <filesystem>
#include <string>
#include <vector>

#include "bench/params.hpp"
#include "bench/registry.hpp"

namespace mlhpc {

// One request: a workload reference ("gemm:f32" or "gemm") and its settings. The pseudo-setting
// `shapes=LIST` expands to the lines of a shape list (see load_shape_list).
struct plan_entry {
  std::string workload;
  std::vector<setting> settings;
  std::string origin;  // "command line", "suite quick.yaml entry 3"
};

struct planned_problem {
  const workload* w = nullptr;
  std::string variant;
  problem_params params;
  std::string origin;
  nlohmann::json list_info;   // {"list": ..., "line": ...} when it came from a shape list
  std::string label() const;  // "gemm:f32 m=2048,n=2048,k=2048,..."
  // The label without the parameters at their (single) default: what tables print
  // ("gemm:f32 m=2048 n=2048 k=2048" without "transa=n transb=n").
  std::string short_label() const;
  // The label without the parameters that only weight an analysis (conv's count): the key
  // compare pairs results by.
  std::string pairing_key() const;
};

// A shape list: one problem per line, `key=value` pairs separated by spaces; '#' starts a
// comment. `name` is a list shipped in <data>/<workload>/ (NAME.shapes) or a path to a file.
struct shape_line {
  std::vector<setting> settings;
  int line = 0;
};
// A workload may also hold lists generated from its own data (workload::builtin_shape_lists):
// those come first, and `resolved` then reads "built-in:NAME".
std::vector<shape_line> load_shape_list(const std::string& workload, const std::string& name,
                                        std::filesystem::path* resolved = nullptr,
                                        const class workload* w = nullptr);

// Expands and checks every entry. `available_memory` of 0 disables the memory check.
// Throws usage_error on the first bad value, naming it.
std::vector<planned_problem> make_plan(const registry& r, const std::vector<plan_entry>& entries,
                                       std::uint64_t available_memory);

// What one rank plans, as text that the ranks of a job compare before measuring: one line per
// problem (its key), then `settings` (the run settings the rank was given). Ranks started with
// different command lines (MPMD, a wrapper that changes one rank's options) differ here.
std::string plan_fingerprint(const std::vector<planned_problem>& plan, const std::string& settings);

// Empty when every rank's fingerprint (index = rank) equals rank 0's; otherwise a message naming
// the first rank that differs and the first problem (or setting) where it differs from rank 0.
std::string plan_disagreement(const std::vector<std::string>& fingerprints);

}  // namespace mlhpc
