// x86 kernels of `peak`. Each function carries its own target attribute, so the binary runs on
// any x86-64 CPU and only kernels the CPU supports are called (checked with cpuid at run time).
// Operands are read through a volatile so the compiler cannot fold the chains away, and the chains
// themselves are inline assembly with one register operand each (see MLHPC_CHAINS12).
#include "workloads/peak/peak.hpp"

#include <cpuid.h>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace mlhpc::peak {

#if defined(__x86_64__)
namespace {

constexpr int kAcc = 12;  // enough independent chains to cover FMA latency x pipes (4 x 2 + slack)

volatile float g_f32 = 0x1.0p-10f;
volatile double g_f64 = 0x1.0p-10;
volatile std::uint16_t g_bf16 = 0x3b80;  // 2^-8 in bfloat16
volatile std::int8_t g_s8 = -2;
volatile std::uint8_t g_u8 = 3;

// Horizontal sums through memory (GCC 12's _mm512_reduce_* warn about uninitialised lanes).
__attribute__((target("avx512f"))) double hsum512(__m512 v) {
  alignas(64) float t[16];
  _mm512_store_ps(t, v);
  double s = 0;
  for (float f : t) s += f;
  return s;
}
__attribute__((target("avx512f"))) double hsum512d(__m512d v) {
  alignas(64) double t[8];
  _mm512_store_pd(t, v);
  double s = 0;
  for (double f : t) s += f;
  return s;
}
__attribute__((target("avx512f"))) double hsum512i(__m512i v) {
  alignas(64) std::int32_t t[16];
  _mm512_store_si512(t, v);
  double s = 0;
  for (auto i : t) s += i;
  return s;
}

__attribute__((target("avx2,fma"))) double hsum256(__m256 v) {
  alignas(32) float t[8];
  _mm256_store_ps(t, v);
  double s = 0;
  for (float f : t) s += f;
  return s;
}
__attribute__((target("avx2,fma"))) double hsum256d(__m256d v) {
  alignas(32) double t[4];
  _mm256_store_pd(t, v);
  return t[0] + t[1] + t[2] + t[3];
}
__attribute__((target("avx2"))) double hsum256i(__m256i v) {
  alignas(32) std::int32_t t[8];
  _mm256_store_si256(reinterpret_cast<__m256i*>(t), v);
  double s = 0;
  for (auto i : t) s += i;
  return s;
}

// The inner loop of every kernel is one asm statement: twelve accumulators, each its own in-out
// register operand, so the compiler cannot merge them (GCC 12 merged twelve identical intrinsic
// chains into one, and the declared work was twelve times what ran). The loop counter and the
// backward branch are inside the asm too, so the whole loop body is exactly twelve instructions
// of the kernel plus `dec`/`jnz`; tests/unit/test_peak_code.cpp checks that in the disassembly.
// AT&T operand order: `insn src2, src1, dst` computes dst += f(src1, src2).
#define MLHPC_CHAINS12(INSN, X, Y)                                                                 \
  do {                                                                                             \
    std::int64_t n_ = chunk_iterations;                                                            \
    asm volatile(                                                                                  \
        "1:\n\t" INSN " %[y], %[x], %[a0]\n\t" INSN " %[y], %[x], %[a1]\n\t" INSN                  \
        " %[y], %[x], %[a2]\n\t" INSN " %[y], %[x], %[a3]\n\t" INSN " %[y], %[x], %[a4]\n\t" INSN  \
        " %[y], %[x], %[a5]\n\t" INSN " %[y], %[x], %[a6]\n\t" INSN " %[y], %[x], %[a7]\n\t" INSN  \
        " %[y], %[x], %[a8]\n\t" INSN " %[y], %[x], %[a9]\n\t" INSN " %[y], %[x], %[a10]\n\t" INSN \
        " %[y], %[x], %[a11]\n\t"                                                                  \
        "dec %[n]\n\t"                                                                             \
        "jnz 1b\n"                                                                                 \
        : [a0] "+v"(a0), [a1] "+v"(a1), [a2] "+v"(a2), [a3] "+v"(a3), [a4] "+v"(a4),               \
          [a5] "+v"(a5), [a6] "+v"(a6), [a7] "+v"(a7), [a8] "+v"(a8), [a9] "+v"(a9),               \
          [a10] "+v"(a10), [a11] "+v"(a11), [n] "+r"(n_)                                           \
        : [x] "v"(X), [y] "v"(Y)                                                                   \
        : "cc");                                                                                   \
  } while (0)

// One kernel: per chunk, zeroed accumulators, the asm loop, then the exact horizontal sums.
#define MLHPC_KERNEL(NAME, TARGET, VEC, ZERO, INSN, HSUM, X_INIT, Y_INIT)                         \
  __attribute__((target(TARGET))) double NAME(std::int64_t chunks) {                              \
    const VEC x = X_INIT, y = Y_INIT;                                                             \
    double total = 0;                                                                             \
    for (std::int64_t c = 0; c < chunks; ++c) {                                                   \
      VEC a0 = ZERO, a1 = ZERO, a2 = ZERO, a3 = ZERO, a4 = ZERO, a5 = ZERO, a6 = ZERO, a7 = ZERO, \
          a8 = ZERO, a9 = ZERO, a10 = ZERO, a11 = ZERO;                                           \
      MLHPC_CHAINS12(INSN, x, y);                                                                 \
      total += HSUM(a0) + HSUM(a1) + HSUM(a2) + HSUM(a3) + HSUM(a4) + HSUM(a5) + HSUM(a6) +       \
               HSUM(a7) + HSUM(a8) + HSUM(a9) + HSUM(a10) + HSUM(a11);                            \
    }                                                                                             \
    return total;                                                                                 \
  }

MLHPC_KERNEL(f32_avx512, "avx512f", __m512, _mm512_setzero_ps(), "vfmadd231ps", hsum512,
             _mm512_set1_ps(g_f32), _mm512_set1_ps(g_f32))
MLHPC_KERNEL(f64_avx512, "avx512f", __m512d, _mm512_setzero_pd(), "vfmadd231pd", hsum512d,
             _mm512_set1_pd(g_f64), _mm512_set1_pd(g_f64))
MLHPC_KERNEL(f32_avx2, "avx2,fma", __m256, _mm256_setzero_ps(), "vfmadd231ps", hsum256,
             _mm256_set1_ps(g_f32), _mm256_set1_ps(g_f32))
MLHPC_KERNEL(f64_avx2, "avx2,fma", __m256d, _mm256_setzero_pd(), "vfmadd231pd", hsum256d,
             _mm256_set1_pd(g_f64), _mm256_set1_pd(g_f64))
// vdpbf16ps: dst.f32[i] += x.bf16[2i] * y.bf16[2i] + x.bf16[2i+1] * y.bf16[2i+1].
MLHPC_KERNEL(bf16_avx512, "avx512f,avx512bf16", __m512, _mm512_setzero_ps(), "vdpbf16ps", hsum512,
             _mm512_castsi512_ps(_mm512_set1_epi16(static_cast<short>(g_bf16))),
             _mm512_castsi512_ps(_mm512_set1_epi16(static_cast<short>(g_bf16))))
// vpdpbusd: dst.s32[i] += sum over four bytes of u8(src1) * s8(src2); x holds the unsigned bytes.
MLHPC_KERNEL(int8_avx512, "avx512f,avx512vnni", __m512i, _mm512_setzero_si512(), "vpdpbusd",
             hsum512i, _mm512_set1_epi8(static_cast<char>(g_u8)),
             _mm512_set1_epi8(static_cast<char>(g_s8)))
// AVX-VNNI is the VEX encoding (`%{`/`%}` are braces in asm templates): without {vex} the assembler
// would emit the EVEX (AVX512-VNNI) form, which a CPU with AVX-VNNI only (Alder Lake) cannot run.
MLHPC_KERNEL(int8_avx2, "avx2,avxvnni", __m256i, _mm256_setzero_si256(), "%{vex%} vpdpbusd",
             hsum256i, _mm256_set1_epi8(static_cast<char>(g_u8)),
             _mm256_set1_epi8(static_cast<char>(g_s8)))

#undef MLHPC_KERNEL
#undef MLHPC_CHAINS12

bool has_avx512() {
  return __builtin_cpu_supports("avx512f");
}
bool has_avx2() {
  return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
}
bool has_bf16() {
  return has_avx512() && __builtin_cpu_supports("avx512bf16");
}
bool has_vnni512() {
  return has_avx512() && __builtin_cpu_supports("avx512vnni");
}
bool has_avxvnni() {
  // CPUID.(EAX=7, ECX=1):EAX bit 4, read directly: GCC 12 knows "avxvnni" for
  // __builtin_cpu_supports, clang 14 does not.
  unsigned a = 0, b = 0, c = 0, d = 0;
  return has_avx2() && __get_cpuid_count(7, 1, &a, &b, &c, &d) != 0 && (a & (1u << 4)) != 0;
}

}  // namespace

