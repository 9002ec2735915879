// x86 kernels of `peak`. Each function carries its own target attribute, so the binary runs on
// any x86-64 CPU and only kernels the CPU supports are called (checked with cpuid at run time).
// Operands are read through a volatile so the compiler cannot fold the chains away.
#include "workloads/peak/peak.hpp"

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

#define MLHPC_UNROLL12(STMT) \
  STMT(0) STMT(1) STMT(2) STMT(3) STMT(4) STMT(5) STMT(6) STMT(7) STMT(8) STMT(9) STMT(10) STMT(11)

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

__attribute__((target("avx512f"))) double f32_avx512(std::int64_t chunks) {
  const __m512 x = _mm512_set1_ps(g_f32), y = _mm512_set1_ps(g_f32);
  double total = 0;
  for (std::int64_t c = 0; c < chunks; ++c) {
#define DECL(i) __m512 a##i = _mm512_setzero_ps();
    MLHPC_UNROLL12(DECL)
#undef DECL
    for (std::int64_t it = 0; it < chunk_iterations; ++it) {
#define STEP(i) a##i = _mm512_fmadd_ps(x, y, a##i);
      MLHPC_UNROLL12(STEP)
#undef STEP
    }
#define SUM(i) total += hsum512(a##i);
    MLHPC_UNROLL12(SUM)
#undef SUM
  }
  return total;
}

__attribute__((target("avx512f"))) double f64_avx512(std::int64_t chunks) {
  const __m512d x = _mm512_set1_pd(g_f64), y = _mm512_set1_pd(g_f64);
  double total = 0;
  for (std::int64_t c = 0; c < chunks; ++c) {
#define DECL(i) __m512d a##i = _mm512_setzero_pd();
    MLHPC_UNROLL12(DECL)
#undef DECL
    for (std::int64_t it = 0; it < chunk_iterations; ++it) {
#define STEP(i) a##i = _mm512_fmadd_pd(x, y, a##i);
      MLHPC_UNROLL12(STEP)
#undef STEP
    }
#define SUM(i) total += hsum512d(a##i);
    MLHPC_UNROLL12(SUM)
#undef SUM
  }
  return total;
}

__attribute__((target("avx2,fma"))) double f32_avx2(std::int64_t chunks) {
  const __m256 x = _mm256_set1_ps(g_f32), y = _mm256_set1_ps(g_f32);
  double total = 0;
  for (std::int64_t c = 0; c < chunks; ++c) {
#define DECL(i) __m256 a##i = _mm256_setzero_ps();
    MLHPC_UNROLL12(DECL)
#undef DECL
    for (std::int64_t it = 0; it < chunk_iterations; ++it) {
#define STEP(i) a##i = _mm256_fmadd_ps(x, y, a##i);
      MLHPC_UNROLL12(STEP)
#undef STEP
    }
#define SUM(i) total += hsum256(a##i);
    MLHPC_UNROLL12(SUM)
#undef SUM
  }
  return total;
}

__attribute__((target("avx2,fma"))) double f64_avx2(std::int64_t chunks) {
  const __m256d x = _mm256_set1_pd(g_f64), y = _mm256_set1_pd(g_f64);
  double total = 0;
  for (std::int64_t c = 0; c < chunks; ++c) {
#define DECL(i) __m256d a##i = _mm256_setzero_pd();
    MLHPC_UNROLL12(DECL)
#undef DECL
    for (std::int64_t it = 0; it < chunk_iterations; ++it) {
#define STEP(i) a##i = _mm256_fmadd_pd(x, y, a##i);
      MLHPC_UNROLL12(STEP)
#undef STEP
    }
#define SUM(i) total += hsum256d(a##i);
    MLHPC_UNROLL12(SUM)
#undef SUM
  }
  return total;
}

