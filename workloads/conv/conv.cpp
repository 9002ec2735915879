#include "workloads/conv/conv.hpp"

#include "workloads/resnet50/network.hpp"

#include "bench/checked.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <limits>
#include <map>

#include <fmt/ranges.h>

#include "bench/error.hpp"
#include "bench/plan.hpp"

namespace mlhpc::conv {

namespace {

// The fields in canonical order; `w` fields default to their `h` partner.
struct field {
  const char* key;
  std::int64_t desc::*member;
};
const field fields[] = {{"g", &desc::g},   {"mb", &desc::mb}, {"ic", &desc::ic}, {"ih", &desc::ih},
                        {"iw", &desc::iw}, {"oc", &desc::oc}, {"oh", &desc::oh}, {"ow", &desc::ow},
                        {"kh", &desc::kh}, {"kw", &desc::kw}, {"sh", &desc::sh}, {"sw", &desc::sw},
                        {"ph", &desc::ph}, {"pw", &desc::pw}, {"dh", &desc::dh}, {"dw", &desc::dw}};

[[noreturn]] void bad(const std::string& line, std::size_t pos, const std::string& what) {
  throw usage_error(
      fmt::format("problem '{}': {} at position {} ('{}'; expected fields g, mb, "
                  "ic, ih, iw, oc, oh, ow, kh, kw, sh, sw, ph, pw, dh, dw and "
                  "n\"name\", e.g. mb32ic64ih56oc64oh56kh3ph1)",
                  line, what, pos + 1, line.substr(pos, 8)));
}

std::int64_t out_size(std::int64_t i, std::int64_t k_extent, std::int64_t s, std::int64_t p) {
  return (i + 2 * p - k_extent) / s + 1;
}

}  // namespace

desc parse(const std::string& line) {
  desc d;
  d.mb = 2;  // benchdnn's default minibatch
  std::vector<std::string> seen;
  std::size_t i = 0;
  while (i < line.size()) {
    if (line[i] == '_') {
      ++i;
      continue;
    }
    if (line[i] == 'n' && i + 1 < line.size() && line[i + 1] == '"') {
      const auto end = line.find('"', i + 2);
      if (end == std::string::npos) bad(line, i, "unterminated name");
      d.name = line.substr(i + 2, end - i - 2);
      for (char c : d.name)
        if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.' ||
              c == ':' || c == '/'))
          bad(line, i, "a name may hold letters, digits and _ - . : / only");
      if (end + 1 != line.size()) bad(line, end + 1, "text after the name");
      i = end + 1;
      continue;
    }
    const field* f = nullptr;
    for (const auto& cand : fields) {
      const std::size_t n = std::char_traits<char>::length(cand.key);
      if (line.compare(i, n, cand.key) == 0 && i + n < line.size() &&
          std::isdigit(static_cast<unsigned char>(line[i + n])) != 0) {
        f = &cand;
        break;
      }
    }
    if (f == nullptr) bad(line, i, "unknown field");
    if (std::find(seen.begin(), seen.end(), f->key) != seen.end())
      bad(line, i, fmt::format("field '{}' given twice", f->key));
    seen.emplace_back(f->key);
    std::size_t j = i + std::char_traits<char>::length(f->key);
    const std::size_t start = j;
    while (j < line.size() && std::isdigit(static_cast<unsigned char>(line[j])) != 0) ++j;
    if (j - start > 9) bad(line, i, fmt::format("'{}' is too large", f->key));
    d.*(f->member) = std::stoll(line.substr(start, j - start));
    i = j;
  }
  auto given = [&](const char* k) { return std::find(seen.begin(), seen.end(), k) != seen.end(); };
  for (const char* k : {"ic", "ih", "oc", "kh"})
    if (!given(k)) bad(line, line.size(), fmt::format("missing field '{}'", k));
  if (!given("iw")) d.iw = d.ih;
  if (!given("kw")) d.kw = d.kh;
  if (!given("sw")) d.sw = d.sh;
  if (!given("pw")) d.pw = d.ph;
  if (!given("dw")) d.dw = d.dh;
  for (const char* k : {"g", "mb", "ic", "ih", "iw", "oc", "kh", "kw", "sh", "sw"})
    for (const auto& f : fields)
      if (std::string(f.key) == k && d.*(f.member) < 1)
        bad(line, line.find(k), fmt::format("'{}' must be at least 1", k));
  if (!given("oh")) d.oh = out_size(d.ih, d.kh_extent(), d.sh, d.ph);
  if (!given("ow"))
    d.ow =
        given("oh") && d.iw == d.ih && d.kw == d.kh && d.sw == d.sh && d.pw == d.ph && d.dw == d.dh
            ? d.oh
            : out_size(d.iw, d.kw_extent(), d.sw, d.pw);
  validate(d, line);
  return d;
}

