// oneDNN backend of conv: the primitive is created with memory format `any`, as a framework does
// for speed; the plain NCHW/NHWC tensors a framework holds are reordered to and from the
// primitive's layouts at the edges, and those reorders are timed apart and reported. run() is
// the primitive alone: one execute() and one stream wait.
#include "workloads/conv/conv-onednn.hpp"

#include <oneapi/dnnl/dnnl.hpp>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <unordered_map>

#include "bench/error.hpp"
#include "workloads/onednn/onednn.hpp"

namespace mlhpc::conv {

namespace {

using onednn::layout_of;

using dnnl::memory;
using dt = memory::data_type;
using tag = memory::format_tag;

const char* dt_name(dt t) {
  switch (t) {
    case dt::f32:
      return "f32";
    case dt::bf16:
      return "bf16";
    case dt::u8:
      return "u8";
    case dt::s8:
      return "s8";
    case dt::s32:
      return "s32";
    default:
      return "other";
  }
}

std::size_t dt_size(dt t) {
  return t == dt::f32 || t == dt::s32 ? 4 : t == dt::bf16 ? 2 : 1;
}

// A tensor: the framework's plain copy, the primitive's copy (the same memory when the layouts
// agree) and the reorder between them.
struct tensor {
  std::string role;  // src, weights, dst, diff_src, ...
  bool input = true;
  memory user, prim;
  std::optional<dnnl::reorder> to_prim, to_user;
  double reorder_s = 0;  // median seconds of the edge reorder
};

class onednn_conv final : public problem {
 public:
  onednn_conv(desc d, pass p, dtype t, std::string layout, const problem_env& env)
      : m_d(std::move(d)), m_pass(p), m_type(t), m_layout(std::move(layout)), m_seed(env.seed) {}

  void setup() override {
    const bool fwd = m_pass == pass::fwd_training || m_pass == pass::fwd_inference;
    const dt in = m_type == dtype::f32 ? dt::f32 : m_type == dtype::bf16 ? dt::bf16 : dt::u8;
    const dt wei_t = m_type == dtype::int8 ? dt::s8 : in;
    const dt out = m_type == dtype::int8 ? dt::s32 : dt::f32;
    const memory::dims src_dims = {m_d.mb, m_d.ic, m_d.ih, m_d.iw};
    const memory::dims dst_dims = {m_d.mb, m_d.oc, m_d.oh, m_d.ow};
    const memory::dims wei_dims =
        m_d.g > 1 ? memory::dims{m_d.g, m_d.oc / m_d.g, m_d.ic / m_d.g, m_d.kh, m_d.kw}
                  : memory::dims{m_d.oc, m_d.ic, m_d.kh, m_d.kw};
    const tag act = m_layout == "nhwc" ? tag::nhwc : tag::nchw;
    const tag wtag = m_d.g > 1 ? tag::goihw : tag::oihw;
    const memory::dims strides = {m_d.sh, m_d.sw}, dilates = {m_d.dh, m_d.dw},
                       pad_l = {m_d.ph, m_d.pw}, pad_r = {m_d.ph_end(), m_d.pw_end()};
    auto any = [](const memory::dims& dims, dt t) { return memory::desc(dims, t, tag::any); };
    const auto algo = dnnl::algorithm::convolution_direct;

    // The forward descriptor is the backward passes' hint (all in the input type).
    const auto prop = m_pass == pass::fwd_inference ? dnnl::prop_kind::forward_inference
                                                    : dnnl::prop_kind::forward_training;
    const dnnl::convolution_forward::desc fd(prop, algo, any(src_dims, in), any(wei_dims, wei_t),
                                             any(dst_dims, fwd ? out : in), strides, dilates, pad_l,
                                             pad_r);
    const dnnl::convolution_forward::primitive_desc fpd(fd, m_engine);
    memory::desc src_md, wei_md, dst_md;
    if (fwd) {
      m_impl = fpd.impl_info_str();
      m_prim = dnnl::convolution_forward(fpd);
      src_md = fpd.src_desc(), wei_md = fpd.weights_desc(), dst_md = fpd.dst_desc();
      add("src", true, memory::desc(src_dims, in, act), src_md, DNNL_ARG_SRC, stream_src);
      add("weights", true, memory::desc(wei_dims, wei_t, wtag), wei_md, DNNL_ARG_WEIGHTS,
          stream_wei);
      add("dst", false, memory::desc(dst_dims, out, act), dst_md, DNNL_ARG_DST, 0);
    } else if (m_pass == pass::bwd_data) {
      const dnnl::convolution_backward_data::desc bd(algo, any(src_dims, out), any(wei_dims, in),
                                                     any(dst_dims, in), strides, dilates, pad_l,
                                                     pad_r);
      const dnnl::convolution_backward_data::primitive_desc pd(bd, m_engine, fpd);
      m_impl = pd.impl_info_str();
      m_prim = dnnl::convolution_backward_data(pd);
      add("diff_dst", true, memory::desc(dst_dims, in, act), pd.diff_dst_desc(), DNNL_ARG_DIFF_DST,
          stream_dst);
      add("weights", true, memory::desc(wei_dims, in, wtag), pd.weights_desc(), DNNL_ARG_WEIGHTS,
          stream_wei);
      add("diff_src", false, memory::desc(src_dims, out, act), pd.diff_src_desc(),
          DNNL_ARG_DIFF_SRC, 0);
    } else {
      const dnnl::convolution_backward_weights::desc bd(algo, any(src_dims, in), any(wei_dims, out),
                                                        any(dst_dims, in), strides, dilates, pad_l,
                                                        pad_r);
      const dnnl::convolution_backward_weights::primitive_desc pd(bd, m_engine, fpd);
      m_impl = pd.impl_info_str();
      m_prim = dnnl::convolution_backward_weights(pd);
      add("src", true, memory::desc(src_dims, in, act), pd.src_desc(), DNNL_ARG_SRC, stream_src);
      add("diff_dst", true, memory::desc(dst_dims, in, act), pd.diff_dst_desc(), DNNL_ARG_DIFF_DST,
          stream_dst);
      add("diff_weights", false, memory::desc(wei_dims, out, wtag), pd.diff_weights_desc(),
          DNNL_ARG_DIFF_WEIGHTS, 0);
    }
    // The edge reorders, timed apart: inputs into the primitive's layout (done once here, as a
    // framework does for weights, and per step for activations), the output back.
    for (auto& t : m_tensors)
      if (t.input && t.to_prim) t.reorder_s = time_reorder(*t.to_prim, t.user, t.prim);
    run();
    for (auto& t : m_tensors)
      if (!t.input && t.to_user) t.reorder_s = time_reorder(*t.to_user, t.prim, t.user);
  }

