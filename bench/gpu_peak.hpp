#pragma once
// The nominal (datasheet) ceilings of an NVIDIA GPU: SMs x clock x operations per clock per SM,
// from a table by compute capability, and HBM bandwidth from the memory clock and bus width.
// Host-side only (no CUDA header): the numbers come from the device's attributes, read by the
// CUDA backend, so that the table and its arithmetic are tested on machines without a GPU.
// Keys are qualified by device kind ("flops:bf16@cuda"), so a GPU result is never reported as a
// share of a CPU ceiling.
#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <vector>

#include "bench/dtype.hpp"

namespace mlhpc {

// Dense (not sparse) multiply-adds per clock per SM of one execution unit for one type.
struct gpu_unit_rate {
  dtype type;
  bool tensor = false;       // tensor cores (mma/wgmma), else the CUDA cores (FFMA, DFMA)
  double fma_per_clock = 0;  // per SM; an FMA is 2 operations
};

struct gpu_arch_model {
  int cc_major = 0, cc_minor = 0;
  std::string architecture;  // "Ampere (GA100)", "Hopper (GH100)"
  std::vector<gpu_unit_rate> rates;
  std::string source;  // the whitepaper the figures come from
};

// The clocks NVIDIA's datasheet figures use for one product, found by compute capability and SM
// count (the H100 SXM5's tensor figures use 1830 MHz, its FP32 and FP64 figures, FP64 tensor
// included, 1980 MHz). `tensor_clock_hz` is for the tensor cores' types other than f64.
struct gpu_datasheet {
  std::string product;
  int cc_major = 0, cc_minor = 0, sms = 0;
  double tensor_clock_hz = 0, core_clock_hz = 0;
  std::string source;
};

std::optional<gpu_arch_model> lookup_gpu_arch(int cc_major, int cc_minor);
std::optional<gpu_datasheet> lookup_gpu_datasheet(int cc_major, int cc_minor, int sms);

// The ceiling key of one unit: "flops:f32@cuda" for the CUDA cores' f32 and f64, and for the
// tensor cores' tf32, f16, bf16, fp8 and int8 (the only unit those types run on at full rate);
// "flops:f64_tensor@cuda" for FP64 on the tensor cores (DMMA), which the CUDA cores' FMA chains
// must not be judged against.
std::string gpu_ceiling_key(const gpu_unit_rate& r);

// 2 x memory clock x bus width / 8 (double data rate; HBM's attributes report the clock and the
// width of the whole interface).
double hbm_nominal_bytes_per_s(double memory_clock_hz, int bus_width_bits);

// What the attributes of one device give the table.
struct gpu_facts {
  int cc_major = 0, cc_minor = 0, sms = 0;
  std::optional<double> max_sm_clock_hz;       // cudaDevAttrClockRate or NVML's max SM clock
  std::optional<double> measured_sm_clock_hz;  // the clock seen during the run
  std::optional<double> memory_clock_hz;       // cudaDevAttrMemoryClockRate
  std::optional<int> memory_bus_width_bits;    // cudaDevAttrGlobalMemoryBusWidth
};

// {"architecture", "sms", "source", "product" (when the datasheet table knows it),
//  "rates": {"flops:bf16@cuda": {"unit", "tensor_cores", "fma_per_clock_per_sm",
//             "at_datasheet_clock": {"value", "clock_hz"}, "at_max_clock": {...},
//             "at_measured_clock": {...}}, ...},
//  "memory": {"bytes:hbm@cuda": {"value", "unit", "memory_clock_hz", "bus_width_bits"}}}
// or {"unavailable": why}. A figure whose clock is unknown is absent, with a reason beside it.
nlohmann::json gpu_nominal_peaks(const gpu_facts& f);

}  // namespace mlhpc
