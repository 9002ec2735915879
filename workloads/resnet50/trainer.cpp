#include "workloads/resnet50/trainer.hpp"

#include <fmt/format.h>
#include <omp.h>
#include <sys/resource.h>

#include <oneapi/dnnl/dnnl.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <map>
#include <numbers>
#include <set>
#include <span>
#include <type_traits>
#include <unordered_map>

#include "bench/error.hpp"
#include "bench/fill.hpp"
#include "workloads/onednn/onednn.hpp"

namespace mlhpc::resnet50 {

namespace {

using dnnl::memory;
using dt = memory::data_type;
using tag = memory::format_tag;
using dims = memory::dims;

constexpr float bn_epsilon = 1e-5f;  // torch.nn.BatchNorm2d's default
constexpr std::size_t arena_align = 64;
constexpr std::size_t unplaced = static_cast<std::size_t>(-1);

// Fill streams of the synthetic batch and the initial weights (bench/fill.hpp).
constexpr std::uint64_t stream_images = 41, stream_labels = 42, stream_weights = 43;

std::size_t round_up(std::size_t n, std::size_t a) {
  return (n + a - 1) / a * a;
}

memory::desc with_type(const memory::desc& md, dt t) {
  dnnl_memory_desc_t c = md.data;
  c.data_type = static_cast<dnnl_data_type_t>(t);
  return memory::desc(c);
}

std::size_t type_size(dt t) {
  return t == dt::bf16 ? 2 : 4;
}

using onednn::layout_of;

// bf16 <-> f32 in the element-wise passes (round to nearest even, as oneDNN converts).
struct bf16_t {
  std::uint16_t bits;
};
inline float load(float x) {
  return x;
}
inline float load(bf16_t x) {
  return from_bf16(x.bits);
}
inline void store(float& d, float v) {
  d = v;
}
inline void store(bf16_t& d, float v) {
  d.bits = to_bf16(v);
}

struct tensor_info {
  std::string name;
  memory::desc md;
  std::size_t offset = 0;
  memory mem;
};

struct op {
  std::string kind, name;
  std::function<dnnl::primitive()> make;  // a oneDNN primitive, or
  std::function<void()> kernel;           // a pass of our own
  std::vector<std::pair<int, int>> args;  // (DNNL_ARG_*, tensor)
  std::string impl;
  int completes = -1;  // the parameter whose gradient this op finishes
  dnnl::primitive prim;
  std::unordered_map<int, memory> margs;
};

struct param {
  std::string name;
  memory::desc plain;  // f32 OIHW / {2, C} / {C}
  int master = -1, grad = -1, mom = -1;
  std::vector<std::pair<int, int>> copies;  // (tensor the primitives read, index table)
};

struct conv_state {
  const conv_layer* layer = nullptr;
  int src = -1, dst = -1, weights = -1, param = -1;
  dnnl::convolution_forward::primitive_desc fpd;
};

struct bn_state {
  int src = -1, dst = -1, mean = -1, var = -1, ws = -1, param = -1;
  bool relu = false;
  dnnl::batch_normalization_forward::primitive_desc fpd;
};

struct block_state {
  conv_state c2a, c2b, c2c, c1;
  bn_state b2a, b2b, b2c, b1;
  int x = -1, y = -1;
  bool has_proj = false;
};

}  // namespace

const std::vector<std::string>& op_kinds() {
  static const std::vector<std::string> k = {"conv_fwd",      "conv_bwd_data", "conv_bwd_weights",
                                             "batch_norm",    "eltwise",       "pooling",
                                             "inner_product", "sum",           "loss",
                                             "update",        "reorder"};
  return k;
}

class trainer::impl {
 public:
  impl(const network& n, const train_options& o)
      : net(n), opt(o), a(o.type == dtype::bf16 ? dt::bf16 : dt::f32) {
    if (o.type != dtype::f32 && o.type != dtype::bf16)
      throw usage_error(fmt::format("dtype={}: expected f32 or bf16", to_string(o.type)));
    if (opt.lr < 0) opt.lr = 0.1 * static_cast<double>(n.cfg.batch) / 256.0;
    attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
    for (const auto& l : net.convs)
      slot_bytes =
          std::max(slot_bytes,
                   static_cast<std::size_t>(l.d.mb * round_up(l.d.oc, 16) * l.d.oh * l.d.ow) * 4);
    plan();
  }
  ~impl() { std::free(base); }

  network net;
  train_options opt;
  dt a;
  dnnl::engine eng{dnnl::engine::kind::cpu, 0};
  mutable dnnl::stream strm{eng};
  dnnl::primitive_attr attr;
  std::vector<tensor_info> t;
  std::size_t arena = 0, scratch_bytes = 0, slot_bytes = 0, table_bytes = 0;
  int scratch = -1;
  std::vector<op> ops, update_ops;
  std::vector<param> params;
  std::vector<int> slots;
  std::vector<bool> slot_busy;
  char* base = nullptr;
  int images = -1, stem_out = -1, logits = -1, logp = -1, dlogits = -1;
  std::vector<int> label_v;
  float loss = std::nanf("");
  gradient_ready ready;
  std::function<void()> finish;
  float grad_scale = 1.f;       // multiplied into the gradients by the update (1 / ranks)
  std::vector<int> completion;  // parameters in the order their gradients complete
  std::size_t grad_begin = 0, grad_end = 0;  // the gradient region in the arena
  std::map<std::string, std::set<std::string>> impls;

  // --- planning: tensors get arena offsets, ops get primitive descriptors ---