std::string to_string(const desc& d) {
  std::string s;
  if (d.g != 1) s += fmt::format("g{}", d.g);
  if (d.mb != 2) s += fmt::format("mb{}", d.mb);
  s += fmt::format("ic{}ih{}", d.ic, d.ih);
  if (d.iw != d.ih) s += fmt::format("iw{}", d.iw);
  s += fmt::format("oc{}oh{}", d.oc, d.oh);
  // ow is elided when parsing would infer it.
  const bool w_like_h =
      d.iw == d.ih && d.kw == d.kh && d.sw == d.sh && d.pw == d.ph && d.dw == d.dh;
  if (d.ow != (w_like_h ? d.oh : out_size(d.iw, d.kw_extent(), d.sw, d.pw)))
    s += fmt::format("ow{}", d.ow);
  s += fmt::format("kh{}", d.kh);
  if (d.kw != d.kh) s += fmt::format("kw{}", d.kw);
  if (d.sh != 1) s += fmt::format("sh{}", d.sh);
  if (d.sw != d.sh) s += fmt::format("sw{}", d.sw);
  if (d.ph != 0) s += fmt::format("ph{}", d.ph);
  if (d.pw != d.ph) s += fmt::format("pw{}", d.pw);
  if (d.dh != 0) s += fmt::format("dh{}", d.dh);
  if (d.dw != d.dh) s += fmt::format("dw{}", d.dw);
  if (!d.name.empty()) s += fmt::format("n\"{}\"", d.name);
  return s;
}

void validate(const desc& d, const std::string& line) {
  auto fail = [&](const std::string& what) {
    throw usage_error(fmt::format("problem '{}': {}", line, what));
  };
  if (d.ic % d.g != 0) fail(fmt::format("ic {} is not divisible by g {}", d.ic, d.g));
  if (d.oc % d.g != 0) fail(fmt::format("oc {} is not divisible by g {}", d.oc, d.g));
  if (d.oh < 1 || d.ow < 1)
    fail(
        fmt::format("output {}x{}: the kernel ({}x{} with dilation) does not fit the padded "
                    "input {}x{}",
                    d.oh, d.ow, d.kh_extent(), d.kw_extent(), d.ih + 2 * d.ph, d.iw + 2 * d.pw));
  // The implied end padding may be negative (input rows a stride skips) but not so negative
  // that the last window starts past the input, nor larger than the kernel or the start padding
  // (DeepBench pads a 1x1 kernel by 3).
  for (const auto& [name, end, s, kext, p] :
       {std::tuple{"oh", d.ph_end(), d.sh, d.kh_extent(), d.ph},
        std::tuple{"ow", d.pw_end(), d.sw, d.kw_extent(), d.pw}}) {
    const std::int64_t hi = std::max(p, kext - 1);
    if (end <= -s || end > hi)
      fail(
          fmt::format("{} {} does not match the input, kernel, stride and padding (implied end "
                      "padding {}; expected between {} and {})",
                      name, name == std::string("oh") ? d.oh : d.ow, end, -s + 1, hi));
  }
  // Every tensor's element count, with overflow checks (a weight count of 10^36 must be refused
  // here, not wrap into something small that passes the memory check), at most 2^31 - 1 each:
  // oneDNN's and the reference's index arithmetic assume it.
  const std::string what = fmt::format("problem '{}'", line);
  for (const auto& [tensor, n] :
       {std::pair{"source", checked_product({d.mb, d.ic, d.ih, d.iw}, what)},
        std::pair{"weights", checked_product({d.oc, d.ic / d.g, d.kh, d.kw}, what)},
        std::pair{"destination", checked_product({d.mb, d.oc, d.oh, d.ow}, what)}})
    if (n > std::numeric_limits<std::int32_t>::max())
      fail(fmt::format("the {} tensor has {} elements, more than 2^31 - 1", tensor, n));
}

