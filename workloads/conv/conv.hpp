#pragma once
// conv: 2-D convolution, forward (training and inference), backward-data and backward-weights.
// A problem is one canonical line in the style of oneDNN's benchdnn
// (g2mb32ic64ih56oc64oh56kh3ph1n"res2_2b"): parsed, checked and printed back identically. The
// problem, its work model and the reference check live here; conv-onednn.cpp runs it.
#include <cmath>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "bench/dtype.hpp"
#include "bench/fill.hpp"
#include "bench/workload.hpp"

namespace mlhpc::conv {

// Sizes as benchdnn writes them: dilation d is "extra gaps", so 0 means none and the effective
// kernel extent is (k - 1) * (d + 1) + 1. The right/bottom padding follows from the output size
// and may differ from the left/top one (asymmetric padding).
struct desc {
  std::int64_t g = 1, mb = 2;
  std::int64_t ic = 0, ih = 0, iw = 0;
  std::int64_t oc = 0, oh = 0, ow = 0;
  std::int64_t kh = 0, kw = 0;
  std::int64_t sh = 1, sw = 1;
  std::int64_t ph = 0, pw = 0;
  std::int64_t dh = 0, dw = 0;
  std::string name;

  std::int64_t kh_extent() const { return (kh - 1) * (dh + 1) + 1; }
  std::int64_t kw_extent() const { return (kw - 1) * (dw + 1) + 1; }
  // Padding after the last input row / column implied by the output size.
  std::int64_t ph_end() const { return (oh - 1) * sh + kh_extent() - ih - ph; }
  std::int64_t pw_end() const { return (ow - 1) * sw + kw_extent() - iw - pw; }
  bool operator==(const desc&) const = default;
};

// Parses a problem line. Fields: g, mb, ic, ih, iw, oc, oh, ow, kh, kw, sh, sw, ph, pw, dh, dw
// (each a letter pair and a number, in any order, '_' ignored) and n"name" last. Absent fields:
// g 1, mb 2, strides 1, padding and dilation 0, width = height, output size from the formula
// with symmetric padding. Throws usage_error pointing at the bad field.
desc parse(const std::string& line);
// The canonical line: defaults and width fields equal to their height elided, so that
// to_string(parse(s)) == s for every canonical s.
std::string to_string(const desc& d);
// Checks relations (channels divisible by groups, output size reachable). Throws usage_error.
void validate(const desc& d, const std::string& line);

enum class pass { fwd_training, fwd_inference, bwd_data, bwd_weights };
pass pass_of(const std::string& name);
std::string to_string(pass p);

// The direct-convolution count as benchdnn counts it (oneDNN tests/benchdnn/conv/conv.cpp,
// prb_t::count_ops), the same for every pass: 2 * mb * oc * (ic / g) * the kernel taps that land
// inside the input summed over the output points (taps on padding excluded; without padding
// that is oh * ow * kh * kw); bytes = the tensors read and written once.
work_model work_of(const desc& d, pass p, dtype t);

// Over `out` output positions of one axis, the kernel taps that land inside an input of `in`
// (position o * stride - pad + t * (dil + 1)).
double valid_taps(std::int64_t out, std::int64_t k, std::int64_t in, std::int64_t stride,
                  std::int64_t pad, std::int64_t dil);

// Element counts of the plain (NCHW, OIHW) tensors.
inline std::int64_t src_elems(const desc& d) {
  return d.mb * d.ic * d.ih * d.iw;
}
inline std::int64_t dst_elems(const desc& d) {
  return d.mb * d.oc * d.oh * d.ow;
}
inline std::int64_t wei_elems(const desc& d) {
  return d.oc * (d.ic / d.g) * d.kh * d.kw;
}

// Plain tensors in double for the reference: src NCHW, weights [g][oc/g][ic/g][kh][kw] (that is
// OIHW), dst NCHW. Which one is the output depends on the pass.
struct tensors {
  const double* src = nullptr;
  const double* wei = nullptr;
  const double* dst = nullptr;
};

// Compares the pass's output (`got`, plain layout, as double) with a double-precision reference
// computed from `in`: every point when the problem is small (under 2^26 multiply-adds), otherwise
// a seeded sample including the first and last points. The error of a point is normalised by the
// sum of the magnitudes of its terms; int8 must match exactly. Tolerance: 2^-24 * max(32,
// 4 sqrt(terms)) for float accumulation.
verification check(const desc& d, pass p, bool exact, const tensors& in,
                   const std::vector<double>& got, std::uint64_t seed);

// A library that runs the passes.
class backend {
 public:
  virtual ~backend() = default;
  virtual std::string name() const = 0;
  virtual support supported(dtype t, pass p) const = 0;
  virtual std::unique_ptr<problem> create(const desc& d, pass p, dtype t, const std::string& layout,
                                          const problem_env& env) const = 0;
  virtual nlohmann::json libraries() const = 0;
};

std::unique_ptr<workload> make_workload(std::unique_ptr<backend> b, std::string why_missing);

// Fill streams and ranges, recorded with every result.
inline constexpr std::uint64_t stream_src = 31, stream_wei = 32, stream_dst = 33;

}  // namespace mlhpc::conv