  int add(const std::string& name, const memory::desc& md) {
    t.push_back({name, md, arena, {}});
    arena += round_up(md.get_size(), arena_align);
    return static_cast<int>(t.size() - 1);
  }
  // A gradient of a parameter: placed after planning, with every other one, in one region in
  // the order the backward pass completes them (place_gradients), so that consecutive
  // gradients are one range of memory, what a bucket of the data-parallel allreduce sends.
  int add_gradient(const std::string& name, const memory::desc& md) {
    t.push_back({name, md, unplaced, {}});
    return static_cast<int>(t.size() - 1);
  }
  void place_gradients() {
    completion.clear();
    for (const auto& o : ops) {
      if (o.completes < 0) continue;
      completion.push_back(o.completes);
      if (o.completes == fc_param) completion.push_back(bias_param);
    }
    MLHPC_ASSERT(completion.size() == params.size());
    arena = round_up(arena, 4096);
    grad_begin = arena;
    for (const int p : completion) {
      auto& ti = t[static_cast<std::size_t>(params[static_cast<std::size_t>(p)].grad)];
      MLHPC_ASSERT(ti.offset == unplaced && ti.md.data_type() == dt::f32);
      ti.offset = arena;
      arena += round_up(ti.md.get_size(), arena_align);
    }
    grad_end = arena;
  }
  int alias(const std::string& name, const memory::desc& md, int of) {
    MLHPC_ASSERT(md.get_size() <= t[static_cast<std::size_t>(of)].md.get_size());
    t.push_back({name, md, t[static_cast<std::size_t>(of)].offset, {}});
    return static_cast<int>(t.size() - 1);
  }
  // A slot is scratch space for one activation-sized tensor: gradients of activations flow
  // through a few of them instead of one buffer per layer.
  int acquire(const std::string& name, const memory::desc& md) {
    MLHPC_ASSERT(md.get_size() <= slot_bytes);
    std::size_t s = 0;
    while (s < slot_busy.size() && slot_busy[s]) ++s;
    if (s == slot_busy.size()) {
      slots.push_back(add(fmt::format("slot{}", s),
                          memory::desc({static_cast<memory::dim>(slot_bytes)}, dt::u8, tag::x)));
      slot_busy.push_back(false);
    }
    slot_busy[s] = true;
    return alias(name, md, slots[s]);
  }
  void release(int tensor) {
    for (std::size_t s = 0; s < slots.size(); ++s)
      if (t[static_cast<std::size_t>(slots[s])].offset ==
          t[static_cast<std::size_t>(tensor)].offset)
        slot_busy[s] = false;
  }
  const memory::desc& md(int id) const { return t[static_cast<std::size_t>(id)].md; }

  template <class PD>
  void add_op(const std::string& kind, const std::string& name, const PD& pd,
              std::vector<std::pair<int, int>> args, int completes = -1) {
    scratch_bytes = std::max(scratch_bytes, pd.scratchpad_desc().get_size());
    op o;
    o.kind = kind;
    o.name = name;
    o.impl = pd.impl_info_str();
    o.args = std::move(args);
    o.completes = completes;
    o.make = [pd] { return dnnl::primitive(pd); };
    impls[kind].insert(o.impl);
    ops.push_back(std::move(o));
  }
  void add_kernel(const std::string& kind, const std::string& name, std::function<void()> k) {
    op o;
    o.kind = kind;
    o.name = name;
    o.impl = "mlhpc:omp";
    o.kernel = std::move(k);
    impls[kind].insert(o.impl);
    ops.push_back(std::move(o));
  }

  template <class T = char>
  T* ptr(int id) const {
    return reinterpret_cast<T*>(base + t[static_cast<std::size_t>(id)].offset);
  }
  std::size_t elems(int id) const {
    const auto& m = md(id);
    return m.get_size() / type_size(m.data_type());
  }

  int add_param(const std::string& name, const memory::desc& plain) {
    params.push_back({name, plain, -1, -1, -1, {}});
    return static_cast<int>(params.size() - 1);
  }
  // The parameter's master, gradient and momentum in the gradient's layout; `compute` (the
  // tensor the forward primitive reads) becomes a copy unless it is the master itself.
  void settle_param(int p, int compute, const memory::desc& grad_md) {
    auto& pr = params[static_cast<std::size_t>(p)];
    pr.grad = add_gradient(pr.name + ".grad", grad_md);
    pr.mom = add(pr.name + ".momentum", grad_md);
    if (md(compute) == grad_md) {
      pr.master = compute;
    } else {
      pr.master = add(pr.name, grad_md);
      add_copy(p, compute);
    }
  }
  void add_copy(int p, int target) {
    auto& pr = params[static_cast<std::size_t>(p)];
    const int table =
        add(t[static_cast<std::size_t>(target)].name + ".index", with_type(md(pr.master), dt::s32));
    table_bytes += md(table).get_size();
    pr.copies.emplace_back(target, table);
  }

  conv_state conv_forward(const conv_layer& l, int src) {
    const auto& d = l.d;
    conv_state cs;
    cs.layer = &l;
    const dims wd = {d.oc, d.ic, d.kh, d.kw}, dd = {d.mb, d.oc, d.oh, d.ow},
               sd = {d.mb, d.ic, d.ih, d.iw};
    const dims st = {d.sh, d.sw}, pl = {d.ph, d.pw}, pr = {d.ph_end(), d.pw_end()};
    const memory::desc src_md = src < 0 ? memory::desc(sd, a, tag::any) : md(src);
    const dnnl::convolution_forward::desc fd(
        dnnl::prop_kind::forward_training, dnnl::algorithm::convolution_direct, src_md,
        memory::desc(wd, a, tag::any), memory::desc(dd, a, tag::any), st, pl, pr);
    cs.fpd = dnnl::convolution_forward::primitive_desc(fd, attr, eng);
    cs.src = src < 0 ? add("images", cs.fpd.src_desc()) : src;
    cs.dst = add(l.name + ".out", cs.fpd.dst_desc());
    cs.param = add_param(l.name + ".weights", memory::desc(wd, dt::f32, tag::oihw));
    cs.weights = add(l.name + ".weights.fwd", cs.fpd.weights_desc());
    add_op("conv_fwd", l.name, cs.fpd,
           {{DNNL_ARG_SRC, cs.src}, {DNNL_ARG_WEIGHTS, cs.weights}, {DNNL_ARG_DST, cs.dst}});
    return cs;
  }

