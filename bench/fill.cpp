#include "bench/fill.hpp"

#include <fmt/format.h>

#include <cmath>

namespace mlhpc {

namespace {
template <class T>
void fill_real(std::span<T> data, std::uint64_t seed, std::uint64_t stream, double lo, double hi) {
  const auto n = static_cast<std::int64_t>(data.size());
  T* p = data.data();
#pragma omp parallel for schedule(static)
  for (std::int64_t i = 0; i < n; ++i)
    p[i] =
        static_cast<T>(lo + (hi - lo) * unit_random(seed, stream, static_cast<std::uint64_t>(i)));
}
template <class T>
void fill_int(std::span<T> data, std::uint64_t seed, std::uint64_t stream, int lo, int hi) {
  const auto n = static_cast<std::int64_t>(data.size());
  const double span = static_cast<double>(hi - lo + 1);
  T* p = data.data();
#pragma omp parallel for schedule(static)
  for (std::int64_t i = 0; i < n; ++i) {
    const int v = lo + static_cast<int>(std::floor(
                           span * unit_random(seed, stream, static_cast<std::uint64_t>(i))));
    p[i] = static_cast<T>(v > hi ? hi : v);
  }
}
}  // namespace

void fill_uniform(std::span<float> d, std::uint64_t seed, std::uint64_t stream, double lo,
                  double hi) {
  fill_real(d, seed, stream, lo, hi);
}
void fill_uniform(std::span<double> d, std::uint64_t seed, std::uint64_t stream, double lo,
                  double hi) {
  fill_real(d, seed, stream, lo, hi);
}
void fill_uniform(std::span<std::int8_t> d, std::uint64_t seed, std::uint64_t stream, int lo,
                  int hi) {
  fill_int(d, seed, stream, lo, hi);
}
void fill_uniform(std::span<std::uint8_t> d, std::uint64_t seed, std::uint64_t stream, int lo,
                  int hi) {
  fill_int(d, seed, stream, lo, hi);
}

std::string describe_fill(const std::string& range, std::uint64_t stream) {
  return fmt::format("uniform {} from splitmix64(seed, stream {}, index)", range, stream);
}

}  // namespace mlhpc
