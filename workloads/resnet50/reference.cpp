#include "workloads/resnet50/reference.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include <fmt/format.h>

#include "bench/error.hpp"

namespace mlhpc::resnet50 {

std::string bn_name_of(const std::string& conv_name) {
  if (conv_name == "conv1") return "bn_conv1";
  return "bn" + conv_name.substr(3);  // res2a_branch2a -> bn2a_branch2a
}

namespace {

constexpr double eps = 1e-5;

struct tensor {
  std::int64_t n = 0, c = 0, h = 0, w = 0;
  std::vector<double> v;
  tensor() = default;
  tensor(std::int64_t n_, std::int64_t c_, std::int64_t h_, std::int64_t w_)
      : n(n_), c(c_), h(h_), w(w_), v(static_cast<std::size_t>(n_ * c_ * h_ * w_), 0.0) {}
  double& at(std::int64_t i, std::int64_t j, std::int64_t y, std::int64_t x) {
    return v[static_cast<std::size_t>(((i * c + j) * h + y) * w + x)];
  }
  double at(std::int64_t i, std::int64_t j, std::int64_t y, std::int64_t x) const {
    return v[static_cast<std::size_t>(((i * c + j) * h + y) * w + x)];
  }
};

tensor conv_fwd(const conv::desc& d, const tensor& x, const std::vector<double>& wt) {
  tensor y(x.n, d.oc, d.oh, d.ow);
#pragma omp parallel for collapse(2)
  for (std::int64_t i = 0; i < x.n; ++i)
    for (std::int64_t o = 0; o < d.oc; ++o)
      for (std::int64_t oy = 0; oy < d.oh; ++oy)
        for (std::int64_t ox = 0; ox < d.ow; ++ox) {
          double s = 0;
          for (std::int64_t c = 0; c < d.ic; ++c)
            for (std::int64_t ky = 0; ky < d.kh; ++ky) {
              const std::int64_t iy = oy * d.sh - d.ph + ky;
              if (iy < 0 || iy >= d.ih) continue;
              for (std::int64_t kx = 0; kx < d.kw; ++kx) {
                const std::int64_t ix = ox * d.sw - d.pw + kx;
                if (ix < 0 || ix >= d.iw) continue;
                s += x.at(i, c, iy, ix) *
                     wt[static_cast<std::size_t>(((o * d.ic + c) * d.kh + ky) * d.kw + kx)];
              }
            }
          y.at(i, o, oy, ox) = s;
        }
  return y;
}

// Gradients of a convolution's input (when wanted) and weights.
void conv_bwd(const conv::desc& d, const tensor& x, const std::vector<double>& wt, const tensor& dy,
              tensor* dx, std::vector<double>& dw) {
  dw.assign(wt.size(), 0.0);
  if (dx != nullptr) *dx = tensor(x.n, x.c, x.h, x.w);
  for (std::int64_t i = 0; i < x.n; ++i)
    for (std::int64_t o = 0; o < d.oc; ++o)
      for (std::int64_t oy = 0; oy < d.oh; ++oy)
        for (std::int64_t ox = 0; ox < d.ow; ++ox) {
          const double g = dy.at(i, o, oy, ox);
          for (std::int64_t c = 0; c < d.ic; ++c)
            for (std::int64_t ky = 0; ky < d.kh; ++ky) {
              const std::int64_t iy = oy * d.sh - d.ph + ky;
              if (iy < 0 || iy >= d.ih) continue;
              for (std::int64_t kx = 0; kx < d.kw; ++kx) {
                const std::int64_t ix = ox * d.sw - d.pw + kx;
                if (ix < 0 || ix >= d.iw) continue;
                const auto wi = static_cast<std::size_t>(((o * d.ic + c) * d.kh + ky) * d.kw + kx);
                dw[wi] += g * x.at(i, c, iy, ix);
                if (dx != nullptr) dx->at(i, c, iy, ix) += g * wt[wi];
              }
            }
        }
}

struct bn_saved {
  std::vector<double> mean, rstd;
  tensor xhat;
};

tensor bn_fwd(const tensor& x, const std::vector<double>& ss, bn_saved& s) {
  tensor y(x.n, x.c, x.h, x.w);
  s.xhat = y;
  s.mean.assign(static_cast<std::size_t>(x.c), 0);
  s.rstd.assign(static_cast<std::size_t>(x.c), 0);
  const double m = static_cast<double>(x.n * x.h * x.w);
  for (std::int64_t c = 0; c < x.c; ++c) {
    double mean = 0, var = 0;
    for (std::int64_t i = 0; i < x.n; ++i)
      for (std::int64_t p = 0; p < x.h * x.w; ++p) mean += x.at(i, c, p / x.w, p % x.w);
    mean /= m;
    for (std::int64_t i = 0; i < x.n; ++i)
      for (std::int64_t p = 0; p < x.h * x.w; ++p) {
        const double e = x.at(i, c, p / x.w, p % x.w) - mean;
        var += e * e;
      }
    var /= m;  // biased, as in training
    const double rstd = 1 / std::sqrt(var + eps);
    s.mean[static_cast<std::size_t>(c)] = mean;
    s.rstd[static_cast<std::size_t>(c)] = rstd;
    for (std::int64_t i = 0; i < x.n; ++i)
      for (std::int64_t p = 0; p < x.h * x.w; ++p) {
        const double xh = (x.at(i, c, p / x.w, p % x.w) - mean) * rstd;
        s.xhat.at(i, c, p / x.w, p % x.w) = xh;
        y.at(i, c, p / x.w, p % x.w) =
            ss[static_cast<std::size_t>(c)] * xh + ss[static_cast<std::size_t>(x.c + c)];
      }
  }
  return y;
}

tensor bn_bwd(const tensor& dy, const std::vector<double>& ss, const bn_saved& s,
              std::vector<double>& dss) {
  tensor dx(dy.n, dy.c, dy.h, dy.w);
  dss.assign(static_cast<std::size_t>(2 * dy.c), 0);
  const double m = static_cast<double>(dy.n * dy.h * dy.w);
  for (std::int64_t c = 0; c < dy.c; ++c) {
    double dbeta = 0, dgamma = 0;
    for (std::int64_t i = 0; i < dy.n; ++i)
      for (std::int64_t p = 0; p < dy.h * dy.w; ++p) {
        const double g = dy.at(i, c, p / dy.w, p % dy.w);
        dbeta += g;
        dgamma += g * s.xhat.at(i, c, p / dy.w, p % dy.w);
      }
    dss[static_cast<std::size_t>(c)] = dgamma;
    dss[static_cast<std::size_t>(dy.c + c)] = dbeta;
    const double k = ss[static_cast<std::size_t>(c)] * s.rstd[static_cast<std::size_t>(c)] / m;
    for (std::int64_t i = 0; i < dy.n; ++i)
      for (std::int64_t p = 0; p < dy.h * dy.w; ++p)
        dx.at(i, c, p / dy.w, p % dy.w) = k * (m * dy.at(i, c, p / dy.w, p % dy.w) - dbeta -
                                               s.xhat.at(i, c, p / dy.w, p % dy.w) * dgamma);
  }
  return dx;
}

void relu(tensor& x, const std::vector<double>* decided = nullptr) {
  if (decided != nullptr) {
    MLHPC_ASSERT(decided->size() == x.v.size());
    for (std::size_t i = 0; i < x.v.size(); ++i)
      if (!((*decided)[i] > 0)) x.v[i] = 0;
    return;
  }
  for (auto& e : x.v) e = std::max(e, 0.0);
}
// dy masked by the ReLU whose output is y.
void relu_bwd(tensor& dy, const tensor& y) {
  for (std::size_t i = 0; i < dy.v.size(); ++i)
    if (y.v[i] <= 0) dy.v[i] = 0;
}

struct conv_bn {
  const conv_layer* conv = nullptr;
  tensor in, out_conv, out_bn;
  bn_saved saved;
};

}  // namespace

reference_step reference_gradients(const network& n, const named_values& params,
                                   const std::vector<double>& images,
                                   const std::vector<int>& labels,
                                   const activation_source& relu_outputs) {
  auto apply_relu = [&](tensor& x, const std::string& name) {
    if (!relu_outputs) return relu(x);
    const auto decided = relu_outputs(name);
    relu(x, &decided);
  };
  const auto& P = [&](const std::string& name) -> const std::vector<double>& {
    const auto it = params.find(name);
    MLHPC_ASSERT(it != params.end());
    return it->second;
  };
  reference_step out;
  auto forward = [&](const conv_layer& l, const tensor& x, bool with_relu) {
    conv_bn s;
    s.conv = &l;
    s.in = x;
    s.out_conv = conv_fwd(l.d, x, P(l.name + ".weights"));
    s.out_bn = bn_fwd(s.out_conv, P(bn_name_of(l.name) + ".scale_shift"), s.saved);
    if (with_relu) apply_relu(s.out_bn, bn_name_of(l.name) + ".out");
    return s;
  };
  // dy: the gradient of the batch norm's output (already through its ReLU). Returns dx.
  auto backward = [&](conv_bn& s, tensor dy, bool want_dx) {
    const std::string bn = bn_name_of(s.conv->name);
    tensor dc = bn_bwd(dy, P(bn + ".scale_shift"), s.saved, out.gradients[bn + ".scale_shift"]);
    tensor dx;
    conv_bwd(s.conv->d, s.in, P(s.conv->name + ".weights"), dc, want_dx ? &dx : nullptr,
             out.gradients[s.conv->name + ".weights"]);
    return dx;
  };

  const std::int64_t N = n.cfg.batch;
  tensor x(N, 3, n.cfg.image, n.cfg.image);
  x.v = images;
  conv_bn stem = forward(n.convs[0], x, true);
  // Max pool 3x3, stride 2, padding 1; the first maximum wins.
  const tensor& s = stem.out_bn;
  tensor pooled(N, s.c, n.pool_h, n.pool_h);
  std::vector<std::int64_t> argmax(pooled.v.size());
  for (std::int64_t i = 0; i < N; ++i)
    for (std::int64_t c = 0; c < s.c; ++c)
      for (std::int64_t oy = 0; oy < n.pool_h; ++oy)
        for (std::int64_t ox = 0; ox < n.pool_h; ++ox) {
          double best = -std::numeric_limits<double>::infinity();
          std::int64_t where = -1;
          for (std::int64_t ky = 0; ky < 3; ++ky)
            for (std::int64_t kx = 0; kx < 3; ++kx) {
              const std::int64_t iy = oy * 2 - 1 + ky, ix = ox * 2 - 1 + kx;
              if (iy < 0 || iy >= s.h || ix < 0 || ix >= s.w) continue;
              if (s.at(i, c, iy, ix) > best) best = s.at(i, c, iy, ix), where = iy * s.w + ix;
            }
          pooled.at(i, c, oy, ox) = best;
          argmax[static_cast<std::size_t>(((i * s.c + c) * n.pool_h + oy) * n.pool_h + ox)] = where;
        }

  struct block_saved {
    conv_bn a, b, c, proj;
    bool has_proj = false;
    tensor x, y;
  };
  std::vector<block_saved> saved;
  tensor cur = pooled;
  for (const auto& blk : n.blocks) {
    block_saved bs;
    bs.x = cur;
    const auto& L = [&](int i) -> const conv_layer& {
      return n.convs[static_cast<std::size_t>(i)];
    };
    bs.a = forward(L(blk.c2a), cur, true);
    bs.b = forward(L(blk.c2b), bs.a.out_bn, true);
    bs.c = forward(L(blk.c2c), bs.b.out_bn, false);
    tensor y = bs.c.out_bn;
    if (blk.c1 >= 0) {
      bs.has_proj = true;
      bs.proj = forward(L(blk.c1), cur, false);
      for (std::size_t i = 0; i < y.v.size(); ++i) y.v[i] += bs.proj.out_bn.v[i];
    } else {
      for (std::size_t i = 0; i < y.v.size(); ++i) y.v[i] += cur.v[i];
    }
    apply_relu(y, fmt::format("res{}{}.out", blk.stage, blk.block));
    out.activations[fmt::format("res{}{}.out", blk.stage, blk.block)] = y.v;
    bs.y = y;
    cur = y;
    saved.push_back(std::move(bs));
  }

  // Head: global average, fully connected, log-softmax, cross-entropy.
  const std::int64_t C = n.final_c, K = n.cfg.classes, HW = n.final_h * n.final_h;
  std::vector<double> avg(static_cast<std::size_t>(N * C));
  for (std::int64_t i = 0; i < N; ++i)
    for (std::int64_t c = 0; c < C; ++c) {
      double sum = 0;
      for (std::int64_t p = 0; p < HW; ++p) sum += cur.at(i, c, p / n.final_h, p % n.final_h);
      avg[static_cast<std::size_t>(i * C + c)] = sum / static_cast<double>(HW);
    }
  const auto& W = P("fc1000.weights");
  const auto& B = P("fc1000.bias");
  std::vector<double> dlogits(static_cast<std::size_t>(N * K));
  for (std::int64_t i = 0; i < N; ++i) {
    std::vector<double> z(static_cast<std::size_t>(K));
    double mx = -std::numeric_limits<double>::infinity();
    for (std::int64_t k = 0; k < K; ++k) {
      double sum = B[static_cast<std::size_t>(k)];
      for (std::int64_t c = 0; c < C; ++c)
        sum += W[static_cast<std::size_t>(k * C + c)] * avg[static_cast<std::size_t>(i * C + c)];
      z[static_cast<std::size_t>(k)] = sum;
      mx = std::max(mx, sum);
    }
    double den = 0;
    for (double v : z) den += std::exp(v - mx);
    const double lse = mx + std::log(den);
    const int label = labels[static_cast<std::size_t>(i)];
    out.loss -= (z[static_cast<std::size_t>(label)] - lse) / static_cast<double>(N);
    for (std::int64_t k = 0; k < K; ++k)
      dlogits[static_cast<std::size_t>(i * K + k)] =
          (std::exp(z[static_cast<std::size_t>(k)] - lse) - (k == label ? 1.0 : 0.0)) /
          static_cast<double>(N);
  }
  auto& dW = out.gradients["fc1000.weights"];
  auto& dB = out.gradients["fc1000.bias"];
  dW.assign(W.size(), 0);
  dB.assign(B.size(), 0);
  tensor g(N, C, n.final_h, n.final_h);
  for (std::int64_t i = 0; i < N; ++i)
    for (std::int64_t k = 0; k < K; ++k) {
      const double d = dlogits[static_cast<std::size_t>(i * K + k)];
      dB[static_cast<std::size_t>(k)] += d;
      for (std::int64_t c = 0; c < C; ++c) {
        dW[static_cast<std::size_t>(k * C + c)] += d * avg[static_cast<std::size_t>(i * C + c)];
        const double dv = d * W[static_cast<std::size_t>(k * C + c)] / static_cast<double>(HW);
        for (std::int64_t p = 0; p < HW; ++p) g.at(i, c, p / n.final_h, p % n.final_h) += dv;
      }
    }

  for (std::size_t b = saved.size(); b-- > 0;) {
    auto& bs = saved[b];
    relu_bwd(g, bs.y);
    tensor dc = g;  // through bn 2c (no ReLU of its own)
    tensor da = backward(bs.c, dc, true);
    relu_bwd(da, bs.b.out_bn);
    tensor db = backward(bs.b, da, true);
    relu_bwd(db, bs.a.out_bn);
    tensor dx = backward(bs.a, db, true);
    if (bs.has_proj) {
      tensor dp = backward(bs.proj, g, true);
      for (std::size_t i = 0; i < dx.v.size(); ++i) dx.v[i] += dp.v[i];
    } else {
      for (std::size_t i = 0; i < dx.v.size(); ++i) dx.v[i] += g.v[i];
    }
    g = std::move(dx);
  }
  // Max pool backward, then the stem's ReLU and batch norm, then conv1's weights.
  tensor dstem(N, s.c, s.h, s.w);
  for (std::size_t i = 0; i < g.v.size(); ++i) {
    const auto plane = static_cast<std::int64_t>(i) / (n.pool_h * n.pool_h);
    dstem.v[static_cast<std::size_t>(plane * s.h * s.w + argmax[i])] += g.v[i];
  }
  relu_bwd(dstem, stem.out_bn);
  backward(stem, dstem, false);
  return out;
}

}  // namespace mlhpc::resnet50