  // Batch norm of `src` into `dst` (a new tensor, or `into` when >= 0), fused with ReLU.
  bn_state bn_forward(const std::string& name, int src, bool relu, int into = -1) {
    bn_state b;
    b.src = src;
    b.relu = relu;
    auto flags = dnnl::normalization_flags::use_scale_shift;
    if (relu) flags |= dnnl::normalization_flags::fuse_norm_relu;
    const dnnl::batch_normalization_forward::desc fd(dnnl::prop_kind::forward_training, md(src),
                                                     bn_epsilon, flags);
    b.fpd = dnnl::batch_normalization_forward::primitive_desc(fd, attr, eng);
    b.dst = into >= 0 ? into : add(name + ".out", b.fpd.dst_desc());
    b.mean = add(name + ".mean", b.fpd.mean_desc());
    b.var = add(name + ".variance", b.fpd.variance_desc());
    const auto c = md(src).dims()[1];
    b.param = add_param(name + ".scale_shift", memory::desc({2, c}, dt::f32, tag::nc));
    const int ss = add(name + ".scale_shift", b.fpd.weights_desc());
    params[static_cast<std::size_t>(b.param)].master = ss;
    std::vector<std::pair<int, int>> args = {{DNNL_ARG_SRC, src},
                                             {DNNL_ARG_DST, b.dst},
                                             {DNNL_ARG_MEAN, b.mean},
                                             {DNNL_ARG_VARIANCE, b.var},
                                             {DNNL_ARG_SCALE_SHIFT, ss}};
    if (relu) {
      b.ws = add(name + ".relu_mask", b.fpd.workspace_desc());
      args.emplace_back(DNNL_ARG_WORKSPACE, b.ws);
    }
    add_op("batch_norm", name + ".fwd", b.fpd, std::move(args));
    return b;
  }

  // Backward of batch norm: diff_dst -> a new slot holding diff_src; the gradient of scale and
  // shift completes here.
  int bn_backward(const std::string& name, const bn_state& b, int diff_dst) {
    auto flags = dnnl::normalization_flags::use_scale_shift;
    if (b.relu) flags |= dnnl::normalization_flags::fuse_norm_relu;
    const dnnl::batch_normalization_backward::desc bd(dnnl::prop_kind::backward, md(b.src),
                                                      md(b.src), bn_epsilon, flags);
    const dnnl::batch_normalization_backward::primitive_desc pd(bd, attr, eng, b.fpd);
    auto& pr = params[static_cast<std::size_t>(b.param)];
    pr.grad = add_gradient(name + ".scale_shift.grad", pd.diff_weights_desc());
    pr.mom = add(name + ".scale_shift.momentum", pd.diff_weights_desc());
    const int diff_src = acquire(name + ".diff_src", md(b.src));
    std::vector<std::pair<int, int>> args = {{DNNL_ARG_SRC, b.src},
                                             {DNNL_ARG_MEAN, b.mean},
                                             {DNNL_ARG_VARIANCE, b.var},
                                             {DNNL_ARG_DIFF_DST, diff_dst},
                                             {DNNL_ARG_SCALE_SHIFT, pr.master},
                                             {DNNL_ARG_DIFF_SRC, diff_src},
                                             {DNNL_ARG_DIFF_SCALE_SHIFT, pr.grad}};
    if (b.relu) args.emplace_back(DNNL_ARG_WORKSPACE, b.ws);
    add_op("batch_norm", name + ".bwd", pd, std::move(args), b.param);
    return diff_src;
  }

  // Backward of a convolution: weights' gradient, then (unless `data` is false) the gradient of
  // its input into a new slot.
  int conv_backward(const conv_state& cs, int diff_dst, bool data) {
    const auto& d = cs.layer->d;
    const dims wd = {d.oc, d.ic, d.kh, d.kw};
    const dims st = {d.sh, d.sw}, pl = {d.ph, d.pw}, pr = {d.ph_end(), d.pw_end()};
    const dnnl::convolution_backward_weights::desc wdsc(
        dnnl::algorithm::convolution_direct, md(cs.src), memory::desc(wd, dt::f32, tag::any),
        md(cs.dst), st, pl, pr);
    const dnnl::convolution_backward_weights::primitive_desc wpd(wdsc, attr, eng, cs.fpd);
    settle_param(cs.param, cs.weights, wpd.diff_weights_desc());
    add_op("conv_bwd_weights", cs.layer->name, wpd,
           {{DNNL_ARG_SRC, cs.src},
            {DNNL_ARG_DIFF_DST, diff_dst},
            {DNNL_ARG_DIFF_WEIGHTS, params[static_cast<std::size_t>(cs.param)].grad}},
           cs.param);
    if (!data) return -1;
    const dnnl::convolution_backward_data::desc ddsc(dnnl::algorithm::convolution_direct,
                                                     md(cs.src), memory::desc(wd, a, tag::any),
                                                     md(cs.dst), st, pl, pr);
    const dnnl::convolution_backward_data::primitive_desc dpd(ddsc, attr, eng, cs.fpd);
    int wb = cs.weights;
    if (dpd.weights_desc() != md(cs.weights)) {
      wb = add(cs.layer->name + ".weights.bwd_data", dpd.weights_desc());
      add_copy(cs.param, wb);
    }
    const int diff_src = acquire(cs.layer->name + ".diff_src", md(cs.src));
    add_op("conv_bwd_data", cs.layer->name, dpd,
           {{DNNL_ARG_DIFF_DST, diff_dst}, {DNNL_ARG_WEIGHTS, wb}, {DNNL_ARG_DIFF_SRC, diff_src}});
    return diff_src;
  }