pass pass_of(const std::string& name) {
  if (name == "fwd_training") return pass::fwd_training;
  if (name == "fwd_inference") return pass::fwd_inference;
  if (name == "bwd_data") return pass::bwd_data;
  if (name == "bwd_weights") return pass::bwd_weights;
  MLHPC_ASSERT(false);
}

std::string to_string(pass p) {
  switch (p) {
    case pass::fwd_training:
      return "fwd_training";
    case pass::fwd_inference:
      return "fwd_inference";
    case pass::bwd_data:
      return "bwd_data";
    case pass::bwd_weights:
      return "bwd_weights";
  }
  return "?";
}

double valid_taps(std::int64_t out, std::int64_t k, std::int64_t in, std::int64_t stride,
                  std::int64_t pad, std::int64_t dil) {
  // Per output position, the taps t in [0, k) with 0 <= o * stride - pad + t * (dil + 1) < in,
  // counted arithmetically: O(out), so that a kernel of 10^9 taps costs nothing to count.
  const std::int64_t step = dil + 1;
  auto ceil_div = [](std::int64_t a, std::int64_t b) {  // b > 0
    return a >= 0 ? (a + b - 1) / b : -((-a) / b);
  };
  auto floor_div = [](std::int64_t a, std::int64_t b) {  // b > 0
    return a >= 0 ? a / b : -((-a + b - 1) / b);
  };
  double n = 0;
  for (std::int64_t o = 0; o < out; ++o) {
    const std::int64_t base = o * stride - pad;
    const std::int64_t lo = std::max<std::int64_t>(0, ceil_div(-base, step));
    const std::int64_t hi = std::min<std::int64_t>(k - 1, floor_div(in - 1 - base, step));
    if (hi >= lo) n += static_cast<double>(hi - lo + 1);
  }
  return n;
}

work_model work_of(const desc& d, pass p, dtype t) {
  work_model w;
  // Taps on padding multiply zeros that no implementation computes: counting them put a
  // ResNet-50 3x3 layer (56x56, pad 1) 2.4 % above the arithmetic done, and its rate above the
  // measured peak. The two axes are independent, so the count is a product of per-axis sums.
  w.flops = 2.0 * static_cast<double>(d.mb) * static_cast<double>(d.oc) *
            static_cast<double>(d.ic / d.g) * valid_taps(d.oh, d.kh, d.ih, d.sh, d.ph, d.dh) *
            valid_taps(d.ow, d.kw, d.iw, d.sw, d.pw, d.dw);
  const auto in = static_cast<double>(storage_bytes(t));
  const double out = 4;  // f32 (or s32 for int8) outputs
  const auto s = static_cast<double>(src_elems(d)), wt = static_cast<double>(wei_elems(d)),
             dst = static_cast<double>(dst_elems(d));
  switch (p) {
    case pass::fwd_training:
    case pass::fwd_inference:
      w.bytes = (s + wt) * in + dst * out;
      break;
    case pass::bwd_data:
      w.bytes = (dst + wt) * in + s * out;
      break;
    case pass::bwd_weights:
      w.bytes = (s + dst) * in + wt * out;
      break;
  }
  w.items = static_cast<double>(d.mb);
  w.item_unit = "image";
  return w;
}

