#pragma once
// The system context recorded with every result file: what a reader needs to reproduce or
// question the numbers. Everything read from /sys and /proc goes through bench/sysfs.hpp.
#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace mlhpc {

class workload;

// Build facts: version, git commit, compiler, flags, build type, enabled features.
nlohmann::json build_context();
// Hardware and OS: host, OS, kernel, CPU identity and ISA, topology and caches (hwloc), memory,
// frequency and governor, virtualisation.
nlohmann::json system_context();
// Run-time library versions: those reported by the workloads plus the harness's own.
nlohmann::json library_context(const std::vector<const workload*>& workloads);
// The affinity actually in effect for `threads` OpenMP threads: the process mask and the CPUs
// each OpenMP thread may run on.
nlohmann::json affinity_context(int threads);
// Environment variables that change performance (OMP_*, DNNL_*, CUDA_*, NCCL_*, ...).
nlohmann::json environment_context();

// Last-level cache bytes available to this process (sum over the LLCs covering its CPUs), from
// hwloc; 0 when unknown.
std::uint64_t last_level_cache_bytes();
// MemAvailable from /proc/meminfo in bytes; 0 when unknown.
std::uint64_t available_memory_bytes();
// The CPUs this process may run on.
std::vector<int> allowed_cpus();
std::string host_name();

}  // namespace mlhpc