  template <class T>
  void residual_backward_kernel(int out, int a_id, int b_id, int mask) {
    const std::size_t n = elems(out);
    T* o = ptr<T>(out);
    const T* x = ptr<T>(a_id);
    const T* y = ptr<T>(b_id);
    if (mask < 0) {
#pragma omp parallel for schedule(static)
      for (std::size_t i = 0; i < n; ++i) store(o[i], load(x[i]) + load(y[i]));
      return;
    }
    // The mask is an integer test of the ReLU output's bits (a float or a bf16 is > 0 exactly
    // when its bits, read as a signed integer, are > 0; NaN aside) and the sum is kept or zeroed
    // with an AND. GCC keeps `m > 0.f ? x + y : 0.f` a branch (-ftrapping-math: "control flow in
    // loop", -fopt-info-vec), and that scalar loop ran at a fifth of the memory bandwidth
    // (res2b: 61 ms for 411 MB); this one is vectorised. The results are bitwise the same.
    if constexpr (std::is_same_v<T, float>) {
      const auto* mb = reinterpret_cast<const std::int32_t*>(ptr(mask));
#pragma omp parallel for schedule(static)
      for (std::size_t i = 0; i < n; ++i) {
        const float s = x[i] + y[i];
        std::uint32_t bits = 0;
        std::memcpy(&bits, &s, 4);
        bits &= -static_cast<std::uint32_t>(mb[i] > 0);
        std::memcpy(&o[i], &bits, 4);
      }
    } else {
      const auto* mb = reinterpret_cast<const std::int16_t*>(ptr(mask));
#pragma omp parallel for schedule(static)
      for (std::size_t i = 0; i < n; ++i) {
        const std::uint16_t s = to_bf16(load(x[i]) + load(y[i]));
        o[i].bits = s & static_cast<std::uint16_t>(-static_cast<int>(mb[i] > 0));
      }
    }
  }
  // out = (a + b) masked by the ReLU whose output is `mask` (none: < 0). `out` may be `a`.
  void residual_backward(const std::string& name, int out, int a_id, int b_id, int mask) {
    add_kernel("sum", name, [this, out, a_id, b_id, mask] {
      if (a == dt::bf16)
        residual_backward_kernel<bf16_t>(out, a_id, b_id, mask);
      else
        residual_backward_kernel<float>(out, a_id, b_id, mask);
    });
  }