namespace {

// One output point of the pass in double: the value and the sum of |terms|.
struct point_ref {
  double value = 0, magnitude = 0;
};

point_ref ref_point(const desc& d, pass p, const tensors& t, std::int64_t idx) {
  const std::int64_t icg = d.ic / d.g, ocg = d.oc / d.g;
  auto src = [&](std::int64_t n, std::int64_t c, std::int64_t y, std::int64_t x) {
    return t.src[((n * d.ic + c) * d.ih + y) * d.iw + x];
  };
  auto wei = [&](std::int64_t o, std::int64_t c, std::int64_t y, std::int64_t x) {
    return t.wei[((o * icg + c) * d.kh + y) * d.kw + x];
  };
  auto dst = [&](std::int64_t n, std::int64_t o, std::int64_t y, std::int64_t x) {
    return t.dst[((n * d.oc + o) * d.oh + y) * d.ow + x];
  };
  point_ref r;
  auto add = [&](double prod) {
    r.value += prod;
    r.magnitude += std::fabs(prod);
  };
  if (p == pass::fwd_training || p == pass::fwd_inference) {
    const std::int64_t ox = idx % d.ow, oy = idx / d.ow % d.oh, o = idx / (d.ow * d.oh) % d.oc,
                       n = idx / (d.ow * d.oh * d.oc);
    const std::int64_t g = o / ocg;
    for (std::int64_t c = 0; c < icg; ++c)
      for (std::int64_t ky = 0; ky < d.kh; ++ky) {
        const std::int64_t iy = oy * d.sh - d.ph + ky * (d.dh + 1);
        if (iy < 0 || iy >= d.ih) continue;
        for (std::int64_t kx = 0; kx < d.kw; ++kx) {
          const std::int64_t ix = ox * d.sw - d.pw + kx * (d.dw + 1);
          if (ix < 0 || ix >= d.iw) continue;
          add(src(n, g * icg + c, iy, ix) * wei(o, c, ky, kx));
        }
      }
  } else if (p == pass::bwd_data) {
    const std::int64_t ix = idx % d.iw, iy = idx / d.iw % d.ih, ci = idx / (d.iw * d.ih) % d.ic,
                       n = idx / (d.iw * d.ih * d.ic);
    const std::int64_t g = ci / icg, c = ci % icg;
    for (std::int64_t o = g * ocg; o < (g + 1) * ocg; ++o)
      for (std::int64_t ky = 0; ky < d.kh; ++ky) {
        const std::int64_t ty = iy + d.ph - ky * (d.dh + 1);
        if (ty < 0 || ty % d.sh != 0 || ty / d.sh >= d.oh) continue;
        for (std::int64_t kx = 0; kx < d.kw; ++kx) {
          const std::int64_t tx = ix + d.pw - kx * (d.dw + 1);
          if (tx < 0 || tx % d.sw != 0 || tx / d.sw >= d.ow) continue;
          add(dst(n, o, ty / d.sh, tx / d.sw) * wei(o, c, ky, kx));
        }
      }
  } else {
    const std::int64_t kx = idx % d.kw, ky = idx / d.kw % d.kh, c = idx / (d.kw * d.kh) % icg,
                       o = idx / (d.kw * d.kh * icg);
    const std::int64_t g = o / ocg;
    for (std::int64_t n = 0; n < d.mb; ++n)
      for (std::int64_t oy = 0; oy < d.oh; ++oy) {
        const std::int64_t iy = oy * d.sh - d.ph + ky * (d.dh + 1);
        if (iy < 0 || iy >= d.ih) continue;
        for (std::int64_t ox = 0; ox < d.ow; ++ox) {
          const std::int64_t ix = ox * d.sw - d.pw + kx * (d.dw + 1);
          if (ix < 0 || ix >= d.iw) continue;
          add(dst(n, o, oy, ox) * src(n, g * icg + c, iy, ix));
        }
      }
  }
  return r;
}

}  // namespace

