#include "bench/nominal_peak.hpp"

#include <time.h>

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <vector>

namespace mlhpc {

using nlohmann::json;

namespace {

struct model_range {
  const char* vendor;
  int family;
  int model_first, model_last;
  core_model core;
};

// Sources: AMD Software Optimization Guides for family 17h (pub. 55723: two 128-bit FMA pipes on
// Zen/Zen+; 56305 for Zen 2: two 256-bit), 19h (56665 Zen 3: two 256-bit; 57647 Zen 4: AVX-512
// executed as two 256-bit halves, one 512-bit FMA per cycle), 1Ah (58455 Zen 5: a 512-bit data
// path, two 512-bit FMA pipes); Intel 64 and IA-32 Architectures Optimization Reference Manual
// (248966: Haswell to Alder Lake client cores two 256-bit FMA ports 0/1; Skylake-SP, Cascade Lake,
// Ice Lake-SP, Sapphire/Emerald/Granite Rapids two 512-bit FMA, ports 0+1 fused and port 5; Ice
// Lake / Tiger Lake client one 512-bit FMA = ports 0+1 fused, modelled as two 256-bit). Where a
// model spans parts with one or two 512-bit units (Xeon Silver/Gold 5xxx), the table takes two,
// so that the figure stays an upper bound.
const std::vector<model_range>& table() {
  static const std::vector<model_range> t = {
      {"AuthenticAMD", 0x17, 0x00, 0x2f, {"Zen / Zen+", 2, 128, "AMD pub. 55723"}},
      {"AuthenticAMD", 0x17, 0x30, 0xff, {"Zen 2", 2, 256, "AMD pub. 56305"}},
      {"AuthenticAMD", 0x19, 0x00, 0x0f, {"Zen 3", 2, 256, "AMD pub. 56665"}},
      {"AuthenticAMD", 0x19, 0x10, 0x1f, {"Zen 4", 2, 256, "AMD pub. 57647"}},
      {"AuthenticAMD", 0x19, 0x20, 0x5f, {"Zen 3", 2, 256, "AMD pub. 56665"}},
      {"AuthenticAMD", 0x19, 0x60, 0xaf, {"Zen 4", 2, 256, "AMD pub. 57647"}},
      {"AuthenticAMD", 0x1a, 0x00, 0xff, {"Zen 5", 2, 512, "AMD pub. 58455"}},
      {"GenuineIntel", 6, 0x3c, 0x3c, {"Haswell", 2, 256, "Intel 248966"}},
      {"GenuineIntel", 6, 0x3f, 0x3f, {"Haswell", 2, 256, "Intel 248966"}},
      {"GenuineIntel", 6, 0x45, 0x46, {"Haswell", 2, 256, "Intel 248966"}},
      {"GenuineIntel", 6, 0x3d, 0x3d, {"Broadwell", 2, 256, "Intel 248966"}},
      {"GenuineIntel", 6, 0x47, 0x47, {"Broadwell", 2, 256, "Intel 248966"}},
      {"GenuineIntel", 6, 0x4f, 0x4f, {"Broadwell", 2, 256, "Intel 248966"}},
      {"GenuineIntel", 6, 0x56, 0x56, {"Broadwell", 2, 256, "Intel 248966"}},
      {"GenuineIntel", 6, 0x4e, 0x4e, {"Skylake", 2, 256, "Intel 248966"}},
      {"GenuineIntel", 6, 0x5e, 0x5e, {"Skylake", 2, 256, "Intel 248966"}},
      {"GenuineIntel", 6, 0x8e, 0x8e, {"Kaby/Coffee/Whiskey Lake", 2, 256, "Intel 248966"}},
      {"GenuineIntel", 6, 0x9e, 0x9e, {"Kaby/Coffee Lake", 2, 256, "Intel 248966"}},
      {"GenuineIntel", 6, 0xa5, 0xa6, {"Comet Lake", 2, 256, "Intel 248966"}},
      {"GenuineIntel", 6, 0x55, 0x55, {"Skylake-SP / Cascade Lake", 2, 512, "Intel 248966"}},
      {"GenuineIntel", 6, 0x6a, 0x6a, {"Ice Lake-SP", 2, 512, "Intel 248966"}},
      {"GenuineIntel", 6, 0x6c, 0x6c, {"Ice Lake-D", 2, 512, "Intel 248966"}},
      {"GenuineIntel", 6, 0x7d, 0x7e, {"Ice Lake (client)", 2, 256, "Intel 248966"}},
      {"GenuineIntel", 6, 0x8c, 0x8d, {"Tiger Lake", 2, 256, "Intel 248966"}},
      {"GenuineIntel", 6, 0x8f, 0x8f, {"Sapphire Rapids", 2, 512, "Intel 248966"}},
      {"GenuineIntel", 6, 0xcf, 0xcf, {"Emerald Rapids", 2, 512, "Intel 248966"}},
      {"GenuineIntel", 6, 0xad, 0xae, {"Granite Rapids", 2, 512, "Intel 248966"}},
      {"GenuineIntel", 6, 0x97, 0x97, {"Alder Lake", 2, 256, "Intel 248966"}},
      {"GenuineIntel", 6, 0x9a, 0x9a, {"Alder Lake", 2, 256, "Intel 248966"}},
      {"GenuineIntel", 6, 0xb7, 0xb7, {"Raptor Lake", 2, 256, "Intel 248966"}},
      {"GenuineIntel", 6, 0xba, 0xba, {"Raptor Lake", 2, 256, "Intel 248966"}},
      {"GenuineIntel", 6, 0xbf, 0xbf, {"Raptor Lake", 2, 256, "Intel 248966"}},
  };
  return t;
}

#if defined(__x86_64__)
// The calling thread's CPU time in seconds: a trial preempted by another task (a busy
// neighbour on a shared core) is not charged for the time it did not run.
double thread_cpu_seconds() {
  timespec t{};
  ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + 1e-9 * static_cast<double>(t.tv_nsec);
}

// 100 dependent additions per iteration; dec/jnz fuse and run beside the chain. Timed on the
// thread's CPU clock, so that a trial preempted by another task is not charged for the time it
// did not run (a loaded VM still reads low: its vCPUs share physical cores the guest cannot see).
double time_add_chain(std::int64_t iterations) {
  std::uint64_t x = 0;
  const std::uint64_t one = 1;
  const double t0 = thread_cpu_seconds();
  asm volatile(
      "1:\n\t"
      ".rept 100\n\t"
      "add %[one], %[x]\n\t"
      ".endr\n\t"
      "dec %[n]\n\t"
      "jnz 1b\n"
      : [x] "+r"(x), [n] "+r"(iterations)
      : [one] "r"(one)
      : "cc");
  return thread_cpu_seconds() - t0;
}
#endif

bool has_flag(const json& cpu, const char* f) {
  if (!cpu.contains("flags") || !cpu["flags"].is_array()) return false;
  for (const auto& x : cpu["flags"])
    if (x.is_string() && x.get<std::string>() == f) return true;
  return false;
}

}  // namespace

std::optional<core_model> lookup_core(const std::string& vendor, int family, int model) {
  for (const auto& r : table())
    if (vendor == r.vendor && family == r.family && model >= r.model_first && model <= r.model_last)
      return r.core;
  return std::nullopt;
}

double ops_per_cycle(const core_model& m, int vector_bits, int lane_bits, double ops_per_lane) {
  const int bits_per_cycle = m.fma_units * std::min(m.fma_unit_bits, vector_bits);
  return static_cast<double>(bits_per_cycle) / lane_bits * ops_per_lane;
}

std::optional<double> measure_core_hz(int trials) {
#if defined(__x86_64__)
  const std::int64_t iterations = 60000;  // 6e6 additions: about 2 ms at 3 GHz
  time_add_chain(iterations / 10);        // wake the core from a low-power state
  double best = 0;
  for (int i = 0; i < trials; ++i)
    best = std::max(best, 100.0 * iterations / time_add_chain(iterations));
  return best;
#else
  (void)trials;
  return std::nullopt;
#endif
}

json nominal_peak_context(const json& system, int threads, std::optional<double> measured_hz) {
  const json cpu = system.value("cpu", json::object());
  const std::string vendor = cpu.value("vendor", "");
  if (!cpu.contains("family") || !cpu["family"].is_number_integer() || !cpu.contains("model") ||
      !cpu["model"].is_number_integer())
    return {{"unavailable", "the CPU family and model are not known (/proc/cpuinfo)"}};
  const int family = cpu["family"].get<int>(), model = cpu["model"].get<int>();
  const auto core = lookup_core(vendor, family, model);
  if (!core)
    return {{"unavailable",
             fmt::format("{} family {:#x} model {:#x} is not in the table of cores "
                         "(bench/nominal_peak.cpp); a nominal peak needs its FMA units and width",
                         vendor.empty() ? "this CPU" : vendor, family, model)}};

  // Clock: the highest of what the machine says and what was measured, so the figure stays an
  // upper bound (a VM's /proc/cpuinfo often shows the base clock, below the boost clock).
  json sources = json::object();
  const json freq = system.value("frequency", json::object());
  if (freq.contains("hardware_max_hz"))
    sources["cpufreq_hardware_max_hz"] = freq["hardware_max_hz"];
  if (freq.contains("cpuinfo_hz")) sources["cpuinfo_hz"] = freq["cpuinfo_hz"];
  if (measured_hz) sources["measured_hz"] = *measured_hz;
  double hz = 0;
  std::string hz_source;
  for (const auto& [k, v] : sources.items())
    if (v.is_number() && v.get<double>() > hz) hz = v.get<double>(), hz_source = k;
  if (hz <= 0)
    return {{"unavailable",
             "no clock frequency is known: no cpufreq, no 'cpu MHz' in "
             "/proc/cpuinfo and no measurement"}};

  // Cores: a thread beyond the physical cores shares a core's FMA pipes.
  int cores = threads;
  if (system.contains("topology") && system["topology"].contains("cores") &&
      system["topology"]["cores"].is_number_integer())
    cores = std::min(cores, std::max(1, system["topology"]["cores"].get<int>()));

  struct kind {
    const char* key;
    const char* unit;
    int lane_bits;
    double ops_per_lane;
    std::vector<std::pair<const char*, std::vector<const char*>>> isas;  // best first
  };
  const std::vector<kind> kinds = {
      {"flops:f64", "flop/s", 64, 2, {{"avx512", {"avx512f"}}, {"avx2", {"avx2", "fma"}}}},
      {"flops:f32", "flop/s", 32, 2, {{"avx512", {"avx512f"}}, {"avx2", {"avx2", "fma"}}}},
      {"flops:bf16", "flop/s", 32, 4, {{"avx512", {"avx512f", "avx512_bf16"}}}},
      {"flops:int8",
       "op/s",
       32,
       8,
       {{"avx512", {"avx512f", "avx512_vnni"}}, {"avx2", {"avx2", "avx_vnni"}}}},
  };
  json rates = json::object();
  for (const auto& k : kinds) {
    for (const auto& [isa, flags] : k.isas) {
      if (!std::all_of(flags.begin(), flags.end(), [&](const char* f) { return has_flag(cpu, f); }))
        continue;
      const int bits = std::string(isa) == "avx512" ? 512 : 256;
      const double per_cycle = ops_per_cycle(*core, bits, k.lane_bits, k.ops_per_lane);
      rates[k.key] = {{"value", cores * hz * per_cycle},
                      {"unit", k.unit},
                      {"isa", isa},
                      {"ops_per_cycle_per_core", per_cycle}};
      break;
    }
  }
  return {{"microarchitecture", core->microarchitecture},
          {"fma_units_per_core", core->fma_units},
          {"fma_unit_bits", core->fma_unit_bits},
          {"table_source", core->source},
          {"cores", cores},
          {"threads", threads},
          {"frequency_hz", hz},
          {"frequency_source", hz_source},
          {"frequency_sources", sources},
          {"rates", rates},
          {"method",
           "cores x frequency x FMA units x min(unit width, vector width) / lane width x "
           "operations per lane (FMA 2, vdpbf16ps 4, vpdpbusd 8); the clock is the highest of "
           "cpufreq's hardware maximum, /proc/cpuinfo and a dependent-addition chain measured "
           "on one thread (mlhpc run: at the start and the end of the run)"}};
}

}  // namespace mlhpc