  void plan() {
    // Forward: the stem.
    conv_state c1 = conv_forward(net.convs[0], -1);
    images = c1.src;
    stem_out = c1.dst;
    bn_state b1 = bn_forward("bn_conv1", c1.dst, true);
    const auto& cd = net.convs[0].d;
    const dims pool_dst = {cd.mb, cd.oc, net.pool_h, net.pool_h};
    const dims k3 = {3, 3}, s2 = {2, 2}, p1 = {1, 1};
    const dims p1r = {(net.pool_h - 1) * 2 + 3 - net.stem_h - 1,
                      (net.pool_h - 1) * 2 + 3 - net.stem_h - 1};
    const dnnl::pooling_forward::desc mpd(dnnl::prop_kind::forward_training,
                                          dnnl::algorithm::pooling_max, md(b1.dst),
                                          memory::desc(pool_dst, a, tag::any), s2, k3, p1, p1r);
    const dnnl::pooling_forward::primitive_desc mpool(mpd, attr, eng);
    const int pooled = add("pool1.out", mpool.dst_desc());
    const int pool_ws = add("pool1.workspace", mpool.workspace_desc());
    add_op("pooling", "pool1.fwd", mpool,
           {{DNNL_ARG_SRC, b1.dst}, {DNNL_ARG_DST, pooled}, {DNNL_ARG_WORKSPACE, pool_ws}});

    // Forward: the bottlenecks.
    std::vector<block_state> bs;
    int x = pooled;
    for (const auto& blk : net.blocks) {
      block_state s;
      s.x = x;
      const auto& L = [&](int i) -> const conv_layer& {
        return net.convs[static_cast<std::size_t>(i)];
      };
      const std::string bn = fmt::format("bn{}{}_branch", blk.stage, blk.block);
      s.c2a = conv_forward(L(blk.c2a), x);
      s.b2a = bn_forward(bn + "2a", s.c2a.dst, true);
      s.c2b = conv_forward(L(blk.c2b), s.b2a.dst);
      s.b2b = bn_forward(bn + "2b", s.c2b.dst, true);
      s.c2c = conv_forward(L(blk.c2c), s.b2b.dst);
      // The last batch norm's output is needed only by the sum: it lives in a slot.
      const int t2c = acquire(bn + "2c.out", md(s.c2c.dst));
      s.b2c = bn_forward(bn + "2c", s.c2c.dst, false, t2c);
      int shortcut = x, t1 = -1;
      if (blk.c1 >= 0) {
        s.has_proj = true;
        s.c1 = conv_forward(L(blk.c1), x);
        t1 = acquire(bn + "1.out", md(s.c1.dst));
        s.b1 = bn_forward(bn + "1", s.c1.dst, false, t1);
        shortcut = t1;
      }
      dnnl::post_ops po;
      po.append_eltwise(1.f, dnnl::algorithm::eltwise_relu, 0.f, 0.f);
      dnnl::primitive_attr sum_attr;  // a new one: attributes are shared handles
      sum_attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
      sum_attr.set_post_ops(po);
      const dnnl::binary::desc sd(dnnl::algorithm::binary_add, md(t2c), md(shortcut), md(t2c));
      const dnnl::binary::primitive_desc spd(sd, sum_attr, eng);
      s.y = add(fmt::format("res{}{}.out", blk.stage, blk.block), spd.dst_desc());
      add_op("sum", fmt::format("res{}{}", blk.stage, blk.block), spd,
             {{DNNL_ARG_SRC_0, t2c}, {DNNL_ARG_SRC_1, shortcut}, {DNNL_ARG_DST, s.y}});
      release(t2c);
      if (t1 >= 0) release(t1);
      x = s.y;
      bs.push_back(s);
    }

    // Forward: the head. Global average pool, the fully connected layer, log-softmax.
    const std::int64_t n = net.cfg.batch, c = net.final_c, h = net.final_h, k = net.cfg.classes;
    const dnnl::pooling_forward::desc apd(
        dnnl::prop_kind::forward_training, dnnl::algorithm::pooling_avg_exclude_padding, md(x),
        memory::desc({n, c, 1, 1}, a, tag::any), {h, h}, {h, h}, {0, 0}, {0, 0});
    const dnnl::pooling_forward::primitive_desc apool(apd, attr, eng);
    const int avg4 = add("pool5.out", apool.dst_desc());
    add_op("pooling", "pool5.fwd", apool, {{DNNL_ARG_SRC, x}, {DNNL_ARG_DST, avg4}});
    // The fully connected layer sees the pooled features as a matrix, batch x C: the same
    // bytes (a 1x1 image whose channels are unpadded, C = 32 x width, is N then C in any
    // layout). Given 4-D tensors, oneDNN 2.6 picks its gemm inner product, which allocates
    // packing buffers on every call outside the scratchpad (page faults in each step); given
    // 2-D ones, its brgemm kernels, which take their space from the scratchpad.
    const memory::desc nc({n, c}, a, tag::nc);
    MLHPC_ASSERT(md(avg4).get_size() == nc.get_size() &&
                 md(avg4).data.format_desc.blocking.strides[0] == c);
    const int avg = alias("pool5.out.nc", nc, avg4);
    const dnnl::inner_product_forward::desc ifd(
        dnnl::prop_kind::forward_training, md(avg), memory::desc({k, c}, a, tag::any),
        memory::desc({k}, dt::f32, tag::x), memory::desc({n, k}, dt::f32, tag::nc));
    const dnnl::inner_product_forward::primitive_desc ipd(ifd, attr, eng);
    fc_param = add_param("fc1000.weights", memory::desc({k, c}, dt::f32, tag::nc));
    const int fc_w = add("fc1000.weights.fwd", ipd.weights_desc());
    const int fc_bias_param = add_param("fc1000.bias", memory::desc({k}, dt::f32, tag::x));
    const int fc_b = add("fc1000.bias", ipd.bias_desc());
    params[static_cast<std::size_t>(fc_bias_param)].master = fc_b;
    logits = add("fc1000.out", ipd.dst_desc());
    add_op("inner_product", "fc1000.fwd", ipd,
           {{DNNL_ARG_SRC, avg},
            {DNNL_ARG_WEIGHTS, fc_w},
            {DNNL_ARG_BIAS, fc_b},
            {DNNL_ARG_DST, logits}});
    const dnnl::softmax_v2_forward::desc lsd(
        dnnl::prop_kind::forward_training, dnnl::algorithm::softmax_log, md(logits), md(logits), 1);
    const dnnl::softmax_v2_forward::primitive_desc lspd(lsd, attr, eng);
    logp = add("log_softmax.out", lspd.dst_desc());
    add_op("loss", "log_softmax", lspd, {{DNNL_ARG_SRC, logits}, {DNNL_ARG_DST, logp}});
    dlogits = add("fc1000.diff_dst", memory::desc({n, k}, a, tag::nc));
    add_kernel("loss", "cross_entropy", [this] { cross_entropy(); });

    // Backward: the head.
    const dnnl::inner_product_backward_weights::desc iwd(
        md(avg), memory::desc({k, c}, dt::f32, tag::any), memory::desc({k}, dt::f32, tag::x),
        md(dlogits));
    const dnnl::inner_product_backward_weights::primitive_desc iwpd(iwd, attr, eng, ipd);
    settle_param(fc_param, fc_w, iwpd.diff_weights_desc());
    auto& bias = params[static_cast<std::size_t>(fc_bias_param)];
    bias.grad = add_gradient("fc1000.bias.grad", iwpd.diff_bias_desc());
    bias.mom = add("fc1000.bias.momentum", iwpd.diff_bias_desc());
    add_op("inner_product", "fc1000.bwd_weights", iwpd,
           {{DNNL_ARG_SRC, avg},
            {DNNL_ARG_DIFF_DST, dlogits},
            {DNNL_ARG_DIFF_WEIGHTS, params[static_cast<std::size_t>(fc_param)].grad},
            {DNNL_ARG_DIFF_BIAS, bias.grad}},
           fc_param);
    const dnnl::inner_product_backward_data::desc idd(md(avg), memory::desc({k, c}, a, tag::any),
                                                      md(dlogits));
    const dnnl::inner_product_backward_data::primitive_desc idpd(idd, attr, eng, ipd);
    int fc_wb = fc_w;
    if (idpd.weights_desc() != md(fc_w)) {
      fc_wb = add("fc1000.weights.bwd_data", idpd.weights_desc());
      add_copy(fc_param, fc_wb);
    }
    const int davg4 = add("pool5.diff_dst", md(avg4));
    const int davg = alias("pool5.diff_dst.nc", nc, davg4);
    add_op("inner_product", "fc1000.bwd_data", idpd,
           {{DNNL_ARG_DIFF_DST, dlogits}, {DNNL_ARG_WEIGHTS, fc_wb}, {DNNL_ARG_DIFF_SRC, davg}});
    bias_param = fc_bias_param;
    const dnnl::pooling_backward::desc abd(dnnl::algorithm::pooling_avg_exclude_padding, md(x),
                                           md(avg4), {h, h}, {h, h}, {0, 0}, {0, 0});
    const dnnl::pooling_backward::primitive_desc abpd(abd, attr, eng, apool);
    int g = acquire("res5c.diff", md(x));
    add_op("pooling", "pool5.bwd", abpd, {{DNNL_ARG_DIFF_DST, davg4}, {DNNL_ARG_DIFF_SRC, g}});
    // The last block's ReLU, backward, in place.
    const dnnl::eltwise_forward::desc rfd(dnnl::prop_kind::forward_training,
                                          dnnl::algorithm::eltwise_relu_use_dst_for_bwd, md(x), 0.f,
                                          0.f);
    const dnnl::eltwise_forward::primitive_desc rfpd(rfd, attr, eng);
    const dnnl::eltwise_backward::desc rbd(dnnl::algorithm::eltwise_relu_use_dst_for_bwd, md(g),
                                           md(x), 0.f, 0.f);
    const dnnl::eltwise_backward::primitive_desc rbpd(rbd, attr, eng, rfpd);
    add_op("eltwise", "res5c.relu.bwd", rbpd,
           {{DNNL_ARG_DIFF_DST, g}, {DNNL_ARG_DST, x}, {DNNL_ARG_DIFF_SRC, g}});

    // Backward: the bottlenecks, last first. `g` holds the gradient of the block's output,
    // already masked by its ReLU.
    for (std::size_t i = bs.size(); i-- > 0;) {
      const block_state& s = bs[i];
      const auto& blk = net.blocks[i];
      const std::string bn = fmt::format("bn{}{}_branch", blk.stage, blk.block);
      const int d2c = bn_backward(bn + "2c", s.b2c, g);
      const int d2b_out = conv_backward(s.c2c, d2c, true);
      release(d2c);
      const int d2b = bn_backward(bn + "2b", s.b2b, d2b_out);
      release(d2b_out);
      const int d2a_out = conv_backward(s.c2b, d2b, true);
      release(d2b);
      const int d2a = bn_backward(bn + "2a", s.b2a, d2a_out);
      release(d2a_out);
      const int dx_main = conv_backward(s.c2a, d2a, true);
      release(d2a);
      int dx_short = g;
      if (s.has_proj) {
        const int d1 = bn_backward(bn + "1", s.b1, g);
        dx_short = conv_backward(s.c1, d1, true);
        release(d1);
      }
      // The gradient of the block's input: both paths summed, masked by the ReLU that made
      // the input (none before the first block: the max pool made it).
      const bool first = i == 0;
      residual_backward(fmt::format("res{}{}.bwd", blk.stage, blk.block), dx_main, dx_main,
                        dx_short, first ? -1 : s.x);
      release(g);
      if (dx_short != g) release(dx_short);
      g = dx_main;
    }

    // Backward: the stem.
    const dnnl::pooling_backward::desc mbd(dnnl::algorithm::pooling_max, md(b1.dst), md(pooled), s2,
                                           k3, p1, p1r);
    const dnnl::pooling_backward::primitive_desc mbpd(mbd, attr, eng, mpool);
    const int dpool = acquire("pool1.diff_src", md(b1.dst));
    add_op("pooling", "pool1.bwd", mbpd,
           {{DNNL_ARG_DIFF_DST, g}, {DNNL_ARG_WORKSPACE, pool_ws}, {DNNL_ARG_DIFF_SRC, dpool}});
    release(g);
    const int dbn1 = bn_backward("bn_conv1", b1, dpool);
    release(dpool);
    conv_backward(c1, dbn1, false);
    release(dbn1);

    // The update, one op per parameter (their sizes vary from 128 floats to 2.4 M).
    for (std::size_t p = 0; p < params.size(); ++p) {
      op o;
      o.kind = "update";
      o.name = params[p].name;
      o.impl = "mlhpc:omp";
      o.kernel = [this, p] { update(p, true); };
      update_ops.push_back(std::move(o));
    }
    place_gradients();
    scratch = add("scratchpad",
                  memory::desc({static_cast<memory::dim>(std::max<std::size_t>(scratch_bytes, 1))},
                               dt::u8, tag::x));
  }
  int bias_param = -1, fc_param = -1;

