#pragma once
// gemm: C = A * B (alpha 1, beta 0) in f32, bf16 (f32 output) and int8 (u8 * s8 -> s32), with
// transposes. The problem, its work model and the reference check live here; each backend
// (gemm-onednn.cpp, later gemm-cublas.cu) implements the timed product.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "bench/dtype.hpp"
#include "bench/fill.hpp"
#include "bench/workload.hpp"

namespace mlhpc::gemm {

struct shape {
  dtype type = dtype::f32;  // f32, bf16, int8 (the variants)
  std::int64_t m = 0, n = 0, k = 0;
  bool transa = false, transb = false;
};

// Bytes per element of A (and B) and of C for a type.
std::size_t input_bytes(dtype t);
std::size_t output_bytes(dtype t);

// flops = 2 M N K; minimum bytes = M K + K N (input type) + M N (output type), each matrix
// moved once (the roofline model's compulsory traffic, Williams et al., CACM 2009).
work_model work_of(const shape& s);

// A backend runs the product on some device and library.
class backend {
 public:
  virtual ~backend() = default;
  virtual std::string name() const = 0;
  // Whether this dtype runs here (library built, ISA present), or why not.
  virtual support supported(dtype t) const = 0;
  virtual std::unique_ptr<problem> create(const shape& s, const problem_env& env) const = 0;
  virtual nlohmann::json libraries() const = 0;
};

// nullptr backend: gemm is listed, and every problem is skipped with `why_missing`.
std::unique_ptr<workload> make_workload(std::unique_ptr<backend> b, std::string why_missing);

// ---- inputs --------------------------------------------------------------------------------

// Fill streams and ranges, recorded with every result.
inline constexpr std::uint64_t stream_a = 11, stream_b = 12;
inline constexpr int u8_low = 0, u8_high = 63, s8_low = -32, s8_high = 31;
nlohmann::json describe_inputs(dtype t);

// ---- verification --------------------------------------------------------------------------
// Compares C with a double-precision reference: every element when M N K is small, otherwise a
// seeded sample of points (always including the four corners). Float types use the error
// normalised by sum_p |a_ip b_pj| (scale-free); int8 must match exactly.
// a(i, p), b(p, j), c(i, j) return the stored values as double.
template <class FA, class FB, class FC>
verification check(const shape& s, FA a, FB b, FC c, std::uint64_t seed) {
  const bool exact = s.type == dtype::int8;
  const double mnk = static_cast<double>(s.m) * static_cast<double>(s.n) * static_cast<double>(s.k);
  const bool full = mnk <= static_cast<double>(std::int64_t{1} << 26);
  std::vector<std::pair<std::int64_t, std::int64_t>> points;
  if (full) {
    for (std::int64_t i = 0; i < s.m; ++i)
      for (std::int64_t j = 0; j < s.n; ++j) points.emplace_back(i, j);
  } else {
    const std::int64_t budget = std::clamp<std::int64_t>((std::int64_t{1} << 26) / s.k, 256, 8192);
    points = {{0, 0}, {0, s.n - 1}, {s.m - 1, 0}, {s.m - 1, s.n - 1}};
    for (std::int64_t t = 0; t < budget; ++t) {
      const auto i = static_cast<std::int64_t>(unit_random(seed, 21, t) * static_cast<double>(s.m));
      const auto j = static_cast<std::int64_t>(unit_random(seed, 22, t) * static_cast<double>(s.n));
      points.emplace_back(std::min(i, s.m - 1), std::min(j, s.n - 1));
    }
  }
  const auto np = static_cast<std::int64_t>(points.size());
  std::vector<double> err(static_cast<std::size_t>(np));
#pragma omp parallel for schedule(dynamic, 64)
  for (std::int64_t t = 0; t < np; ++t) {
    const auto [i, j] = points[static_cast<std::size_t>(t)];
    double ref = 0, mag = 0;
    for (std::int64_t p = 0; p < s.k; ++p) {
      const double prod = a(i, p) * b(p, j);
      ref += prod;
      mag += std::fabs(prod);
    }
    const double diff = std::fabs(c(i, j) - ref);
    err[static_cast<std::size_t>(t)] = exact ? diff : (mag > 0 ? diff / mag : diff);
  }
  std::int64_t worst = 0;
  for (std::int64_t t = 1; t < np; ++t)
    if (err[static_cast<std::size_t>(t)] > err[static_cast<std::size_t>(worst)]) worst = t;
  verification v;
  v.metric = exact ? "max_absolute_error" : "max_normalized_error";
  // f32 accumulation: unit roundoff 2^-24 times a growth allowance of max(32, 4 sqrt(K)).
  v.tolerance =
      exact ? 0.0
            : std::ldexp(1.0, -24) * std::max(32.0, 4.0 * std::sqrt(static_cast<double>(s.k)));
  v.error = err[static_cast<std::size_t>(worst)];
  v.status = *v.error <= *v.tolerance ? verification::state::passed : verification::state::failed;
  v.detail = fmt::format(
      "{} of {} output points against a double-precision reference{}; worst at "
      "({}, {})",
      np, s.m * s.n, full ? "" : " (seeded sample plus corners)",
      points[static_cast<std::size_t>(worst)].first,
      points[static_cast<std::size_t>(worst)].second);
  if (!exact) v.detail += "; error normalised by sum_p |a_ip * b_pj|";
  return v;
}

}  // namespace mlhpc::gemm