verification check(const desc& d, pass p, bool exact, const tensors& in,
                   const std::vector<double>& got, std::uint64_t seed) {
  const bool fwd = p == pass::fwd_training || p == pass::fwd_inference;
  const std::int64_t outputs = fwd                   ? dst_elems(d)
                               : p == pass::bwd_data ? src_elems(d)
                                                     : wei_elems(d);
  MLHPC_ASSERT(static_cast<std::int64_t>(got.size()) == outputs);
  const double terms = fwd                   ? static_cast<double>(d.ic / d.g * d.kh * d.kw)
                       : p == pass::bwd_data ? static_cast<double>(d.oc / d.g * d.kh * d.kw)
                                             : static_cast<double>(d.mb * d.oh * d.ow);
  const double budget_macs = static_cast<double>(std::int64_t{1} << 26);
  const bool full = static_cast<double>(outputs) * terms <= budget_macs;
  std::vector<std::int64_t> points;
  if (full) {
    points.resize(static_cast<std::size_t>(outputs));
    for (std::int64_t i = 0; i < outputs; ++i) points[static_cast<std::size_t>(i)] = i;
  } else {
    const auto budget =
        static_cast<std::int64_t>(std::clamp(budget_macs / std::max(1.0, terms), 256.0, 8192.0));
    points = {0, outputs - 1};
    for (std::int64_t t = 0; t < budget; ++t)
      points.push_back(std::min<std::int64_t>(
          outputs - 1,
          static_cast<std::int64_t>(unit_random(seed, 41, static_cast<std::uint64_t>(t)) *
                                    static_cast<double>(outputs))));
  }
  const auto np = static_cast<std::int64_t>(points.size());
  std::vector<double> err(static_cast<std::size_t>(np));
#pragma omp parallel for schedule(dynamic, 16)
  for (std::int64_t k = 0; k < np; ++k) {
    const std::int64_t idx = points[static_cast<std::size_t>(k)];
    const point_ref r = ref_point(d, p, in, idx);
    const double diff = std::fabs(got[static_cast<std::size_t>(idx)] - r.value);
    err[static_cast<std::size_t>(k)] = exact ? diff : (r.magnitude > 0 ? diff / r.magnitude : diff);
  }
  std::int64_t worst = 0;
  for (std::int64_t k = 1; k < np; ++k)
    if (err[static_cast<std::size_t>(k)] > err[static_cast<std::size_t>(worst)]) worst = k;
  verification v;
  v.metric = exact ? "max_absolute_error" : "max_normalized_error";
  v.tolerance = exact ? 0.0 : std::ldexp(1.0, -24) * std::max(32.0, 4.0 * std::sqrt(terms));
  v.error = err[static_cast<std::size_t>(worst)];
  v.status = *v.error <= *v.tolerance ? verification::state::passed : verification::state::failed;
  v.detail = fmt::format(
      "{} of {} output points against a double-precision direct convolution{}; "
      "worst at flat index {} (plain layout)",
      np, outputs, full ? "" : " (seeded sample plus first and last)",
      points[static_cast<std::size_t>(worst)]);
  if (!exact) v.detail += "; error normalised by the sum of |terms| of the point";
  return v;
}