  // --- running ---

  void allocate() {
    base = static_cast<char*>(std::aligned_alloc(4096, round_up(arena, 4096)));
    if (base == nullptr)
      throw std::runtime_error(fmt::format("cannot allocate the {} B arena", arena));
    // Touch every page on the threads that will use it.
    const std::size_t n = round_up(arena, 4096);
#pragma omp parallel for schedule(static)
    for (std::size_t i = 0; i < n; i += 4096)
      std::memset(base + i, 0, std::min<std::size_t>(4096, n - i));
    for (auto& ti : t) ti.mem = memory(ti.md, eng, base + ti.offset);
    for (auto& o : ops) {
      if (!o.make) continue;
      o.prim = o.make();
      for (const auto& [arg, id] : o.args) o.margs[arg] = t[static_cast<std::size_t>(id)].mem;
      o.margs[DNNL_ARG_SCRATCHPAD] = t[static_cast<std::size_t>(scratch)].mem;
    }
    build_tables();
    init_weights();
    init_batch();
    for (std::size_t p = 0; p < params.size(); ++p) update(p, false);
  }

  void build_tables() {
    for (auto& pr : params) {
      for (const auto& [target, table] : pr.copies) {
        // The target's positions, numbered from 1 (0 is padding), carried into the master's
        // layout by a reorder of s32 values: the table maps master position -> target position.
        const memory::desc tmd = with_type(md(target), dt::s32);
        std::vector<std::int32_t> pos(tmd.get_size() / 4);
        for (std::size_t i = 0; i < pos.size(); ++i) pos[i] = static_cast<std::int32_t>(i + 1);
        memory src(tmd, eng, pos.data());
        memory dst(md(table), eng, ptr(table));
        dnnl::reorder(src, dst).execute(strm, src, dst);
        strm.wait();
      }
    }
  }

