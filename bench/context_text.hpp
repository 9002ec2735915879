#pragma once
// The run's context as fields a person reads (sysinfo, report, --version): memory in GiB, clocks
// in GHz, libraries as name and version, never raw JSON. A printer of the context JSON (a result
// file's `context`, or sysinfo's document): it measures nothing.
#include <nlohmann/json.hpp>

#include <string>
#include <utility>
#include <vector>

namespace mlhpc {

// "24.0 GiB", "512 MiB", "32 KiB", "100 B" (powers of 1024, as memory and caches are sized).
std::string format_bytes_binary(double bytes);

// Ordered (field, value) pairs: host, OS, kernel, CPU, ISA, topology, caches, memory, clock,
// virtualisation, nominal peak, tool, libraries, affinity, counters and energy, environment.
// Fields whose source is absent are left out; an unreadable one says "unavailable: why".
std::vector<std::pair<std::string, std::string>> context_fields(const nlohmann::json& context);

// "mlhpc-bench 0.1.0, commit cf88d47 (modified), GNU 12.2.0, Release (-O3 -DNDEBUG)".
std::string tool_line(const nlohmann::json& tool);
// "oneDNN 2.6.3 (OpenMP, avx512_core_bf16), hwloc 2.8.0, ..." from `libraries`.
std::string libraries_line(const nlohmann::json& libraries);

// The fields as aligned text lines ("  cpu          AMD EPYC ...").
std::string format_context_text(const nlohmann::json& context);

}  // namespace mlhpc
