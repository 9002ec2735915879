#pragma once
// Seeded, thread-count-independent input fills. Each element i gets a value from a counter-based
// hash of (seed, stream, i) (splitmix64), so the same seed gives the same data whatever the
// number of threads, and fills run in parallel with first-touch placement.
#include <cstdint>
#include <cstring>
#include <span>
#include <string>

namespace mlhpc {

inline std::uint64_t splitmix64(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

// Uniform in [0, 1) from element index i of stream `stream` under `seed`.
inline double unit_random(std::uint64_t seed, std::uint64_t stream, std::uint64_t i) {
  const std::uint64_t h = splitmix64(seed ^ splitmix64(stream * 0x632be59bd9b4e019ULL + i));
  return static_cast<double>(h >> 11) * 0x1.0p-53;
}

// Fills with uniform values in [lo, hi).
void fill_uniform(std::span<float> data, std::uint64_t seed, std::uint64_t stream, double lo,
                  double hi);
void fill_uniform(std::span<double> data, std::uint64_t seed, std::uint64_t stream, double lo,
                  double hi);
// Fills with uniform integers in [lo, hi].
void fill_uniform(std::span<std::int8_t> data, std::uint64_t seed, std::uint64_t stream, int lo,
                  int hi);
void fill_uniform(std::span<std::uint8_t> data, std::uint64_t seed, std::uint64_t stream, int lo,
                  int hi);

// Round-to-nearest-even float -> bfloat16 and back.
inline std::uint16_t to_bf16(float f) {
  std::uint32_t u = 0;
  std::memcpy(&u, &f, 4);
  u += 0x7fffu + ((u >> 16) & 1u);
  return static_cast<std::uint16_t>(u >> 16);
}
inline float from_bf16(std::uint16_t h) {
  const std::uint32_t u = static_cast<std::uint32_t>(h) << 16;
  float f = 0;
  std::memcpy(&f, &u, 4);
  return f;
}

// How to describe a fill in a result: "uniform[-1,1) splitmix64(seed, stream=...)".
std::string describe_fill(const std::string& range, std::uint64_t stream);

}  // namespace mlhpc