namespace {

class conv_workload final : public workload {
 public:
  conv_workload(std::unique_ptr<backend> b, std::string why)
      : m_backend(std::move(b)), m_why(std::move(why)) {}
  std::string name() const override { return "conv"; }
  std::string description() const override {
    return fmt::format(
        "2-D convolution, forward and both backward passes, problems as benchdnn lines, "
        "checked against a double reference (backend: {})",
        m_backend ? m_backend->name() : "none built");
  }
  std::vector<variant_info> variants() const override {
    return {{"2d", "NCHW activations, OIHW weights (grouped: GOIHW); no bias"}};
  }
  std::vector<param_spec> parameters(const std::string&) const override {
    param_spec problem{"problem", param_type::text, "mb32ic64ih56oc64oh56kh3ph1",
                       "benchdnn-style line: g mb ic ih iw oc oh ow kh kw sh sw ph pw dh dw "
                       "n\"name\" (defaults elided)"};
    problem.normalize = [](const std::string& raw) { return to_string(parse(raw)); };
    param_spec count{"count", param_type::integer, "1",
                     "occurrences of this layer in its network (batch files set it); weights the "
                     "network summary, not the measurement"};
    count.measured = false;
    count.max_value = 1 << 20;
    return {problem,
            {"pass",
             param_type::choice,
             "fwd_training,bwd_data,bwd_weights",
             "the training step's passes (default), or one of them; fwd_inference too",
             {"fwd_training", "fwd_inference", "bwd_data", "bwd_weights"}},
            {"dtype",
             param_type::choice,
             "f32",
             "f32; bf16 (f32 outputs); int8 (u8 x s8 -> s32, fwd_inference only)",
             {"f32", "bf16", "int8"}},
            count,
            {"layout",
             param_type::choice,
             "nchw",
             "the framework's plain activation layout, reordered to and from the primitive's "
             "own (timed apart)",
             {"nchw", "nhwc"}}};
  }
  support supported(const std::string&, const problem_params& p) const override {
    if (!m_backend) return support::no(m_why);
    const pass ps = pass_of(p.get("pass"));
    const dtype t = parse_dtype(p.get("dtype"), "conv's dtype");
    if (t == dtype::int8 && ps != pass::fwd_inference)
      return support::no(
          "int8 runs forward inference only (--set pass=fwd_inference); training passes are "
          "f32 or bf16");
    return m_backend->supported(t, ps);
  }
  std::uint64_t footprint_bytes(const std::string&, const problem_params& p) const override {
    const desc d = parse(p.get("problem"));
    // Plain tensors, the primitive's copies, and the double copies verification reads.
    // Each count is below 2^31 (validate), so the sum cannot wrap.
    const double elems = static_cast<double>(src_elems(d) + wei_elems(d) + dst_elems(d));
    return static_cast<std::uint64_t>(elems * (4 + 4 + 8));
  }
  std::unique_ptr<problem> create(const std::string&, const problem_params& p,
                                  const problem_env& env) const override {
    MLHPC_ASSERT(m_backend != nullptr);
    return m_backend->create(parse(p.get("problem")), pass_of(p.get("pass")),
                             parse_dtype(p.get("dtype"), "conv's dtype"), p.get("layout"), env);
  }
  std::optional<ceiling_ref> ceiling_of(const std::string&,
                                        const problem_params& p) const override {
    return ceiling_ref{"flops:" + p.get("dtype"), "flops_per_s"};
  }
  nlohmann::json libraries() const override {
    return m_backend ? m_backend->libraries() : nlohmann::json::object();
  }
  // ResNet-50 v1.5's list comes from the network description the resnet50 workload trains.
  std::map<std::string, std::string> builtin_shape_lists() const override {
    return {{"resnet50_v1_5", resnet50::conv_shape_list(resnet50::build({}))}};
  }
  std::map<std::string, std::string> networks() const override {
    return {{"resnet50", "resnet50_v1_5"},
            {"resnet50_v1_5", "resnet50_v1_5"},
            {"resnet50_v1", "resnet50_v1"}};
  }

 private:
  std::unique_ptr<backend> m_backend;
  std::string m_why;
};

}  // namespace

std::unique_ptr<workload> make_workload(std::unique_ptr<backend> b, std::string why_missing) {
  return std::make_unique<conv_workload>(std::move(b), std::move(why_missing));
}

}  // namespace mlhpc::conv