  work_model work() const override { return work_of(m_d, m_pass, m_type); }

  void run() override {
    m_prim.execute(m_stream, m_args);
    m_stream.wait();
  }

  verification verify() override {
    const auto plain = plain_tensors();
    tensors t{plain.src.data(), plain.wei.data(), plain.dst.data()};
    return check(m_d, m_pass, m_type == dtype::int8, t, plain.output, m_seed);
  }

  void teardown() override {
    m_args.clear();
    m_tensors.clear();
  }

  nlohmann::json details() const override {
    nlohmann::json reorders = nlohmann::json::object();
    double total = 0;
    for (const auto& t : m_tensors) {
      nlohmann::json j = {{"framework_layout", layout_of(t.user.get_desc())},
                          {"primitive_layout", layout_of(t.prim.get_desc())},
                          {"data_type", dt_name(t.prim.get_desc().data_type())}};
      if (t.to_prim || t.to_user) {
        j["reorder_median_s"] = t.reorder_s;
        j["bytes"] = t.prim.get_desc().get_size();
        total += t.reorder_s;
      } else {
        j["reorder"] = "none: the primitive takes the framework's layout";
      }
      reorders[t.role] = j;
    }
    return {{"backend", "onednn"},
            {"primitive", m_pass == pass::bwd_data      ? "convolution_backward_data"
                          : m_pass == pass::bwd_weights ? "convolution_backward_weights"
                                                        : "convolution_forward"},
            {"pass", to_string(m_pass)},
            {"problem", to_string(m_d)},
            {"implementation", m_impl},
            {"effective_isa", onednn::effective_isa()},
            {"algorithm", "convolution_direct; memory formats 'any' (the primitive's choice)"},
            {"padding_end", {m_d.ph_end(), m_d.pw_end()}},
            {"tensors", reorders},
            {"edge_reorders_s", total},
            {"edge_reorders_note",
             "seconds to move the framework's plain tensors into the primitive's layouts and the "
             "output back, median of 5; not in the timed samples"},
            {"inputs", m_type == dtype::int8
                           ? "u8 in [0,63] and s8 in [-32,31], splitmix64(seed, stream)"
                           : fmt::format("uniform [-1,1){} splitmix64(seed, stream)",
                                         m_type == dtype::bf16 ? " rounded to bf16" : "")}};
  }

  // The pass's tensors in plain layout as double, through oneDNN reorders to nchw / oihw.
  plain_run plain_tensors() {
    plain_run out;
    for (auto& t : m_tensors) {
      if (!t.input && t.to_user) {
        t.to_user->execute(m_stream, t.prim, t.user);
        m_stream.wait();
      }
      auto v = to_double(t.user);
      if (t.role == "src" || t.role == "diff_src") out.src = v;
      if (t.role == "weights" || t.role == "diff_weights") out.wei = v;
      if (t.role == "dst" || t.role == "diff_dst") out.dst = v;
      if (!t.input) out.output = std::move(v);
    }
    return out;
  }

