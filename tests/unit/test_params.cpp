#include "bench/params.hpp"

#include <gtest/gtest.h>

#include "bench/error.hpp"

#include "tests/support/usage.hpp"

namespace mlhpc {
namespace {

std::vector<param_spec> specs() {
  return {{"m", param_type::integer, "1024", "rows"},
          {"n", param_type::integer, "64", "cols"},
          {"trans", param_type::choice, "n", "transpose", {"n", "t"}},
          {"size", param_type::integer, "auto", "bytes", {}, 4096, INT64_MAX, {"auto"}},
          {"flag", param_type::boolean, "false", "a flag"}};
}

using mlhpc::test::usage_message;

TEST(ParseSetting, SingleAndList) {
  const auto s = parse_setting("m=512");
  EXPECT_EQ(s.key, "m");
  EXPECT_EQ(s.values, std::vector<std::string>{"512"});
  const auto l = parse_setting("m=1,2,3");
  EXPECT_EQ(l.values, (std::vector<std::string>{"1", "2", "3"}));
}

TEST(ParseSetting, Errors) {
  EXPECT_EQ(usage_message([] { parse_setting("m"); }),
            "--set 'm': expected key=value (for example m=1024 or m=512,1024)");
  EXPECT_EQ(usage_message([] { parse_setting("=5"); }), "--set '=5': the key before '=' is empty");
  EXPECT_EQ(usage_message([] { parse_setting("m="); }),
            "--set 'm=': no value after '=' for key 'm'");
  EXPECT_EQ(usage_message([] { parse_setting("m=1,,2"); }),
            "--set 'm=1,,2': empty value in the list for key 'm' (expected v1,v2,...)");
}

TEST(NormalizeValue, IntegersAndRanges) {
  const auto s = specs();
  EXPECT_EQ(normalize_value(s[0], "2048"), "2048");
  EXPECT_EQ(usage_message([&] { normalize_value(s[0], "abc"); }),
            "parameter m='abc': expected an integer");
  EXPECT_EQ(usage_message([&] { normalize_value(s[0], "0"); }),
            "parameter m=0: expected an integer at least 1");
  EXPECT_EQ(usage_message([&] { normalize_value(s[0], "-5"); }),
            "parameter m=-5: expected an integer at least 1");
  EXPECT_EQ(usage_message([&] { normalize_value(s[0], "12x"); }),
            "parameter m='12x': expected an integer");
  EXPECT_EQ(normalize_value(s[3], "auto"), "auto");
  EXPECT_EQ(usage_message([&] { normalize_value(s[3], "100"); }),
            "parameter size=100: expected an integer at least 4096 or auto");
}

TEST(NormalizeValue, ChoicesAndBooleans) {
  const auto s = specs();
  EXPECT_EQ(normalize_value(s[2], "t"), "t");
  EXPECT_EQ(usage_message([&] { normalize_value(s[2], "x"); }),
            "parameter trans='x': expected one of n, t");
  EXPECT_EQ(normalize_value(s[4], "YES"), "true");
  EXPECT_EQ(normalize_value(s[4], "0"), "false");
  EXPECT_EQ(usage_message([&] { normalize_value(s[4], "maybe"); }),
            "parameter flag='maybe': expected true or false");
}

TEST(Expand, DefaultsOnly) {
  const auto p = expand(specs(), {}, "workload x");
  ASSERT_EQ(p.size(), 1u);
  EXPECT_EQ(p[0].canonical(), "m=1024 n=64 trans=n size=auto flag=false");
}

TEST(Expand, CartesianProductLastVariesFastest) {
  const auto p = expand(specs(), {parse_setting("m=1,2"), parse_setting("trans=n,t")}, "w");
  ASSERT_EQ(p.size(), 4u);
  EXPECT_EQ(p[0].get("m"), "1");
  EXPECT_EQ(p[0].get("trans"), "n");
  EXPECT_EQ(p[1].get("m"), "1");
  EXPECT_EQ(p[1].get("trans"), "t");
  EXPECT_EQ(p[2].get("m"), "2");
  EXPECT_EQ(p[3].get("trans"), "t");
  EXPECT_EQ(p[3].get_int("m"), 2);
}

TEST(Expand, ThreeSweepsMultiply) {
  const auto p = expand(
      specs(), {parse_setting("m=1,2,3"), parse_setting("n=4,5"), parse_setting("flag=true,false")},
      "w");
  EXPECT_EQ(p.size(), 12u);
}

TEST(Expand, LaterSettingOfTheSameKeyWins) {
  const auto p = expand(specs(), {parse_setting("m=1,2"), parse_setting("m=7")}, "w");
  ASSERT_EQ(p.size(), 1u);
  EXPECT_EQ(p[0].get("m"), "7");
}

TEST(Expand, UnknownKeyNamesTheKnownOnes) {
  EXPECT_EQ(
      usage_message([] { expand(specs(), {parse_setting("q=1")}, "workload gemm:f32"); }),
      "unknown parameter 'q' for workload gemm:f32 (expected one of: m, n, trans, size, flag)");
}

TEST(ProblemParams, TypedJson) {
  const auto p = expand(specs(), {parse_setting("flag=on")}, "w")[0];
  const auto j = p.to_json(specs());
  EXPECT_EQ(j["m"], 1024);
  EXPECT_EQ(j["trans"], "n");
  EXPECT_EQ(j["size"], "auto");
  EXPECT_EQ(j["flag"], true);
}

}  // namespace
}  // namespace mlhpc