const std::vector<kernel_info>& kernels() {
  static const double f = 0x1.0p-20;        // x * y for f32 and f64
  static const double bf = 2 * 0x1.0p-16;   // two products of 2^-8 * 2^-8 per lane
  static const double i8 = 4 * 3.0 * -2.0;  // four u8 * s8 products per lane
  static const std::vector<kernel_info> list = {
      {dtype::f64, "avx512", "vfmadd231pd zmm", 8, kAcc, 2, f, has_avx512, f64_avx512},
      {dtype::f64, "avx2", "vfmadd231pd ymm", 4, kAcc, 2, f, has_avx2, f64_avx2},
      {dtype::f32, "avx512", "vfmadd231ps zmm", 16, kAcc, 2, f, has_avx512, f32_avx512},
      {dtype::f32, "avx2", "vfmadd231ps ymm", 8, kAcc, 2, f, has_avx2, f32_avx2},
      {dtype::bf16, "avx512", "vdpbf16ps zmm", 16, kAcc, 4, bf, has_bf16, bf16_avx512},
      {dtype::int8, "avx512", "vpdpbusd zmm", 16, kAcc, 8, i8, has_vnni512, int8_avx512},
      {dtype::int8, "avx2", "vpdpbusd ymm (AVX-VNNI)", 8, kAcc, 8, i8, has_avxvnni, int8_avx2},
  };
  return list;
}

#else
const std::vector<kernel_info>& kernels() {
  static const std::vector<kernel_info> none;
  return none;
}
#endif

}  // namespace mlhpc::peak
