#include "bench/gpu_peak.hpp"

#include <fmt/format.h>

#include <tuple>

namespace mlhpc {

namespace {

// Dense multiply-adds per clock per SM. NVIDIA A100 Tensor Core GPU Architecture whitepaper
// (2020), table 1 and "A100 SM": FP32 64, FP64 32, FP64 tensor 64, TF32 512, FP16/BF16 1024,
// INT8 2048 (no FP8). NVIDIA H100 Tensor Core GPU Architecture whitepaper (2022), table 2 and
// "H100 SM": FP32 128, FP64 64, FP64 tensor 128, TF32 1024, FP16/BF16 2048, FP8/INT8 4096.
const std::vector<gpu_arch_model>& arch_table() {
  static const std::vector<gpu_arch_model> t = {
      {8,
       0,
       "Ampere (GA100)",
       {{dtype::f64, false, 32},
        {dtype::f32, false, 64},
        {dtype::f64, true, 64},
        {dtype::tf32, true, 512},
        {dtype::f16, true, 1024},
        {dtype::bf16, true, 1024},
        {dtype::int8, true, 2048}},
       "NVIDIA A100 Tensor Core GPU Architecture whitepaper (2020): per-SM dense rates"},
      {9,
       0,
       "Hopper (GH100)",
       {{dtype::f64, false, 64},
        {dtype::f32, false, 128},
        {dtype::f64, true, 128},
        {dtype::tf32, true, 1024},
        {dtype::f16, true, 2048},
        {dtype::bf16, true, 2048},
        {dtype::fp8_e4m3, true, 4096},
        {dtype::fp8_e5m2, true, 4096},
        {dtype::int8, true, 4096}},
       "NVIDIA H100 Tensor Core GPU Architecture whitepaper (2022): per-SM dense rates"},
  };
  return t;
}

// Products whose datasheet clocks are known. H100 SXM5 and H200 share GH100 with 132 SMs and
// the same compute figures (H200 datasheet); A100's figures use its 1410 MHz boost clock.
const std::vector<gpu_datasheet>& datasheet_table() {
  static const std::vector<gpu_datasheet> t = {
      {"A100 (SXM4 or PCIe)", 8, 0, 108, 1410e6, 1410e6,
       "A100 whitepaper, table 1: 1410 MHz boost for every figure"},
      {"H100 SXM5 or H200", 9, 0, 132, 1830e6, 1980e6,
       "H100 whitepaper, table 2: tensor figures at 1830 MHz, FP32 and FP64 (CUDA and tensor "
       "cores) at 1980 MHz"},
  };
  return t;
}

nlohmann::json at_clock(double ops_per_clock, double sms, std::optional<double> hz) {
  if (!hz || *hz <= 0) return nullptr;
  return {{"value", ops_per_clock * sms * *hz}, {"clock_hz", *hz}};
}

}  // namespace

std::optional<gpu_arch_model> lookup_gpu_arch(int cc_major, int cc_minor) {
  for (const auto& a : arch_table())
    if (a.cc_major == cc_major && a.cc_minor == cc_minor) return a;
  return std::nullopt;
}

std::optional<gpu_datasheet> lookup_gpu_datasheet(int cc_major, int cc_minor, int sms) {
  for (const auto& d : datasheet_table())
    if (d.cc_major == cc_major && d.cc_minor == cc_minor && d.sms == sms) return d;
  return std::nullopt;
}

std::string gpu_ceiling_key(const gpu_unit_rate& r) {
  const bool f64_tensor = r.tensor && r.type == dtype::f64;
  return fmt::format("flops:{}{}@cuda", to_string(r.type), f64_tensor ? "_tensor" : "");
}

double hbm_nominal_bytes_per_s(double memory_clock_hz, int bus_width_bits) {
  return 2.0 * memory_clock_hz * static_cast<double>(bus_width_bits) / 8.0;
}

nlohmann::json gpu_nominal_peaks(const gpu_facts& f) {
  const auto arch = lookup_gpu_arch(f.cc_major, f.cc_minor);
  if (!arch)
    return {{"unavailable",
             fmt::format("compute capability {}.{} is not in the table of per-SM rates (it holds "
                         "8.0 and 9.0)",
                         f.cc_major, f.cc_minor)}};
  if (f.sms <= 0) return {{"unavailable", "the device's SM count is unknown"}};
  const auto sheet = lookup_gpu_datasheet(f.cc_major, f.cc_minor, f.sms);
  nlohmann::json out = {{"architecture", arch->architecture},
                        {"sms", f.sms},
                        {"source", arch->source},
                        {"method", "SMs x clock x dense operations per clock per SM (FMA = 2)"}};
  if (sheet)
    out["product"] = {{"name", sheet->product}, {"source", sheet->source}};
  else
    out["product"] = {{"unavailable", fmt::format("no datasheet clocks for compute capability "
                                                  "{}.{} with {} SMs",
                                                  f.cc_major, f.cc_minor, f.sms)}};
  const auto sms = static_cast<double>(f.sms);
  nlohmann::json rates = nlohmann::json::object();
  for (const auto& r : arch->rates) {
    const double ops = 2.0 * r.fma_per_clock;
    nlohmann::json e = {{"unit", is_integer(r.type) ? "op/s" : "flop/s"},
                        {"tensor_cores", r.tensor},
                        {"fma_per_clock_per_sm", r.fma_per_clock}};
    const std::optional<double> sheet_hz =
        sheet ? std::optional<double>(r.tensor && r.type != dtype::f64 ? sheet->tensor_clock_hz
                                                                       : sheet->core_clock_hz)
              : std::nullopt;
    for (const auto& [name, hz, why] :
         {std::tuple{"at_datasheet_clock", sheet_hz, "no datasheet clock for this product"},
          std::tuple{"at_max_clock", f.max_sm_clock_hz, "the device's maximum SM clock is unknown"},
          std::tuple{"at_measured_clock", f.measured_sm_clock_hz,
                     "no SM clock was measured in this run"}}) {
      auto v = at_clock(ops, sms, hz);
      e[name] = v.is_null() ? nlohmann::json{{"unavailable", why}} : v;
    }
    rates[gpu_ceiling_key(r)] = std::move(e);
  }
  out["rates"] = std::move(rates);
  if (f.memory_clock_hz && *f.memory_clock_hz > 0 && f.memory_bus_width_bits &&
      *f.memory_bus_width_bits > 0)
    out["memory"] = {
        {"bytes:hbm@cuda",
         {{"value", hbm_nominal_bytes_per_s(*f.memory_clock_hz, *f.memory_bus_width_bits)},
          {"unit", "byte/s"},
          {"memory_clock_hz", *f.memory_clock_hz},
          {"bus_width_bits", *f.memory_bus_width_bits},
          {"method", "2 x memory clock x bus width / 8"}}}};
  else
    out["memory"] = {{"unavailable", "the memory clock or bus width is unknown"}};
  return out;
}

}  // namespace mlhpc
