// The oneDNN training step on a reduced ResNet-50 (the same blocks, 64^2 images, 16-channel
// stem): gradients against a double-precision reference, a falling loss, determinism, and a
// steady state without reorders or page faults.
#include <gtest/gtest.h>

#include <cmath>

#include "bench/fill.hpp"
#include "tests/support/features.hpp"
#include "workloads/onednn/onednn.hpp"
#include "workloads/resnet50/reference.hpp"
#include "workloads/resnet50/trainer.hpp"

namespace mlhpc::resnet50 {
namespace {

train_options small(dtype t = dtype::f32) {
  train_options o;
  o.cfg = {4, 64, 16, 10};
  o.type = t;
  o.seed = 7;
  return o;
}

// ||got - want|| / ||want|| (2-norms) over one tensor.
double tensor_error(const std::vector<double>& got, const std::vector<double>& want) {
  double diff = 0, norm = 0;
  for (std::size_t i = 0; i < want.size(); ++i) {
    diff += (got[i] - want[i]) * (got[i] - want[i]);
    norm += want[i] * want[i];
  }
  return norm > 0 ? std::sqrt(diff / norm) : std::sqrt(diff);
}

void check_gradients(dtype type, double tolerance, double forward_tolerance) {
  const auto o = small(type);
  const network n = build(o.cfg);
  trainer t(n, o);
  t.allocate();
  t.step(false);  // gradients, no update
  named_values params;
  for (const auto& p : t.parameters()) params[p.name] = p.values;
  auto images = t.images().values;
  const auto ref = reference_gradients(n, params, images, t.labels(), [&](const std::string& name) {
    return t.activation(name).values;
  });
  EXPECT_NEAR(t.last_loss(), ref.loss, forward_tolerance * std::max(1.0, ref.loss));
  // The forward: every block's output, and ReLU decisions that differ only where the
  // reference's value is within the forward tolerance of zero.
  ASSERT_EQ(ref.activations.size(), 16u);
  for (const auto& [name, want] : ref.activations) {
    const auto got = t.activation(name).values;
    EXPECT_LT(tensor_error(got, want), forward_tolerance) << name;
  }
  const auto grads = t.gradients();
  ASSERT_EQ(grads.size(), 108u);  // 53 conv weights, 53 BN scale/shift, the FC weights and bias
  double worst = 0;
  std::string where;
  for (const auto& g : grads) {
    ASSERT_TRUE(ref.gradients.count(g.name)) << g.name;
    const double e = tensor_error(g.values, ref.gradients.at(g.name));
    if (e > worst) worst = e, where = g.name;
  }
  EXPECT_LT(worst, tolerance) << "worst gradient: " << where;
  ::testing::Test::RecordProperty("worst_gradient_error", std::to_string(worst) + " at " + where);
}

TEST(ResNet50OneDnn, F32GradientsMatchADoubleReferenceOfTheSameLayers) {
  // Relative 2-norm error per tensor. Block outputs: 1e-3 (measured 1e-4 at most). Gradients:
  // 1e-2 (measured 2.7e-3 at most). The problem is ill-conditioned, not the code: batch norm
  // over 16 values per channel (stage 5 at 64^2, batch 4) amplifies; perturbing the images by
  // 1e-7 moves the reference's own gradients by 1e-4. A missing or wrong term moves them by
  // 1e-1 or more.
  check_gradients(dtype::f32, 1e-2, 1e-3);
}

TEST(ResNet50OneDnn, Bf16StepsFollowTheF32OnesOnTheSameWeights) {
  // bf16 rounds activations and weight copies to 8 bits of mantissa; through 16 blocks with
  // small-batch batch norm the double reference is not a fair yardstick (block outputs differ
  // by tens of percent), so bf16 is held to the f32 step: the same starting loss within 5 %
  // (measured: 2 %).
  if (const auto bf16 = onednn::native_type(dtype::bf16, "training"); !bf16.ok)
    GTEST_SKIP() << bf16.reason;
  trainer a(build(small(dtype::f32).cfg), small(dtype::f32)),
      b(build(small(dtype::bf16).cfg), small(dtype::bf16));
  a.allocate();
  b.allocate();
  a.step(false);
  b.step(false);
  EXPECT_NEAR(b.last_loss(), a.last_loss(), 0.05 * a.last_loss());
  RecordProperty("f32_loss", std::to_string(a.last_loss()));
  RecordProperty("bf16_loss", std::to_string(b.last_loss()));
}

// The losses of ten steps on the fixed batch, from freshly initialised weights.
std::vector<float> ten_losses(const train_options& o) {
  trainer t(build(o.cfg), o);
  t.allocate();
  std::vector<float> losses;
  for (int i = 0; i < 10; ++i) {
    t.step();
    losses.push_back(t.last_loss());
  }
  return losses;
}

TEST(ResNet50OneDnn, TheLossFallsOnAFixedBatchAndTwoRunsAgree) {
  for (const dtype type : {dtype::f32, dtype::bf16}) {
    if (!onednn::native_type(type, "training").ok) continue;  // the workload skips it too
    const std::string name(to_string(type));
    const auto a = ten_losses(small(type));
    const auto b = ten_losses(small(type));
    ASSERT_TRUE(std::isfinite(a.front()));
    EXPECT_LT(a.back(), 0.5 * a.front()) << name;
    // Same seed, same threads: the same losses to 1e-5 relative (oneDNN's reductions keep
    // their order for a fixed thread count).
    for (std::size_t i = 0; i < a.size(); ++i)
      EXPECT_NEAR(a[i], b[i], 1e-5 * std::fabs(a[i])) << name << " step " << i;
  }
}

// The whole network (64-channel stem, 1000 classes: every layer of ResNet-50 at its real width)
// on 64^2 images, batch 4, f32: the loss on the fixed batch falls within ten steps, and a second
// run with the same seed repeats the losses to 1e-5 relative. (224^2 at batch 32 is the
// benchmark's own verification: `verify` checks the loss falls on every run.)
TEST(ResNet50OneDnn, TheFullWidthNetworksLossFallsAndTwoRunsAgree) {
  train_options o;
  // 96 px, not 64: at 64 px res5's 3x3 convolutions are 2x2, whose backward-weights pass oneDNN
  // 2.6 runs as "ref:any" on AVX2-only hosts (0.64 s a call, 97 % of a step: 19 s for ten steps
  // against 4.4 s at 96 px, where every primitive is jit; measured 2026-12-04 on Zen 3).
  o.cfg = {4, 96, 64, 1000};
  o.seed = 11;
  const auto a = ten_losses(o);
  const auto b = ten_losses(o);
  ASSERT_TRUE(std::isfinite(a.front()));
  // Uniform guessing over 1000 classes: ln 1000 = 6.9 at the start.
  EXPECT_NEAR(a.front(), std::log(1000.0), 1.5);
  EXPECT_LT(a.back(), 0.5 * a.front());
  for (std::size_t i = 0; i < a.size(); ++i)
    EXPECT_NEAR(a[i], b[i], 1e-5 * std::fabs(a[i])) << "step " << i;
}

TEST(ResNet50OneDnn, AfterWarmUpAStepHasNoReorderAndNoPageFault) {
  for (const dtype type : {dtype::f32, dtype::bf16}) {
    if (!onednn::native_type(type, "training").ok) continue;  // the workload skips it too
    const std::string name(to_string(type));
    trainer t(build(small(type).cfg), small(type));
    t.allocate();
    t.step();
    t.step();
    (void)t.profile_step();  // the profile's own first use (clock, maps)
    const auto p = t.profile_step();
    EXPECT_EQ(p.reorders, 0) << name;
    // Under AddressSanitizer the quarantine hands out fresh pages for the small allocations
    // oneDNN's C++ API makes per execute() (its argument vector), so faults say nothing there.
    if (!MLHPC_ASAN) {
      EXPECT_EQ(p.page_faults, 0) << name;
    }
    EXPECT_GT(p.ops, 400) << name;
    double sum = 0;
    for (const auto& [k, s] : p.seconds_by_kind) sum += s;
    EXPECT_GT(sum, 0.5 * p.step_s);
    EXPECT_LE(sum, p.step_s * 1.01);
    // Every primitive is one of oneDNN's optimised implementations, none the reference one. That
    // holds where it was established, on AVX-512 CPUs; oneDNN 2.6 on an AVX2-only host (seen on
    // 2026-12-03) runs one backward-weights convolution of this reduced network as "ref:any",
    // which is recorded, not asserted.
    const auto d = t.details();
    const bool avx512 = __builtin_cpu_supports("avx512f");
    for (const auto& [kind, impls] : d["implementations"].items())
      for (const auto& i : impls) {
        if (avx512)
          EXPECT_EQ(i.get<std::string>().rfind("ref", 0), std::string::npos) << kind << ": " << i;
        else if (i.get<std::string>().rfind("ref", 0) == 0)
          RecordProperty("reference_implementation_" + kind, i.get<std::string>());
      }
  }
}

}  // namespace
}  // namespace mlhpc::resnet50