 private:
  void add(const std::string& role, bool input, const memory::desc& user_md,
           const memory::desc& prim_md, int arg, std::uint64_t stream) {
    tensor t;
    t.role = role;
    t.input = input;
    t.user = memory(user_md, m_engine);
    if (input)
      fill(t.user, stream);
    else
      std::memset(t.user.get_data_handle(), 0, user_md.get_size());
    if (prim_md == user_md) {
      t.prim = t.user;
    } else {
      t.prim = memory(prim_md, m_engine);
      if (input) {
        t.to_prim = dnnl::reorder(t.user, t.prim);
        t.to_prim->execute(m_stream, t.user, t.prim);
        m_stream.wait();
      } else {
        t.to_user = dnnl::reorder(t.prim, t.user);
      }
    }
    m_args[arg] = t.prim;
    m_tensors.push_back(std::move(t));
  }

  void fill(memory& m, std::uint64_t stream) {
    const auto md = m.get_desc();
    const auto n = static_cast<std::int64_t>(md.get_size() / dt_size(md.data_type()));
    void* p = m.get_data_handle();
    const auto type = md.data_type();
    const std::uint64_t seed = m_seed;
#pragma omp parallel for schedule(static)
    for (std::int64_t i = 0; i < n; ++i) {
      const double r = unit_random(seed, stream, static_cast<std::uint64_t>(i));
      switch (type) {
        case dt::f32:
          static_cast<float*>(p)[i] = static_cast<float>(-1.0 + 2.0 * r);
          break;
        case dt::bf16:
          static_cast<std::uint16_t*>(p)[i] = to_bf16(static_cast<float>(-1.0 + 2.0 * r));
          break;
        case dt::u8:
          static_cast<std::uint8_t*>(p)[i] = static_cast<std::uint8_t>(std::min(63.0, r * 64));
          break;
        case dt::s8:
          static_cast<std::int8_t*>(p)[i] = static_cast<std::int8_t>(-32 + std::min(63.0, r * 64));
          break;
        default:
          break;
      }
    }
  }

  // The plain tensor (nchw or oihw order, whatever the framework layout) as double.
  std::vector<double> to_double(const memory& m) {
    const auto md = m.get_desc();
    const auto dims = md.dims();
    const bool s32 = md.data_type() == dt::s32;
    const tag plain = dims.size() == 5 ? tag::goihw : tag::abcd;
    const memory::desc pmd(dims, s32 ? dt::s32 : dt::f32, plain);
    memory pm(pmd, m_engine);
    dnnl::reorder(m, pm).execute(m_stream, const_cast<memory&>(m), pm);
    m_stream.wait();
    const auto n = pmd.get_size() / 4;
    std::vector<double> v(n);
    if (s32) {
      const auto* x = static_cast<const std::int32_t*>(pm.get_data_handle());
      for (std::size_t i = 0; i < n; ++i) v[i] = x[i];
    } else {
      const auto* x = static_cast<const float*>(pm.get_data_handle());
      for (std::size_t i = 0; i < n; ++i) v[i] = x[i];
    }
    return v;
  }

  double time_reorder(dnnl::reorder& r, memory& from, memory& to) {
    std::vector<double> t;
    r.execute(m_stream, from, to);
    m_stream.wait();
    for (int i = 0; i < 5; ++i) {
      const auto t0 = std::chrono::steady_clock::now();
      r.execute(m_stream, from, to);
      m_stream.wait();
      t.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    }
    std::sort(t.begin(), t.end());
    return t[t.size() / 2];
  }

  desc m_d;
  pass m_pass;
  dtype m_type;
  std::string m_layout;
  std::uint64_t m_seed;
  dnnl::engine m_engine{dnnl::engine::kind::cpu, 0};
  dnnl::stream m_stream{m_engine};
  dnnl::primitive m_prim;
  std::string m_impl;
  std::vector<tensor> m_tensors;
  std::unordered_map<int, memory> m_args;
};

class onednn_backend final : public backend {
 public:
  std::string name() const override { return "onednn"; }
  support supported(dtype t, pass) const override { return onednn::native_type(t, "convolution"); }
  std::unique_ptr<problem> create(const desc& d, pass p, dtype t, const std::string& layout,
                                  const problem_env& env) const override {
    return std::make_unique<onednn_conv>(d, p, t, layout, env);
  }
  nlohmann::json libraries() const override { return onednn::libraries(); }
};

}  // namespace

std::unique_ptr<backend> make_onednn_backend() {
  return std::make_unique<onednn_backend>();
}

plain_run run_once(const desc& d, pass p, dtype t, const std::string& layout, std::uint64_t seed) {
  onednn_conv c(d, p, t, layout, problem_env{1, seed, nullptr, {}});
  c.setup();
  c.run();
  plain_run r = c.plain_tensors();
  r.verified = c.verify();
  return r;
}

}  // namespace mlhpc::conv
