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
            "parameter m='abc': expected an integer (suffixes k, M, G, T: powers of 1024; a range "
            "START:END[:xF|:+S])");
  EXPECT_EQ(usage_message([&] { normalize_value(s[0], "0"); }),
            "parameter m=0: expected an integer at least 1");
  EXPECT_EQ(usage_message([&] { normalize_value(s[0], "-5"); }),
            "parameter m=-5: expected an integer at least 1");
  EXPECT_EQ(usage_message([&] { normalize_value(s[0], "12x"); }),
            "parameter m='12x': expected an integer (suffixes k, M, G, T: powers of 1024; a range "
            "START:END[:xF|:+S])");
  EXPECT_EQ(normalize_value(s[3], "auto"), "auto");
  EXPECT_EQ(usage_message([&] { normalize_value(s[3], "100"); }),
            "parameter size=100: expected an integer at least 4096 or auto");
}

TEST(NormalizeValue, SizeSuffixesArePowersOf1024) {
  const auto s = specs();
  EXPECT_EQ(normalize_value(s[0], "1k"), "1024");
  EXPECT_EQ(normalize_value(s[0], "1K"), "1024");
  EXPECT_EQ(normalize_value(s[0], "64M"), "67108864");
  EXPECT_EQ(normalize_value(s[0], "1G"), "1073741824");
  EXPECT_EQ(normalize_value(s[0], "2T"), "2199023255552");
  EXPECT_EQ(usage_message([&] { normalize_value(s[0], "1g"); }),
            "parameter m='1g': expected an integer (suffixes k, M, G, T: powers of 1024; a range "
            "START:END[:xF|:+S])");
  EXPECT_EQ(usage_message([&] { normalize_value(s[0], "k"); }),
            "parameter m='k': expected an integer (suffixes k, M, G, T: powers of 1024; a range "
            "START:END[:xF|:+S])");
  EXPECT_EQ(usage_message([&] { normalize_value(s[0], "9000000000000T"); }),
            "parameter m='9000000000000T': expected an integer (suffixes k, M, G, T: powers of "
            "1024; a range START:END[:xF|:+S])");
  std::int64_t v = 0;
  EXPECT_TRUE(parse_size("8", v));
  EXPECT_EQ(v, 8);
  EXPECT_FALSE(parse_size("1.5G", v));
  EXPECT_FALSE(parse_size("", v));
  EXPECT_FALSE(parse_size("1 G", v));
}

TEST(Expand, RangesAsNcclTestsAndOsuTakeThem) {
  const auto s = specs();
  EXPECT_EQ(expand_value(s[0], "8:64"), (std::vector<std::string>{"8", "16", "32", "64"}));
  EXPECT_EQ(expand_value(s[0], "256:8192:x2"),
            (std::vector<std::string>{"256", "512", "1024", "2048", "4096", "8192"}));
  EXPECT_EQ(expand_value(s[0], "1k:4k:+1k"),
            (std::vector<std::string>{"1024", "2048", "3072", "4096"}));
  EXPECT_EQ(expand_value(s[0], "3:20:x4"), (std::vector<std::string>{"3", "12"}));  // end not hit
  EXPECT_EQ(expand_value(s[0], "5:5"), std::vector<std::string>{"5"});
  const auto all = expand_value(s[0], "8:1G:x2");
  ASSERT_EQ(all.size(), 28u);
  EXPECT_EQ(all.front(), "8");
  EXPECT_EQ(all.back(), "1073741824");
  // Through --set and expand: a range and single values mix in one list.
  const auto p = expand(specs(), {parse_setting("m=1,4:16:x4")}, "workload x");
  ASSERT_EQ(p.size(), 3u);
  EXPECT_EQ(p[2].get("m"), "16");
  EXPECT_EQ(count_expansion(specs(), {parse_setting("m=1,4:16:x4"), parse_setting("n=1:10:+1")}),
            30u);
  // Ranges across zero or at the ends of the 64-bit range do not overflow.
  const param_spec wide{"w", param_type::integer, "0", "", {}, INT64_MIN, INT64_MAX};
  EXPECT_EQ(expand_value(wide, "-9223372036854775807:-9000000000000000000:+9000000000000000000"),
            std::vector<std::string>{"-9223372036854775807"});
  EXPECT_EQ(expand_value(wide, "-9000000000000000000:9000000000000000000:+9000000000000000000"),
            (std::vector<std::string>{"-9000000000000000000", "0", "9000000000000000000"}));
  EXPECT_EQ(expand_value(wide, "4611686018427387904:9223372036854775807:x2"),
            std::vector<std::string>{"4611686018427387904"});
  // The special words are not ranges; ranges of a text parameter are not ranges either.
  EXPECT_FALSE(is_range(s[2], "a:b"));
}

