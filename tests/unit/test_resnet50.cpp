// The ResNet-50 description: shapes, counts and flops against the published figures, the conv
// workload's list derived from it, and bad configurations.
#include <gtest/gtest.h>

#include "bench/error.hpp"
#include "workloads/resnet50/network.hpp"
#include "workloads/resnet50/resnet50.hpp"

namespace mlhpc::resnet50 {
namespace {

TEST(ResNet50Network, HasTheLayersParametersAndFlopsOfResNet50V15) {
  const network n = build({});
  EXPECT_EQ(n.convs.size(), 53u);  // 1 + 16 blocks x 3 + 4 projections
  EXPECT_EQ(n.blocks.size(), 16u);
  EXPECT_EQ(n.final_c, 2048);
  EXPECT_EQ(n.final_h, 7);
  EXPECT_EQ(n.stem_h, 112);
  EXPECT_EQ(n.pool_h, 56);
  // torchvision's resnet50: 25,557,032 parameters.
  EXPECT_EQ(parameter_count(n), 25557032);
  // 4.09 GMAC forward per 224^2 image counting every tap (torchvision: 4.09 GFLOPS as
  // multiply-adds; 8.18 GFLOP forward, 24.5 GFLOP per training step).
  EXPECT_NEAR(layer_formula_flops_per_image(n) / 1e9, 24.5, 0.1);
  // The executed count skips taps on padding and conv1's input gradient: a little less.
  EXPECT_LT(training_flops_per_image(n), layer_formula_flops_per_image(n));
  EXPECT_GT(training_flops_per_image(n), 0.95 * layer_formula_flops_per_image(n));
  // v1.5: the stride is on the 3x3 of the first block of stages 3-5.
  const auto& b = n.blocks[3];  // res3a
  EXPECT_EQ(n.convs[static_cast<std::size_t>(b.c2a)].d.sh, 1);
  EXPECT_EQ(n.convs[static_cast<std::size_t>(b.c2b)].d.sh, 2);
  EXPECT_EQ(n.convs[static_cast<std::size_t>(b.c1)].d.sh, 2);
}

TEST(ResNet50Network, TheConvListIsBenchdnnsTwentyThreeLayers) {
  const auto d = distinct_convs(build({}));
  ASSERT_EQ(d.size(), 23u);
  int total = 0;
  for (const auto& c : d) total += c.count;
  EXPECT_EQ(total, 53);
  EXPECT_EQ(conv::to_string(d[0].d), "mb32ic3ih224oc64oh112kh7sh2ph3n\"conv1\"");
  EXPECT_EQ(conv::to_string(d[1].d), "mb32ic64ih56oc64oh56kh1n\"res2a_2a\"");
  EXPECT_EQ(conv::to_string(d[2].d), "mb32ic256ih56oc64oh56kh1n\"res2bc_2a\"");
  EXPECT_EQ(d[2].count, 2);
  EXPECT_EQ(conv::to_string(d[4].d), "mb32ic64ih56oc256oh56kh1n\"res2_2c_1\"");
  EXPECT_EQ(d[4].count, 4);
  EXPECT_EQ(conv::to_string(d[10].d), "mb32ic256ih56oc512oh28kh1sh2n\"res3a_1\"");
  EXPECT_EQ(conv::to_string(d[22].d), "mb32ic1024ih14oc2048oh7kh1sh2n\"res5a_1\"");
  const std::string list = conv_shape_list(build({}));
  EXPECT_NE(list.find("problem=mb32ic1024ih14oc256oh14kh1n\"res4bf_2a\" count=5\n"),
            std::string::npos)
      << list;
}

TEST(ResNet50Network, ScalesWithBatchImageAndWidth) {
  const network n = build({4, 64, 16, 10});
  EXPECT_EQ(n.final_h, 2);
  EXPECT_EQ(n.final_c, 16 * 8 * 4);
  EXPECT_EQ(n.convs[0].d.mb, 4);
  EXPECT_EQ(n.convs[0].d.oc, 16);
  // The step's flops per image scale with the pixels (padding aside).
  const double r = layer_formula_flops_per_image(build({1, 448, 64, 1000})) /
                   layer_formula_flops_per_image(build({}));
  EXPECT_NEAR(r, 4.0, 0.01);
}

TEST(ResNet50Network, BadConfigurationsNameTheValue) {
  try {
    build({0, 224, 64, 1000});
    FAIL();
  } catch (const usage_error& e) {
    EXPECT_NE(std::string(e.what()).find("batch=0"), std::string::npos) << e.what();
  }
  try {
    build({2, 31, 64, 1000});
    FAIL();
  } catch (const usage_error& e) {
    EXPECT_NE(std::string(e.what()).find("image=31: expected at least 32"), std::string::npos)
        << e.what();
  }
}

}  // namespace
}  // namespace mlhpc::resnet50
