#pragma once
// NVIDIA GPUs through NVML, loaded at run time with dlopen (libnvidia-ml.so.1, or the file named
// by MLHPC_NVML_LIBRARY), so the suite builds and runs where no driver is installed. Per GPU:
// energy as the difference of the total-energy counter (mJ since the driver loaded, Volta and
// newer), and at the end of each window the power (a 1 s average on Ampere and newer), SM and
// memory clocks, temperature and the clock event (throttle) reasons.
#include <memory>
#include <string>
#include <vector>

#include "bench/collector.hpp"

namespace mlhpc::profilers {

bool nvml_claims(const std::string& event);
std::vector<std::string> nvml_names();
std::unique_ptr<collector> make_nvml_collector(const std::vector<std::string>& events);

}  // namespace mlhpc::profilers
