#pragma once
// PAPI: preset events (PAPI_TOT_INS) and native events by name (perf::CYCLES,
// rapl:::PACKAGE_ENERGY:PACKAGE0, powercap:::ENERGY_UJ:ZONE0). CPU events are counted on every
// thread of this process alive when timing starts (an event set attached to each thread, summed);
// events of other components (rapl, powercap) are read once for the whole system. Built only with
// PAPI (MLHPC_WITH_PAPI); without it the collector says so.
#include <memory>
#include <string>
#include <vector>

#include "bench/collector.hpp"

namespace mlhpc::profilers {

bool papi_claims(const std::string& event);
std::unique_ptr<collector> make_papi_collector(const std::vector<std::string>& events);
// PAPI's version and components (enabled or why not), for `mlhpc list --counters`; a line saying
// that the build has no PAPI otherwise.
std::vector<std::string> papi_component_lines();

}  // namespace mlhpc::profilers