TEST(Expand, BadRangesNameTheValueAndTheExpectedForm) {
  const auto s = specs();
  const std::string form =
      "; expected a range START:END[:xFACTOR|:+STEP] (for example 8:1G:x2 or 256:8192:+256)";
  EXPECT_EQ(usage_message([&] { expand_value(s[0], "64:8"); }),
            "parameter m='64:8': the start 64 is above the end 8" + form);
  EXPECT_EQ(usage_message([&] { expand_value(s[0], "8:1G:x1"); }),
            "parameter m='8:1G:x1': the factor 1 must be at least 2" + form);
  EXPECT_EQ(usage_message([&] { expand_value(s[0], "8:1G:2"); }),
            "parameter m='8:1G:2': the step '2' is neither xFACTOR nor +STEP" + form);
  EXPECT_EQ(usage_message([&] { expand_value(s[0], "a:8"); }),
            "parameter m='a:8': the start 'a' is not an integer" + form);
  EXPECT_EQ(usage_message([&] { expand_value(s[0], "8:"); }),
            "parameter m='8:': the end '' is not an integer" + form);
  EXPECT_EQ(usage_message([&] { expand_value(s[0], "0:8:x2"); }),
            "parameter m='0:8:x2': a geometric range must start at 1 or more" + form);
  EXPECT_EQ(usage_message([&] { expand_value(s[0], "1:1G:+1"); }),
            "parameter m='1:1G:+1': the range has more than 100000 values");
  // Values of a range are checked as single values are.
  EXPECT_EQ(usage_message([&] { expand_value(s[3], "1k:8k"); }),
            "parameter size=1024: expected an integer at least 4096 or auto");
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

namespace mlhpc {
namespace {

// The one checked path from a parameter to a workload's arithmetic: a count that does not fit
// the type it is computed in, or a unit conversion past 2^63, is a usage error naming the value
// (it was a wrap to a tiny size: 2^32 files in a uint32_t is 0 files).
TEST(ProblemParams, NarrowingAndUnitConversionsAreChecked) {
  const problem_params p({{"files", "4294967296"},
                          {"readers", "2147483648"},
                          {"small", "7"},
                          {"file_mib", "8796093022208"},
                          {"ok_mib", "3"}});
  EXPECT_EQ(p.get_as<std::uint64_t>("files"), std::uint64_t{1} << 32);
  EXPECT_EQ(test::usage_message([&] { (void)p.get_as<std::uint32_t>("files"); }),
            "parameter files=4294967296: expected a value between 0 and 4294967295 (the largest "
            "this workload can represent)");
  EXPECT_EQ(test::usage_message([&] { (void)p.get_as<int>("readers"); }),
            "parameter readers=2147483648: expected a value between -2147483648 and 2147483647 "
            "(the largest this workload can represent)");
  EXPECT_EQ(p.get_as<int>("small"), 7);
  EXPECT_EQ(p.get_scaled<std::uint64_t>("ok_mib", 1 << 20, "MiB"), 3u << 20);
  // 2^43 MiB is 2^63 bytes: one past the largest.
  EXPECT_EQ(
      test::usage_message([&] { (void)p.get_scaled<std::uint64_t>("file_mib", 1 << 20, "MiB"); }),
      "parameter file_mib=8796093022208: 8796093022208 MiB is more than 2^63 - 1 bytes; "
      "expected a smaller value");
  // 3 KiB fits 32 bits; 2^22 KiB (4 GiB) does not.
  const problem_params q(
      std::vector<std::pair<std::string, std::string>>{{"block_kib", "4194304"}});
  EXPECT_EQ(
      test::usage_message([&] { (void)q.get_scaled<std::uint32_t>("block_kib", 1024, "KiB"); }),
      "parameter block_kib=4194304 (4194304 KiB): expected a value between 0 and 4294967295 "
      "(the largest this workload can represent)");
}

}  // namespace
}  // namespace mlhpc
