// An independent f32 FMA throughput reference for `peak:f32` (avx512): twelve chains written with
// explicit registers (zmm0..zmm11 accumulate, zmm12/zmm13 hold the operands) in one asm block,
// a different construction from workloads/peak/peak-x86.cpp (register operands chosen by the
// compiler). Every OpenMP thread runs the loop; the rate is threads x iterations x 12 x 16 x 2
// over the wall time. scripts/peak-vs-reference.sh interleaves it with `mlhpc run -w peak:f32`.
#include <benchmark/benchmark.h>
#include <omp.h>

#include <cstdint>

namespace {

__attribute__((target("avx512f"))) void chains12(std::int64_t iterations) {
  alignas(64) static const float operand[16] = {0x1.0p-10f, 0x1.0p-10f, 0x1.0p-10f, 0x1.0p-10f,
                                                0x1.0p-10f, 0x1.0p-10f, 0x1.0p-10f, 0x1.0p-10f,
                                                0x1.0p-10f, 0x1.0p-10f, 0x1.0p-10f, 0x1.0p-10f,
                                                0x1.0p-10f, 0x1.0p-10f, 0x1.0p-10f, 0x1.0p-10f};
  asm volatile(
      "vmovaps (%[op]), %%zmm12\n\t"
      "vmovaps (%[op]), %%zmm13\n\t"
      "vxorps %%zmm0, %%zmm0, %%zmm0\n\t"
      "vxorps %%zmm1, %%zmm1, %%zmm1\n\t"
      "vxorps %%zmm2, %%zmm2, %%zmm2\n\t"
      "vxorps %%zmm3, %%zmm3, %%zmm3\n\t"
      "vxorps %%zmm4, %%zmm4, %%zmm4\n\t"
      "vxorps %%zmm5, %%zmm5, %%zmm5\n\t"
      "vxorps %%zmm6, %%zmm6, %%zmm6\n\t"
      "vxorps %%zmm7, %%zmm7, %%zmm7\n\t"
      "vxorps %%zmm8, %%zmm8, %%zmm8\n\t"
      "vxorps %%zmm9, %%zmm9, %%zmm9\n\t"
      "vxorps %%zmm10, %%zmm10, %%zmm10\n\t"
      "vxorps %%zmm11, %%zmm11, %%zmm11\n\t"
      "2:\n\t"
      "vfmadd231ps %%zmm13, %%zmm12, %%zmm0\n\t"
      "vfmadd231ps %%zmm13, %%zmm12, %%zmm1\n\t"
      "vfmadd231ps %%zmm13, %%zmm12, %%zmm2\n\t"
      "vfmadd231ps %%zmm13, %%zmm12, %%zmm3\n\t"
      "vfmadd231ps %%zmm13, %%zmm12, %%zmm4\n\t"
      "vfmadd231ps %%zmm13, %%zmm12, %%zmm5\n\t"
      "vfmadd231ps %%zmm13, %%zmm12, %%zmm6\n\t"
      "vfmadd231ps %%zmm13, %%zmm12, %%zmm7\n\t"
      "vfmadd231ps %%zmm13, %%zmm12, %%zmm8\n\t"
      "vfmadd231ps %%zmm13, %%zmm12, %%zmm9\n\t"
      "vfmadd231ps %%zmm13, %%zmm12, %%zmm10\n\t"
      "vfmadd231ps %%zmm13, %%zmm12, %%zmm11\n\t"
      "dec %[n]\n\t"
      "jnz 2b\n\t"
      "vzeroupper\n"
      : [n] "+r"(iterations)
      : [op] "r"(operand)
      : "cc", "memory", "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8",
        "xmm9", "xmm10", "xmm11", "xmm12", "xmm13");
}

void fma_f32_zmm_12_chains(benchmark::State& state) {
  if (!__builtin_cpu_supports("avx512f")) {
    state.SkipWithError("this CPU has no AVX-512F");
    return;
  }
  const std::int64_t iterations = std::int64_t{1} << 20;
  const int threads = omp_get_max_threads();
  for (auto _ : state) {
#pragma omp parallel num_threads(threads)
    chains12(iterations);
  }
  state.counters["flops"] =
      benchmark::Counter(static_cast<double>(threads) * iterations * 12 * 16 * 2,
                         benchmark::Counter::kIsIterationInvariantRate);
  state.counters["threads"] = threads;
}
BENCHMARK(fma_f32_zmm_12_chains)->UseRealTime()->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
