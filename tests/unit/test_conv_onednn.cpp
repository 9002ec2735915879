// conv on oneDNN: every pass on small odd shapes checked against the double reference, and an
// injected error in the output that verification must catch.
#include <gtest/gtest.h>

#include "workloads/conv/conv-onednn.hpp"

namespace mlhpc::conv {
namespace {

struct odd_case {
  const char* line;
  const char* what;
};

const odd_case odd_shapes[] = {
    {"mb3ic5ih9iw11oc7oh5ow6kh3sh2ph1", "stride 2, non-square, odd channels"},
    {"mb2ic3ih8oc4oh4kh3sh2", "stride 2, asymmetric padding (0 before, 1 after)"},
    {"mb2ic4ih10oc6oh6kh3dh1ph0", "dilation"},
    {"g2mb2ic6ih7oc4oh7kh3ph1", "groups"},
    {"mb1ic3ih6iw7oc5oh3ow4kh2kw3sh2sw2ph0pw1", "different kernel and padding in each axis"},
};

TEST(ConvOnednn, EveryPassOnOddShapesMatchesTheReference) {
  for (const auto& c : odd_shapes)
    for (pass p : {pass::fwd_training, pass::fwd_inference, pass::bwd_data, pass::bwd_weights})
      for (const char* layout : {"nchw", "nhwc"}) {
        const auto r = run_once(parse(c.line), p, dtype::f32, layout, 7);
        EXPECT_EQ(r.verified.status, verification::state::passed)
            << c.line << " (" << c.what << ") " << to_string(p) << " " << layout << ": "
            << r.verified.detail << " error " << r.verified.error.value_or(-1);
      }
}

TEST(ConvOnednn, Int8ForwardInferenceIsExact) {
  for (const auto& c : odd_shapes) {
    const auto r = run_once(parse(c.line), pass::fwd_inference, dtype::int8, "nchw", 3);
    EXPECT_EQ(r.verified.status, verification::state::passed) << c.line;
    EXPECT_EQ(r.verified.metric, "max_absolute_error");
    EXPECT_EQ(*r.verified.error, 0.0) << c.line;
  }
}

TEST(ConvOnednn, Bf16PassesMatchTheReferenceOfTheRoundedInputs) {
  if (!__builtin_cpu_supports("avx512bf16")) GTEST_SKIP() << "no native bf16 on this CPU";
  for (pass p : {pass::fwd_training, pass::bwd_data, pass::bwd_weights}) {
    const auto r = run_once(parse(odd_shapes[0].line), p, dtype::bf16, "nchw", 5);
    EXPECT_EQ(r.verified.status, verification::state::passed) << to_string(p) << r.verified.detail;
  }
}

TEST(ConvOnednn, AnInjectedErrorInTheOutputFailsVerification) {
  for (pass p : {pass::fwd_training, pass::bwd_data, pass::bwd_weights}) {
    const desc d = parse(odd_shapes[0].line);
    auto r = run_once(d, p, dtype::f32, "nchw", 11);
    const tensors in{r.src.data(), r.wei.data(), r.dst.data()};
    ASSERT_EQ(check(d, p, false, in, r.output, 11).status, verification::state::passed);
    // One element off by one part in a thousand of the output's scale.
    double scale = 0;
    for (double v : r.output) scale = std::max(scale, std::fabs(v));
    auto bad = r.output;
    bad[bad.size() / 3] += 1e-3 * scale;
    const auto v = check(d, p, false, in, bad, 11);
    EXPECT_EQ(v.status, verification::state::failed) << to_string(p);
    EXPECT_GT(*v.error, *v.tolerance);
    EXPECT_NE(v.detail.find(std::to_string(bad.size() / 3)), std::string::npos) << v.detail;
  }
}

}  // namespace
}  // namespace mlhpc::conv