__attribute__((target("avx512f,avx512bf16"))) double bf16_avx512(std::int64_t chunks) {
  const __m512bh x = (__m512bh)_mm512_set1_epi16(static_cast<short>(g_bf16));
  const __m512bh y = (__m512bh)_mm512_set1_epi16(static_cast<short>(g_bf16));
  double total = 0;
  for (std::int64_t c = 0; c < chunks; ++c) {
#define DECL(i) __m512 a##i = _mm512_setzero_ps();
    MLHPC_UNROLL12(DECL)
#undef DECL
    for (std::int64_t it = 0; it < chunk_iterations; ++it) {
#define STEP(i) a##i = _mm512_dpbf16_ps(a##i, x, y);
      MLHPC_UNROLL12(STEP)
#undef STEP
    }
#define SUM(i) total += hsum512(a##i);
    MLHPC_UNROLL12(SUM)
#undef SUM
  }
  return total;
}

__attribute__((target("avx512f,avx512vnni"))) double int8_avx512(std::int64_t chunks) {
  const __m512i u = _mm512_set1_epi8(static_cast<char>(g_u8));
  const __m512i s = _mm512_set1_epi8(static_cast<char>(g_s8));
  double total = 0;
  for (std::int64_t c = 0; c < chunks; ++c) {
#define DECL(i) __m512i a##i = _mm512_setzero_si512();
    MLHPC_UNROLL12(DECL)
#undef DECL
    for (std::int64_t it = 0; it < chunk_iterations; ++it) {
#define STEP(i) a##i = _mm512_dpbusd_epi32(a##i, u, s);
      MLHPC_UNROLL12(STEP)
#undef STEP
    }
#define SUM(i) total += hsum512i(a##i);
    MLHPC_UNROLL12(SUM)
#undef SUM
  }
  return total;
}

__attribute__((target("avx2,avxvnni"))) double int8_avx2(std::int64_t chunks) {
  const __m256i u = _mm256_set1_epi8(static_cast<char>(g_u8));
  const __m256i s = _mm256_set1_epi8(static_cast<char>(g_s8));
  double total = 0;
  for (std::int64_t c = 0; c < chunks; ++c) {
#define DECL(i) __m256i a##i = _mm256_setzero_si256();
    MLHPC_UNROLL12(DECL)
#undef DECL
    for (std::int64_t it = 0; it < chunk_iterations; ++it) {
#define STEP(i) a##i = _mm256_dpbusd_avx_epi32(a##i, u, s);
      MLHPC_UNROLL12(STEP)
#undef STEP
    }
#define SUM(i) total += hsum256i(a##i);
    MLHPC_UNROLL12(SUM)
#undef SUM
  }
  return total;
}

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
  return __builtin_cpu_supports("avxvnni");
}

}  // namespace

const std::vector<kernel_info>& kernels() {
  static const double f = 0x1.0p-20;        // x * y for f32 and f64
  static const double bf = 2 * 0x1.0p-16;   // two products of 2^-8 * 2^-8 per lane
  static const double i8 = 4 * 3.0 * -2.0;  // four u8 * s8 products per lane
  static const std::vector<kernel_info> list = {
      {"f64", "avx512", "vfmadd231pd zmm", 8, kAcc, 2, f, has_avx512, f64_avx512},
      {"f64", "avx2", "vfmadd231pd ymm", 4, kAcc, 2, f, has_avx2, f64_avx2},
      {"f32", "avx512", "vfmadd231ps zmm", 16, kAcc, 2, f, has_avx512, f32_avx512},
      {"f32", "avx2", "vfmadd231ps ymm", 8, kAcc, 2, f, has_avx2, f32_avx2},
      {"bf16", "avx512", "vdpbf16ps zmm", 16, kAcc, 4, bf, has_bf16, bf16_avx512},
      {"int8", "avx512", "vpdpbusd zmm", 16, kAcc, 8, i8, has_vnni512, int8_avx512},
      {"int8", "avx2", "vpdpbusd ymm (AVX-VNNI)", 8, kAcc, 8, i8, has_avxvnni, int8_avx2},
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
