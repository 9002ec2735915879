// The nominal peak: the core table, the per-cycle arithmetic with known values, the context
// (threads limited by cores, the clock the highest source, unknown CPUs said so), and the clock
// measurement within physical bounds.
#include "bench/nominal_peak.hpp"

#include <gtest/gtest.h>

namespace mlhpc {
namespace {

using nlohmann::json;

json zen4_system(double measured_cpuinfo_hz = 2.6e9) {
  return {{"cpu",
           {{"vendor", "AuthenticAMD"},
            {"family", 25},
            {"model", 17},
            {"flags", {"avx2", "fma", "avx512f", "avx512_bf16", "avx512_vnni"}}}},
          {"topology", {{"cores", 2}}},
          {"frequency", {{"cpuinfo_hz", measured_cpuinfo_hz}}}};
}

TEST(NominalPeak, TheTableKnowsTheCoresOfThisProjectsMachines) {
  const auto zen4 = lookup_core("AuthenticAMD", 25, 17);  // Genoa, the VM of 2026-11-23
  ASSERT_TRUE(zen4);
  EXPECT_EQ(zen4->microarchitecture, "Zen 4");
  EXPECT_EQ(zen4->fma_units, 2);
  EXPECT_EQ(zen4->fma_unit_bits, 256);
  const auto zen5 = lookup_core("AuthenticAMD", 0x1a, 0x02);  // Turin
  ASSERT_TRUE(zen5);
  EXPECT_EQ(zen5->fma_unit_bits, 512);
  const auto spr = lookup_core("GenuineIntel", 6, 0x8f);
  ASSERT_TRUE(spr);
  EXPECT_EQ(spr->microarchitecture, "Sapphire Rapids");
  EXPECT_FALSE(lookup_core("GenuineIntel", 6, 0x01));
  EXPECT_FALSE(lookup_core("HygonGenuine", 0x18, 0));
}

TEST(NominalPeak, OperationsPerCycleFollowTheDataPath) {
  const core_model zen4{"Zen 4", 2, 256, ""}, skx{"Skylake-SP", 2, 512, ""},
      zen1{"Zen", 2, 128, ""};
  // Zen 4 runs one 512-bit FMA a cycle on its two 256-bit pipes: 16 lanes x 2 = 32 f32 flop.
  EXPECT_DOUBLE_EQ(ops_per_cycle(zen4, 512, 32, 2), 32);
  EXPECT_DOUBLE_EQ(ops_per_cycle(zen4, 256, 32, 2), 32);
  EXPECT_DOUBLE_EQ(ops_per_cycle(zen4, 512, 64, 2), 16);
  EXPECT_DOUBLE_EQ(ops_per_cycle(zen4, 512, 32, 4), 64);   // vdpbf16ps
  EXPECT_DOUBLE_EQ(ops_per_cycle(zen4, 512, 32, 8), 128);  // vpdpbusd
  // Two 512-bit pipes: 64 f32 flop a cycle with zmm, 32 with ymm.
  EXPECT_DOUBLE_EQ(ops_per_cycle(skx, 512, 32, 2), 64);
  EXPECT_DOUBLE_EQ(ops_per_cycle(skx, 256, 32, 2), 32);
  // Zen: a 256-bit FMA takes both 128-bit pipes.
  EXPECT_DOUBLE_EQ(ops_per_cycle(zen1, 256, 32, 2), 16);
}

TEST(NominalPeak, ContextForTwoThreadsOfZen4AtAMeasuredClock) {
  const json n = nominal_peak_context(zen4_system(), 2, 3.5e9);
  ASSERT_FALSE(n.contains("unavailable")) << n.dump();
  EXPECT_EQ(n["microarchitecture"], "Zen 4");
  EXPECT_EQ(n["cores"], 2);
  // The measured clock is above /proc/cpuinfo's base clock: the bound takes the higher.
  EXPECT_DOUBLE_EQ(n["frequency_hz"].get<double>(), 3.5e9);
  EXPECT_EQ(n["frequency_source"], "measured_hz");
  // 2 cores x 3.5 GHz x 32 = 224 GFLOP/s f32 (the figure the issue measured with 12 chains).
  EXPECT_DOUBLE_EQ(n["rates"]["flops:f32"]["value"].get<double>(), 224e9);
  EXPECT_DOUBLE_EQ(n["rates"]["flops:f64"]["value"].get<double>(), 112e9);
  EXPECT_DOUBLE_EQ(n["rates"]["flops:bf16"]["value"].get<double>(), 448e9);
  EXPECT_DOUBLE_EQ(n["rates"]["flops:int8"]["value"].get<double>(), 896e9);
  EXPECT_EQ(n["rates"]["flops:int8"]["unit"], "op/s");
  EXPECT_EQ(n["rates"]["flops:f32"]["isa"], "avx512");
}

TEST(NominalPeak, ThreadsBeyondTheCoresShareTheirPipesAndMissingIsasHaveNoRate) {
  json sys = zen4_system();
  sys["cpu"]["flags"] = {"avx2", "fma"};  // no AVX-512, no VNNI, no BF16
  const json n = nominal_peak_context(sys, 8, std::nullopt);
  EXPECT_EQ(n["cores"], 2);
  EXPECT_DOUBLE_EQ(n["frequency_hz"].get<double>(), 2.6e9);
  EXPECT_EQ(n["rates"]["flops:f32"]["isa"], "avx2");
  EXPECT_DOUBLE_EQ(n["rates"]["flops:f32"]["value"].get<double>(), 2 * 2.6e9 * 32);
  EXPECT_FALSE(n["rates"].contains("flops:bf16"));
  EXPECT_FALSE(n["rates"].contains("flops:int8"));
}

TEST(NominalPeak, UnknownCpusAndClocksAreSaidNotGuessed) {
  json sys = zen4_system();
  sys["cpu"]["family"] = 0x42;
  const json n = nominal_peak_context(sys, 2, 3e9);
  ASSERT_TRUE(n.contains("unavailable"));
  EXPECT_NE(n["unavailable"].get<std::string>().find("family 0x42"), std::string::npos);
  json noclock = zen4_system();
  noclock["frequency"] = json::object();
  EXPECT_NE(nominal_peak_context(noclock, 2, std::nullopt)["unavailable"].get<std::string>().find(
                "no clock"),
            std::string::npos);
  EXPECT_TRUE(nominal_peak_context(json::object(), 2, 3e9).contains("unavailable"));
}

TEST(NominalPeak, TheMeasuredClockIsPhysicallyPossible) {
#if defined(__x86_64__)
  const auto hz = measure_core_hz(5);
  ASSERT_TRUE(hz);
  EXPECT_GT(*hz, 0.4e9);
  EXPECT_LT(*hz, 7e9);  // no x86 core runs integer additions faster
#else
  GTEST_SKIP() << "the clock is measured with x86-64 additions only";
#endif
}

}  // namespace
}  // namespace mlhpc
