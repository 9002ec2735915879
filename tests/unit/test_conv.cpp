// conv problem lines (parse, print, round trip, messages) and the direct-convolution work model,
// checked against counts worked out by hand.
#include <gtest/gtest.h>

#include "bench/error.hpp"
#include "workloads/conv/conv.hpp"

namespace mlhpc::conv {
namespace {

std::string message_of(const std::string& line) {
  try {
    parse(line);
  } catch (const usage_error& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(ConvLine, CanonicalLinesRoundTrip) {
  for (const char* s : {"mb32ic64ih56oc64oh56kh3ph1", "ic3ih224oc64oh112kh7sh2ph3n\"conv1\"",
                        "g32mb8ic256ih28oc256oh28kh3ph1", "mb16ic1ih161iw700oc32oh79kh5kw20sh2",
                        "ic2ih9oc3oh5kh3dh1", "ic256ih56oc512oh28kh1sh2", "mb4ic3ih8oc4oh4kh3sh2",
                        "ic8ih7iw9oc8oh7ow5kh3kw5sw2ph1pw0", "mb16ic2048ih7oc512oh7kh1sh2ph3"}) {
    EXPECT_EQ(to_string(parse(s)), s);
  }
}

TEST(ConvLine, DefaultsAndWidthFieldsAreElided) {
  EXPECT_EQ(to_string(parse("mb32_ic64ih56iw56_oc64oh56ow56_kh3kw3_sh1sw1_ph1pw1_dh0dw0")),
            "mb32ic64ih56oc64oh56kh3ph1");
  EXPECT_EQ(to_string(parse("g1mb2ic64ih56oc64kh3ph1")), "ic64ih56oc64oh56kh3ph1");
  const desc d = parse("mb32ic64ih56oc64oh56kh3ph1n\"res2_2b\"");
  EXPECT_EQ(d.mb, 32);
  EXPECT_EQ(d.iw, 56);
  EXPECT_EQ(d.ow, 56);
  EXPECT_EQ(d.kw, 3);
  EXPECT_EQ(d.pw, 1);
  EXPECT_EQ(d.name, "res2_2b");
}

TEST(ConvLine, OutputSizeAndEndPaddingFollowTheFormula) {
  // Stride 2 with asymmetric padding: 8 rows, kernel 3, no start padding, 4 outputs: the last
  // window reaches one row past the input (end padding 1).
  const desc a = parse("mb4ic3ih8oc4oh4kh3sh2");
  EXPECT_EQ(a.ph, 0);
  EXPECT_EQ(a.ph_end(), 1);
  // The inferred output of the same line without oh: floor((8 - 3) / 2) + 1 = 3.
  EXPECT_EQ(parse("mb4ic3ih8oc4kh3sh2").oh, 3);
  // A 1x1 stride-2 layer skips the last row (end padding -1), as in ResNet-50.
  EXPECT_EQ(parse("ic256ih56oc512oh28kh1sh2").ph_end(), -1);
  // Dilation 1 (benchdnn's count of gaps): a 3-tap kernel spans 5 rows.
  const desc d = parse("ic2ih9oc3kh3dh1");
  EXPECT_EQ(d.kh_extent(), 5);
  EXPECT_EQ(d.oh, 5);
}

TEST(ConvWork, DirectCountsByHand) {
  // 2 * mb * oc * (ic/g) * the taps inside the input (benchdnn's count_ops: taps on padding are
  // not counted).
  // Stride 2 over 8 rows into 4 outputs with a 3-tap kernel: the end padding of 1 drops the last
  // output's last tap, 11 of 12 taps per axis.
  EXPECT_DOUBLE_EQ(valid_taps(4, 3, 8, 2, 0, 0), 11);
  EXPECT_DOUBLE_EQ(*work_of(parse("mb4ic3ih8oc4oh4kh3sh2"), pass::fwd_training, dtype::f32).flops,
                   2.0 * 4 * 4 * 3 * 11 * 11);  // 11616
  EXPECT_DOUBLE_EQ(*work_of(parse("ic2ih9oc3kh3dh1"), pass::bwd_data, dtype::f32).flops,
                   2.0 * 2 * 3 * 2 * 5 * 5 * 3 * 3);  // 5400: dilation counts taps, not span
  // Padding 1 on both sides: the first and last output lose one tap each, 13 of 15.
  EXPECT_DOUBLE_EQ(*work_of(parse("g2ic4ih5oc6oh5kh3ph1"), pass::bwd_weights, dtype::f32).flops,
                   2.0 * 2 * 6 * 2 * 13 * 13);  // 8112: groups divide the channels
  // ResNet-50 res2 3x3: 166 of 168 taps per axis, 2.4 % below the count with padding.
  EXPECT_DOUBLE_EQ(
      *work_of(parse("mb32ic64ih56oc64oh56kh3ph1"), pass::fwd_training, dtype::f32).flops,
      2.0 * 32 * 64 * 64 * 166 * 166);
  // Without padding the count is the familiar oh * ow * kh * kw.
  EXPECT_DOUBLE_EQ(*work_of(parse("mb2ic8ih14oc8oh12kh3"), pass::fwd_training, dtype::f32).flops,
                   2.0 * 2 * 8 * 8 * 12 * 12 * 3 * 3);
  const auto w = work_of(parse("mb4ic3ih8oc4oh4kh3sh2"), pass::fwd_training, dtype::f32);
  EXPECT_DOUBLE_EQ(*w.items, 4);
  EXPECT_EQ(w.item_unit, "image");
  // Bytes: src and weights read, dst written (f32).
  EXPECT_DOUBLE_EQ(*w.bytes, 4.0 * (4 * 3 * 8 * 8 + 4 * 3 * 3 * 3 + 4 * 4 * 4 * 4));
}

TEST(ConvLine, BadLinesPointAtTheBadField) {
  EXPECT_NE(message_of("mb32ic64ih56oc64oh56kh3ph1x5").find("unknown field at position 27"),
            std::string::npos)
      << message_of("mb32ic64ih56oc64oh56kh3ph1x5");
  EXPECT_NE(message_of("mb32ic64ih56oc64").find("missing field 'kh'"), std::string::npos);
  EXPECT_NE(message_of("ic64ic32ih5oc4kh1").find("field 'ic' given twice"), std::string::npos);
  EXPECT_NE(message_of("g3ic64ih56oc64oh56kh3ph1").find("ic 64 is not divisible by g 3"),
            std::string::npos);
  EXPECT_NE(message_of("ic64ih56oc64oh60kh3ph1").find("oh 60 does not match"), std::string::npos)
      << message_of("ic64ih56oc64oh60kh3ph1");
  EXPECT_NE(message_of("ic64ih2oc64kh5").find("does not fit"), std::string::npos)
      << message_of("ic64ih2oc64kh5");
  EXPECT_NE(message_of("ic0ih5oc4kh1").find("'ic' must be at least 1"), std::string::npos);
  EXPECT_NE(message_of("ic4ih5oc4kh1n\"a b\"").find("a name may hold"), std::string::npos);
  EXPECT_NE(message_of("ic4ih5oc4kh1n\"x").find("unterminated name"), std::string::npos);
  EXPECT_NE(message_of("ic4ih5oc4kh1n\"x\"mb2").find("text after the name"), std::string::npos);
  // Every message names the line and shows an example.
  EXPECT_NE(message_of("ic4ih5oc4kh1x").find("problem 'ic4ih5oc4kh1x'"), std::string::npos);
}

}  // namespace
}  // namespace mlhpc::conv