  void init_weights() {
    std::uint64_t index = 0;
    for (auto& pr : params) {
      const auto d = pr.plain.dims();
      std::vector<float> v(pr.plain.get_size() / 4);
      const std::uint64_t s = stream_weights * 1000 + index++;  // one stream per parameter
      if (pr.name.find("scale_shift") != std::string::npos) {
        for (std::int64_t c = 0; c < d[1]; ++c) v[static_cast<std::size_t>(c)] = 1.f;
      } else if (pr.name.rfind("fc1000", 0) == 0) {
        const double bound = 1.0 / std::sqrt(static_cast<double>(net.final_c));
        fill_uniform(std::span<float>(v), opt.seed, s, -bound, bound);
      } else {
        // Kaiming normal, fan_out, gain sqrt(2) (torchvision's resnet init).
        const double sd = std::sqrt(2.0 / static_cast<double>(d[0] * d[2] * d[3]));
        for (std::size_t i = 0; i < v.size(); ++i) {
          const double u1 = 1.0 - unit_random(opt.seed, s, 2 * i);
          const double u2 = unit_random(opt.seed, s, 2 * i + 1);
          v[i] = static_cast<float>(sd * std::sqrt(-2 * std::log(u1)) *
                                    std::cos(2 * std::numbers::pi * u2));
        }
      }
      memory src(pr.plain, eng, v.data());
      dnnl::reorder(src, t[static_cast<std::size_t>(pr.master)].mem)
          .execute(strm, src, t[static_cast<std::size_t>(pr.master)].mem);
      strm.wait();
    }
  }

  void init_batch() {
    const auto& d = net.convs[0].d;
    const memory::desc plain({d.mb, 3, d.ih, d.iw}, dt::f32, tag::nchw);
    std::vector<float> v(plain.get_size() / 4);
    // Shard r of a data-parallel job draws its own batch; the weights are the seed's alone.
    const std::uint64_t shard = static_cast<std::uint64_t>(opt.shard) << 32;
    fill_uniform(std::span<float>(v), opt.seed, stream_images + shard, -1.0, 1.0);
    memory src(plain, eng, v.data());
    dnnl::reorder(src, t[static_cast<std::size_t>(images)].mem)
        .execute(strm, src, t[static_cast<std::size_t>(images)].mem);
    strm.wait();
    label_v.resize(static_cast<std::size_t>(d.mb));
    for (std::size_t i = 0; i < label_v.size(); ++i)
      label_v[i] = static_cast<int>(unit_random(opt.seed, stream_labels + shard, i) *
                                    static_cast<double>(net.cfg.classes));
  }

  // Loss = mean over the batch of -log p(label); d loss / d logits = (p - onehot) / batch.
  void cross_entropy() {
    const std::int64_t n = net.cfg.batch, k = net.cfg.classes;
    const float* lp = ptr<float>(logp);
    double total = 0;
    const float inv = 1.f / static_cast<float>(n);
#pragma omp parallel for reduction(+ : total) schedule(static)
    for (std::int64_t i = 0; i < n; ++i) {
      const float* row = lp + i * k;
      const int label = label_v[static_cast<std::size_t>(i)];
      total -= row[label];
      if (a == dt::bf16) {
        bf16_t* d = ptr<bf16_t>(dlogits) + i * k;
        for (std::int64_t j = 0; j < k; ++j)
          store(d[j], (std::exp(row[j]) - (j == label ? 1.f : 0.f)) * inv);
      } else {
        float* d = ptr<float>(dlogits) + i * k;
        for (std::int64_t j = 0; j < k; ++j)
          d[j] = (std::exp(row[j]) - (j == label ? 1.f : 0.f)) * inv;
      }
    }
    loss = static_cast<float>(total / static_cast<double>(n));
  }

  // SGD with momentum and weight decay (torch.optim.SGD, dampening 0, not Nesterov), then the
  // copies the primitives read, written in the same pass. With `step` false only the copies.
  void update(std::size_t p, bool step) {
    const auto& pr = params[p];
    const std::size_t n = elems(pr.master);
    float* w = ptr<float>(pr.master);
    if (step) {
      float* g = ptr<float>(pr.grad);
      float* v = ptr<float>(pr.mom);
      const float lr = static_cast<float>(opt.lr), mu = static_cast<float>(opt.momentum),
                  wd = static_cast<float>(opt.weight_decay), gs = grad_scale;
#pragma omp parallel for schedule(static)
      for (std::size_t i = 0; i < n; ++i) {
        const float gi = gs * g[i] + wd * w[i];
        const float vi = mu * v[i] + gi;
        v[i] = vi;
        w[i] -= lr * vi;
      }
    }
    for (const auto& [target, table] : pr.copies) {
      const std::int32_t* idx = ptr<std::int32_t>(table);
      if (md(target).data_type() == dt::bf16) {
        bf16_t* c = ptr<bf16_t>(target);
#pragma omp parallel for schedule(static)
        for (std::size_t i = 0; i < n; ++i)
          if (idx[i] > 0) store(c[idx[i] - 1], w[i]);
      } else {
        float* c = ptr<float>(target);
#pragma omp parallel for schedule(static)
        for (std::size_t i = 0; i < n; ++i)
          if (idx[i] > 0) c[idx[i] - 1] = w[i];
      }
    }
  }

  void execute(op& o) {
    if (o.kernel)
      o.kernel();
    else
      o.prim.execute(strm, o.margs);
  }
  void after(const op& o) {
    if (o.completes < 0 || !ready) return;
    ready(o.completes);
    if (o.completes == fc_param) ready(bias_param);  // the bias completes with the weights
  }

  void step(bool do_update) {
    for (auto& o : ops) {
      execute(o);
      after(o);
    }
    strm.wait();
    if (finish) finish();
    if (do_update)
      for (auto& o : update_ops) execute(o);
  }

