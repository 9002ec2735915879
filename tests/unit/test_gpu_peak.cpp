#include "bench/gpu_peak.hpp"

#include <gtest/gtest.h>

namespace mlhpc {
namespace {

gpu_facts h100_sxm() {
  gpu_facts f;
  f.cc_major = 9;
  f.cc_minor = 0;
  f.sms = 132;
  f.max_sm_clock_hz = 1980e6;
  f.memory_clock_hz = 2619e6;
  f.memory_bus_width_bits = 5120;
  return f;
}

double sheet(const nlohmann::json& p, const std::string& key) {
  return p["rates"][key]["at_datasheet_clock"]["value"].get<double>();
}

// NVIDIA's dense figures for the H100 SXM5 (H100 whitepaper, table 2), in TFLOP/s.
TEST(GpuPeak, H100SxmDatasheetFiguresFollowFromTheTable) {
  const auto p = gpu_nominal_peaks(h100_sxm());
  ASSERT_FALSE(p.contains("unavailable")) << p.dump();
  EXPECT_EQ(p["architecture"], "Hopper (GH100)");
  EXPECT_EQ(p["product"]["name"], "H100 SXM5 or H200");
  EXPECT_NEAR(sheet(p, "flops:bf16@cuda") / 1e12, 989.4, 0.1);
  EXPECT_NEAR(sheet(p, "flops:f16@cuda") / 1e12, 989.4, 0.1);
  EXPECT_NEAR(sheet(p, "flops:tf32@cuda") / 1e12, 494.7, 0.1);
  EXPECT_NEAR(sheet(p, "flops:fp8_e4m3@cuda") / 1e12, 1978.9, 0.1);
  EXPECT_NEAR(sheet(p, "flops:int8@cuda") / 1e12, 1978.9, 0.1);
  EXPECT_NEAR(sheet(p, "flops:f32@cuda") / 1e12, 66.9, 0.1);  // CUDA cores at 1980 MHz
  EXPECT_NEAR(sheet(p, "flops:f64@cuda") / 1e12, 33.5, 0.1);
  EXPECT_NEAR(sheet(p, "flops:f64_tensor@cuda") / 1e12, 66.9, 0.1);
  EXPECT_EQ(p["rates"]["flops:int8@cuda"]["unit"], "op/s");
  EXPECT_EQ(p["rates"]["flops:f32@cuda"]["tensor_cores"], false);
  // At the device's maximum clock the tensor figure is higher than the datasheet's 1830 MHz one.
  EXPECT_NEAR(p["rates"]["flops:bf16@cuda"]["at_max_clock"]["value"].get<double>() / 1e12,
              4096.0 * 132 * 1.98e9 / 1e12, 1e-6);
  EXPECT_EQ(p["rates"]["flops:bf16@cuda"]["at_measured_clock"]["unavailable"],
            "no SM clock was measured in this run");
  // HBM3: 2 x 2619 MHz x 5120 bits / 8 = 3.35 TB/s, the datasheet's figure.
  EXPECT_NEAR(p["memory"]["bytes:hbm@cuda"]["value"].get<double>() / 1e12, 3.352, 0.001);
}

TEST(GpuPeak, A100FiguresAndNoFp8) {
  gpu_facts f;
  f.cc_major = 8;
  f.cc_minor = 0;
  f.sms = 108;
  f.measured_sm_clock_hz = 1200e6;
  const auto p = gpu_nominal_peaks(f);
  EXPECT_NEAR(sheet(p, "flops:bf16@cuda") / 1e12, 311.9, 0.1);
  EXPECT_NEAR(sheet(p, "flops:f32@cuda") / 1e12, 19.5, 0.1);
  EXPECT_NEAR(sheet(p, "flops:int8@cuda") / 1e12, 623.8, 0.1);
  EXPECT_FALSE(p["rates"].contains("flops:fp8_e4m3@cuda"));
  EXPECT_NEAR(p["rates"]["flops:f32@cuda"]["at_measured_clock"]["value"].get<double>(),
              128.0 * 108 * 1.2e9, 1.0);
  EXPECT_EQ(p["rates"]["flops:f32@cuda"]["at_max_clock"]["unavailable"],
            "the device's maximum SM clock is unknown");
  EXPECT_EQ(p["memory"]["unavailable"], "the memory clock or bus width is unknown");
}

TEST(GpuPeak, UnknownArchitecturesAndProductsSayWhy) {
  gpu_facts f = h100_sxm();
  f.cc_major = 12;
  EXPECT_EQ(gpu_nominal_peaks(f)["unavailable"],
            "compute capability 12.0 is not in the table of per-SM rates (it holds 8.0 and 9.0)");
  f = h100_sxm();
  f.sms = 114;  // H100 PCIe: the per-SM rates hold, the datasheet clocks are not in the table
  const auto p = gpu_nominal_peaks(f);
  EXPECT_EQ(p["product"]["unavailable"],
            "no datasheet clocks for compute capability 9.0 with 114 SMs");
  EXPECT_EQ(p["rates"]["flops:bf16@cuda"]["at_datasheet_clock"]["unavailable"],
            "no datasheet clock for this product");
  EXPECT_TRUE(p["rates"]["flops:bf16@cuda"]["at_max_clock"].contains("value"));
  f.sms = 0;
  EXPECT_EQ(gpu_nominal_peaks(f)["unavailable"], "the device's SM count is unknown");
}

TEST(GpuPeak, KeysNameTheDeviceAndTheFp64Unit) {
  EXPECT_EQ(gpu_ceiling_key({dtype::f64, false, 64}), "flops:f64@cuda");
  EXPECT_EQ(gpu_ceiling_key({dtype::f64, true, 128}), "flops:f64_tensor@cuda");
  EXPECT_EQ(gpu_ceiling_key({dtype::bf16, true, 2048}), "flops:bf16@cuda");
  EXPECT_DOUBLE_EQ(hbm_nominal_bytes_per_s(1e9, 8), 2e9);
}

}  // namespace
}  // namespace mlhpc
