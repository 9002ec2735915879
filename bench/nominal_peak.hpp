#pragma once
// The nominal (datasheet) arithmetic peak of this CPU: cores x clock x vector FMA resources per
// core, from a table of CPUID vendor / family / model. A measured ceiling above it, or a result
// above its measured ceiling, is a counting error (merged accumulators, a wrong work model), never
// a win; the session flags both.
#include <nlohmann/json.hpp>

#include <optional>
#include <string>

namespace mlhpc {

// Vector FMA resources of one core. Dot-product instructions (vdpbf16ps, vpdpbusd) are assumed
// to issue at the FMA rate on the same pipes, which is an upper bound on every listed core.
struct core_model {
  std::string microarchitecture;
  int fma_units = 0;      // vector FMA pipes per core
  int fma_unit_bits = 0;  // width of each pipe; a wider instruction takes several (Zen 4: 2 x 256)
  std::string source;     // where the figure comes from
};

// The core of this vendor ("GenuineIntel", "AuthenticAMD"), CPUID family and model, or nullopt
// when it is not in the table.
std::optional<core_model> lookup_core(const std::string& vendor, int family, int model);

// Operations per cycle per core of instructions `vector_bits` wide over lanes of `lane_bits`, each
// lane doing `ops_per_lane` operations (2 for an FMA).
double ops_per_cycle(const core_model& m, int vector_bits, int lane_bits, double ops_per_lane);

// The core clock of the calling thread, measured with chains of dependent 64-bit integer additions
// (latency one cycle on every x86-64 core in the table): the best of `trials` runs of about 2 ms,
// since being descheduled only lowers the figure. nullopt on other architectures. A VM's boost
// clock moves: a `peak` measured seconds later reached 100.6 % of a nominal peak from this clock
// (2026-11-23), hence the 2 % tolerance of the ceiling check (session.cpp).
std::optional<double> measure_core_hz(int trials = 30);

// The nominal peak for `threads` threads, from the system context (system_context(): cpu vendor,
// family, model, flags, topology cores, frequency): {"microarchitecture", "cores",
// "frequency_hz", "frequency_source", "frequency_sources", "rates": {"flops:f32": {"value",
// "unit", "isa", "ops_per_cycle_per_core"}, ...}, "method"}, or {"unavailable": why}.
// `measured_hz` is measure_core_hz()'s figure, or nullopt.
nlohmann::json nominal_peak_context(const nlohmann::json& system, int threads,
                                    std::optional<double> measured_hz);

}  // namespace mlhpc
