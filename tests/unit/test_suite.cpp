#include "bench/suite.hpp"

#include <gtest/gtest.h>

#include "bench/error.hpp"

namespace mlhpc {
namespace {

std::string usage_message(const std::string& text) {
  try {
    parse_suite(text, "t.yaml");
  } catch (const usage_error& e) {
    return e.what();
  }
  return "(no usage_error thrown)";
}

TEST(Suite, ParsesSettingsAndProblems) {
  const auto s = parse_suite(R"(
name: demo
description: two problems
settings: {repetitions: 7, warmup: 0, max_time: 1.5, ci_target: 0.02}
problems:
  - workload: peak:f32
  - workload: gemm
    set: {m: [128, 256], n: "64,32", k: 16}
)",
                             "demo.yaml");
  EXPECT_EQ(s.name, "demo");
  EXPECT_EQ(*s.repetitions, 7);
  EXPECT_EQ(*s.warmup, 0);
  EXPECT_DOUBLE_EQ(*s.max_time_s, 1.5);
  EXPECT_DOUBLE_EQ(*s.ci_target, 0.02);
  EXPECT_FALSE(s.min_time_s.has_value());
  ASSERT_EQ(s.entries.size(), 2u);
  EXPECT_EQ(s.entries[0].workload, "peak:f32");
  EXPECT_TRUE(s.entries[0].settings.empty());
  ASSERT_EQ(s.entries[1].settings.size(), 3u);
  EXPECT_EQ(s.entries[1].settings[0].key, "m");
  EXPECT_EQ(s.entries[1].settings[0].values, (std::vector<std::string>{"128", "256"}));
  EXPECT_EQ(s.entries[1].settings[1].values, (std::vector<std::string>{"64", "32"}));
  EXPECT_EQ(s.entries[1].origin, "suite demo problem 2");
}

TEST(Suite, MalformedYamlNamesLineAndColumn) {
  const auto msg = usage_message("problems:\n  - workload: [gemm\n");
  EXPECT_NE(msg.find("suite 't.yaml' line"), std::string::npos) << msg;
  EXPECT_NE(msg.find("malformed YAML"), std::string::npos) << msg;
}

TEST(Suite, Errors) {
  EXPECT_EQ(usage_message("- a\n- b\n"),
            "suite 't.yaml': expected a mapping with 'problems' (and optionally 'name', "
            "'description', 'settings')");
  EXPECT_EQ(usage_message("name: x\n"),
            "suite 't.yaml' line 1: expected 'problems:' with a list of entries");
  EXPECT_EQ(usage_message("problems:\n  - workload: gemm\nextra: 1\n"),
            "suite 't.yaml' line 3: unknown key 'extra' (expected name, description, settings, "
            "problems)");
  EXPECT_EQ(usage_message("settings: {repetitions: many}\nproblems:\n  - workload: gemm\n"),
            "suite 't.yaml' line 1: settings.repetitions: 'many' is not a whole number");
  EXPECT_EQ(usage_message("settings: {speed: 3}\nproblems:\n  - workload: gemm\n"),
            "suite 't.yaml' line 1: unknown setting 'speed' (expected repetitions, warmup, "
            "threads, min_time, max_time, ci_target, counters, counter_pass)");
  EXPECT_EQ(usage_message("problems:\n  - set: {m: 1}\n"),
            "suite 't.yaml' line 2: problem 1: missing 'workload'");
  EXPECT_EQ(usage_message("problems:\n  - workload: gemm\n    sett: {m: 1}\n"),
            "suite 't.yaml' line 3: problem 1: unknown key 'sett' (expected workload, set)");
}

TEST(Suite, UnreadableFileNamesIt) {
  try {
    load_suite("/nonexistent/dir/suite.yaml");
    FAIL() << "no error";
  } catch (const usage_error& e) {
    EXPECT_NE(std::string(e.what()).find("--suite '/nonexistent/dir/suite.yaml': cannot read"),
              std::string::npos)
        << e.what();
  }
}

TEST(Suite, ShippedQuickSuiteLoads) {
  const auto s = load_suite("quick");
  EXPECT_EQ(s.name, "quick");
  EXPECT_FALSE(s.entries.empty());
}

}  // namespace
}  // namespace mlhpc