namespace mlhpc::resnet50 {
namespace {

// What data parallelism relies on: every gradient lies in one region, in the order the backward
// pass completes them (the order the hooks report), the region holds exactly the gradients the
// accessor reads, a shard draws its own batch from the same weights, and the update's gradient
// scale is applied.
TEST(ResNet50OneDnn, GradientsLieInOneRegionInTheOrderTheBackwardPassCompletesThem) {
  const auto o = small();
  const network n = build(o.cfg);
  trainer t(n, o);
  t.allocate();
  std::vector<int> order;
  int finished = 0;
  t.set_gradient_hooks([&](int p) { order.push_back(p); }, [&] { ++finished; });
  t.step(false);
  EXPECT_EQ(finished, 1);
  const auto spans = t.gradient_spans();
  ASSERT_EQ(spans.size(), 108u);
  ASSERT_EQ(order.size(), spans.size());
  const auto region = t.gradient_region();
  std::size_t end = 0;
  for (std::size_t i = 0; i < spans.size(); ++i) {
    EXPECT_EQ(order[i], spans[i].param) << i;
    EXPECT_GE(spans[i].offset, end) << i;  // ascending, no overlap
    end = spans[i].offset + spans[i].count;
  }
  EXPECT_LE(end, region.size());
  // The fully connected layer's gradients complete first, conv1's last.
  const auto grads = t.gradients();
  EXPECT_EQ(grads[static_cast<std::size_t>(spans.front().param)].name, "fc1000.weights");
  EXPECT_EQ(grads[static_cast<std::size_t>(spans.back().param)].name, "conv1.weights");
  // Each span holds its gradient (in the primitive's layout: compare the sums of magnitudes).
  for (const auto& s : spans) {
    double in_region = 0, plain = 0;
    for (std::size_t i = 0; i < s.count; ++i) in_region += std::fabs(region[s.offset + i]);
    for (const double v : grads[static_cast<std::size_t>(s.param)].values) plain += std::fabs(v);
    EXPECT_NEAR(in_region, plain, 1e-5 * plain + 1e-30)
        << grads[static_cast<std::size_t>(s.param)].name;
  }
  // Another shard: the same initial weights, another batch.
  auto o1 = o;
  o1.shard = 1;
  trainer t1(n, o1);
  t1.allocate();
  EXPECT_EQ(t1.weights_fingerprint(), t.weights_fingerprint());
  EXPECT_NE(t1.images().values, t.images().values);
  // A gradient scale of 0 leaves only weight decay and momentum: w -= lr * wd * w.
  t.set_gradient_hooks({}, {});
  const auto before = t.parameters();
  t.set_gradient_scale(0.f);
  t.step(true);
  const auto after = t.parameters();
  const double shrink = 1.0 - 0.1 * 4 / 256 * 1e-4;
  for (std::size_t p = 0; p < before.size(); p += 17)
    for (std::size_t i = 0; i < before[p].values.size(); i += 7)
      EXPECT_NEAR(after[p].values[i], before[p].values[i] * shrink,
                  1e-6 * std::fabs(before[p].values[i]))
          << before[p].name;
  EXPECT_NE(t1.weights_fingerprint(), t.weights_fingerprint());
}

}  // namespace
}  // namespace mlhpc::resnet50