  step_profile profile() {
    using clock = std::chrono::steady_clock;
    // Everything the measurement itself needs is allocated before the first reading.
    std::map<std::string, double> by_kind;
    for (const auto& k : op_kinds()) by_kind[k] = 0;
    rusage r0{}, r1{};
    step_profile sp;
    sp.seconds_by_kind.reserve(op_kinds().size());
    sp.per_op.reserve(ops.size() + update_ops.size());
    ::getrusage(RUSAGE_SELF, &r0);
    const auto t0 = clock::now();
    auto timed = [&](op& o) {
      const auto s = clock::now();
      execute(o);
      strm.wait();
      const double secs = std::chrono::duration<double>(clock::now() - s).count();
      by_kind[o.kind] += secs;
      sp.per_op.push_back({o.kind, o.name, secs});
      ++sp.ops;
      if (o.kind == "reorder") ++sp.reorders;
    };
    for (auto& o : ops) {
      timed(o);
      after(o);
    }
    if (finish) finish();
    for (auto& o : update_ops) timed(o);
    sp.step_s = std::chrono::duration<double>(clock::now() - t0).count();
    ::getrusage(RUSAGE_SELF, &r1);
    auto secs = [](const timeval& tv) {
      return static_cast<double>(tv.tv_sec) + tv.tv_usec * 1e-6;
    };
    sp.cpu_s = secs(r1.ru_utime) - secs(r0.ru_utime) + secs(r1.ru_stime) - secs(r0.ru_stime);
    sp.page_faults = (r1.ru_minflt - r0.ru_minflt) + (r1.ru_majflt - r0.ru_majflt);
    for (const auto& k : op_kinds()) sp.seconds_by_kind.emplace_back(k, by_kind[k]);
    return sp;
  }

  plain_tensor to_plain(const param& pr, int id, const std::string& name) const {
    plain_tensor out;
    out.name = name;
    out.dims = pr.plain.dims();
    std::vector<float> v(pr.plain.get_size() / 4);
    memory dst(pr.plain, eng, v.data());
    memory src = t[static_cast<std::size_t>(id)].mem;
    dnnl::reorder(src, dst).execute(strm, src, dst);
    strm.wait();
    out.values.assign(v.begin(), v.end());
    return out;
  }
};

trainer::trainer(const network& net, const train_options& opt)
    : m(std::make_unique<impl>(net, opt)) {}
trainer::~trainer() = default;

std::uint64_t trainer::arena_bytes() const {
  return round_up(m->arena, 4096);
}
void trainer::allocate() {
  m->allocate();
}
void trainer::step(bool update) {
  m->step(update);
}
void trainer::set_gradient_hooks(gradient_ready ready, std::function<void()> finish) {
  m->ready = std::move(ready);
  m->finish = std::move(finish);
}
void trainer::set_gradient_scale(float scale) {
  m->grad_scale = scale;
}
std::span<float> trainer::gradient_region() {
  MLHPC_ASSERT(m->base != nullptr);
  return {reinterpret_cast<float*>(m->base + m->grad_begin), (m->grad_end - m->grad_begin) / 4};
}
std::vector<gradient_span> trainer::gradient_spans() const {
  std::vector<gradient_span> out;
  for (const int p : m->completion) {
    const auto& ti = m->t[static_cast<std::size_t>(m->params[static_cast<std::size_t>(p)].grad)];
    out.push_back({p, (ti.offset - m->grad_begin) / 4, ti.md.get_size() / 4});
  }
  return out;
}
std::uint64_t trainer::weights_fingerprint() const {
  // FNV-1a over the bytes of every master weight, in parameter order.
  std::uint64_t h = 1469598103934665603ull;
  for (const auto& pr : m->params) {
    const auto* b = reinterpret_cast<const unsigned char*>(m->ptr(pr.master));
    const std::size_t n = m->md(pr.master).get_size();
    for (std::size_t i = 0; i < n; ++i) h = (h ^ b[i]) * 1099511628211ull;
  }
  return h;
}
step_profile trainer::profile_step() {
  return m->profile();
}
float trainer::last_loss() const {
  return m->loss;
}
int trainer::parameter_count() const {
  return static_cast<int>(m->params.size());
}
std::vector<plain_tensor> trainer::gradients() const {
  std::vector<plain_tensor> out;
  for (const auto& pr : m->params) out.push_back(m->to_plain(pr, pr.grad, pr.name));
  return out;
}
std::vector<plain_tensor> trainer::parameters() const {
  std::vector<plain_tensor> out;
  for (const auto& pr : m->params) out.push_back(m->to_plain(pr, pr.master, pr.name));
  return out;
}
plain_tensor trainer::images() const {
  const auto& d = m->net.convs[0].d;
  param pr{"images", memory::desc({d.mb, 3, d.ih, d.iw}, dt::f32, tag::nchw), -1, -1, -1, {}};
  return m->to_plain(pr, m->images, "images");
}
plain_tensor trainer::activation(const std::string& name) const {
  for (std::size_t i = 0; i < m->t.size(); ++i)
    if (m->t[i].name == name) {
      const auto dims = m->t[i].md.dims();
      param pr{name, memory::desc(dims, dt::f32, tag::nchw), -1, -1, -1, {}};
      return m->to_plain(pr, static_cast<int>(i), name);
    }
  throw std::invalid_argument("no tensor named " + name);
}
std::vector<int> trainer::labels() const {
  return m->label_v;
}

nlohmann::json trainer::details() const {
  nlohmann::json impls = nlohmann::json::object();
  for (const auto& [k, s] : m->impls) impls[k] = std::vector<std::string>(s.begin(), s.end());
  std::size_t weights_copies = 0;
  for (const auto& pr : m->params) weights_copies += pr.copies.size();
  return {{"implementations", impls},
          {"layouts",
           {{"images", layout_of(m->md(m->images))},
            {"activations", layout_of(m->md(m->stem_out))},
            {"conv_weights_master", layout_of(m->md(m->params.front().master))}}},
          {"arena_bytes", round_up(m->arena, 4096)},
          {"index_table_bytes", m->table_bytes},
          {"scratchpad_bytes", m->scratch_bytes},
          {"gradient_slots", m->slots.size()},
          {"primitives_and_kernels", m->ops.size() + m->update_ops.size()},
          {"parameter_tensors", m->params.size()},
          {"weight_copies_written_by_the_update", weights_copies},
          {"learning_rate", m->opt.lr},
          {"momentum", m->opt.momentum},
          {"weight_decay", m->opt.weight_decay}};
}

}  // namespace mlhpc::resnet50
