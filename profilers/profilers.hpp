#pragma once
// The collectors of counters and energy, one folder per data source, and the --counters
// language: a named set (default, cache, flops, energy, none) or a comma-separated list of sets
// and event names, routed to the source that knows each name.
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "bench/collector.hpp"

namespace mlhpc::profilers {

struct counter_set {
  std::string name;
  std::string description;
  std::vector<std::string> events;
};
const std::vector<counter_set>& counter_sets();

// --counters SPEC as event names, sets expanded, duplicates dropped, in order. Throws
// usage_error naming an unknown name and what is expected.
std::vector<std::string> expand_counters(const std::string& spec);

// One collector per data source that was asked for something, ordered so that the finest
// counters (perf_event) are read closest to the timed region.
std::vector<std::unique_ptr<collector>> make_collectors(const std::vector<std::string>& events);

// What this machine offers and what it does not, and why: `mlhpc list --counters`.
std::string describe_counters();

}  // namespace mlhpc::profilers
