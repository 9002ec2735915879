#pragma once
// RAPL energy through the powercap sysfs interface (<sysfs>/class/powercap/intel-rapl:*, also
// used by AMD): every zone and sub-zone, named as the kernel names them (package-0, core,
// uncore, dram, psys), as energy:package-0, energy:package-0/dram, energy:psys. Counters wrap at
// max_energy_range_uj; since CVE-2020-8694 energy_uj is readable by root only, which is reported
// with the fix. The sysfs root is MLHPC_SYSFS_ROOT, so tests run against fixture trees.
#include <memory>
#include <string>
#include <vector>

#include "bench/collector.hpp"

namespace mlhpc::profilers {

// RAPL updates its energy counters about every millisecond (Intel SDM vol. 3B, 15.10.3).
inline constexpr double rapl_update_interval_s = 1e-3;

bool rapl_claims(const std::string& event);

// One powercap zone as found in sysfs.
struct rapl_zone {
  std::string key;   // energy:package-0/dram
  std::string path;  // the zone's directory
  std::optional<double> max_range_uj;
  std::string unreadable;  // why energy_uj cannot be read; empty when it can
};
std::vector<rapl_zone> find_rapl_zones();

// (e1 - e0) mod max_energy_range_uj, in microjoules. Throws when the counter went backwards and
// the range is unknown.
double rapl_delta_uj(double from, double to, std::optional<double> max_range_uj);

std::unique_ptr<collector> make_rapl_collector(const std::vector<std::string>& events);

}  // namespace mlhpc::profilers
