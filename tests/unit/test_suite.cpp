#include "bench/suite.hpp"

#include <fmt/format.h>
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
  EXPECT_EQ(s.settings.at("repetitions"), "7");
  EXPECT_EQ(s.settings.at("warmup"), "0");
  EXPECT_EQ(s.settings.at("max_time"), "1.5");
  EXPECT_EQ(s.settings.at("ci_target"), "0.02");
  EXPECT_EQ(s.settings.count("min_time"), 0u);
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
            "suite 't.yaml' line 1 column 1: expected 'problems:' with a list of entries");
  EXPECT_EQ(usage_message("problems:\n  - workload: gemm\nextra: 1\n"),
            "suite 't.yaml' line 3 column 1: unknown key 'extra' (expected name, description, "
            "settings, problems)");
  EXPECT_EQ(usage_message("settings: {repetitions: many}\nproblems:\n  - workload: gemm\n"),
            "suite 't.yaml' line 1 column 25: settings.repetitions 'many': expected a whole "
            "number of timed samples, between 1 and 100000");
  EXPECT_EQ(usage_message("settings: {speed: 3}\nproblems:\n  - workload: gemm\n"),
            "suite 't.yaml' line 1 column 12: unknown setting 'speed' (expected repetitions, "
            "warmup, min_time, max_time, ci_target, threads, seed, counters, counter_pass, "
            "timeout, dir)");
  EXPECT_EQ(usage_message("problems:\n  - set: {m: 1}\n"),
            "suite 't.yaml' line 2 column 5: problem 1: missing 'workload'");
  EXPECT_EQ(usage_message("problems:\n  - workload: gemm\n    sett: {m: 1}\n"),
            "suite 't.yaml' line 3 column 5: problem 1: unknown key 'sett' (expected workload, "
            "set)");
}

// Settings pass the same numeric check as the options: no NaN, no infinity, every maximum.
TEST(Suite, SettingsRefuseNanInfinityAndValuesAboveTheirMaximum) {
  const std::string tail = "\nproblems:\n  - workload: gemm\n";
  EXPECT_EQ(usage_message("settings: {min_time: .nan}" + tail),
            "suite 't.yaml' line 1 column 22: settings.min_time '.nan': expected seconds, "
            "between 0 and 86400");
  EXPECT_NE(usage_message("settings: {max_time: .inf}" + tail).find("settings.max_time '.inf'"),
            std::string::npos);
  EXPECT_NE(usage_message("settings: {min_time: nan}" + tail).find("settings.min_time 'nan'"),
            std::string::npos);
  EXPECT_NE(usage_message("settings: {repetitions: 100001}" + tail)
                .find("settings.repetitions '100001': expected a whole number of timed "
                      "samples, between 1 and 100000"),
            std::string::npos);
  EXPECT_NE(usage_message("settings: {ci_target: ''}" + tail).find("settings.ci_target ''"),
            std::string::npos);
  EXPECT_NE(usage_message("settings: {threads: 1e3}" + tail).find("settings.threads '1e3'"),
            std::string::npos);
}

// Today the first or the last duplicate silently wins: each is refused with both places.
TEST(Suite, DuplicateKeysAreRefusedWithLineAndColumn) {
  EXPECT_EQ(usage_message("name: a\nname: b\nproblems:\n  - workload: gemm\n"),
            "suite 't.yaml' line 2 column 1: duplicate key 'name' (first at line 1 column 1); "
            "each key once");
  EXPECT_EQ(usage_message("problems:\n  - workload: gemm\n    set: {m: 1, m: 2}\n"),
            "suite 't.yaml' line 3 column 17: duplicate key 'm' (first at line 3 column 11); "
            "each key once");
  EXPECT_NE(usage_message("settings: {warmup: 1, warmup: 2}\nproblems:\n  - workload: gemm\n")
                .find("duplicate key 'warmup'"),
            std::string::npos);
  EXPECT_NE(usage_message("problems:\n  - workload: gemm\n    workload: stream\n")
                .find("line 3 column 5: duplicate key 'workload'"),
            std::string::npos);
}

TEST(Suite, SecondDocumentAndNonScalarKeysAreRefused) {
  EXPECT_EQ(usage_message("problems:\n  - workload: gemm\n---\nproblems:\n  - workload: x\n"),
            "suite 't.yaml' line 3 column 1: a second YAML document ('---'); expected one suite "
            "per file");
  // yaml-cpp 0.7 loops forever on a stray comma (found by the fuzzer): refused at once.
  EXPECT_EQ(usage_message(","),
            "suite 't.yaml' line 1 column 1: malformed YAML: the parser cannot go on from here (a "
            "',', ']' or '}' outside a list or mapping?)");
  EXPECT_NE(usage_message(",b]\n\xbc 2: stream ?[a ,b]\n\xbc 2: stream,}\n").find("malformed YAML"),
            std::string::npos);
  EXPECT_EQ(usage_message("? [a, b]\n: 1\nproblems:\n  - workload: gemm\n"),
            "suite 't.yaml' line 1 column 3: a key must be a single word (a scalar), not a list "
            "or mapping");
  EXPECT_NE(usage_message("problems:\n  - workload: gemm\n    set: {{m: 1}: 2}\n")
                .find("a key must be a single word"),
            std::string::npos);
}

// Aliases make a small file a huge tree; deep nesting is bounded: both refused, not a crash.
TEST(Suite, AliasBombsAndDeepNestingAreRefused) {
  std::string bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n";
  for (char c = 'b'; c <= 'j'; ++c)
    bomb += fmt::format("{}: &{} [*{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}]\n", c,
                        c, fmt::arg("p", std::string(1, static_cast<char>(c - 1))));
  bomb += "problems:\n  - workload: gemm\n";
  EXPECT_NE(usage_message(bomb).find("more than 100000 nodes"), std::string::npos)
      << usage_message(bomb);
  const std::string deep = "problems: " + std::string(5000, '[') + std::string(5000, ']') + "\n";
  EXPECT_NE(usage_message(deep).find("suite 't.yaml'"), std::string::npos) << usage_message(deep);
  const std::string nested = "problems: " + std::string(20, '[') + std::string(20, ']') + "\n";
  EXPECT_NE(usage_message(nested).find("nested deeper than 16 levels"), std::string::npos)
      << usage_message(nested);
}

TEST(Suite, UnreadableFileNamesIt) {
  try {
    load_suite("/nonexistent/dir/suite.yaml");
    FAIL() << "no error";
  } catch (const usage_error& e) {
    EXPECT_NE(std::string(e.what()).find("--suite '/nonexistent/dir/suite.yaml': no such file"),
              std::string::npos)
        << e.what();
  }
}

// An endless or special file is refused by its type before anything is read.
TEST(Suite, SpecialFilesAreRefusedByType) {
  try {
    load_suite("/dev/zero");
    FAIL() << "no error";
  } catch (const usage_error& e) {
    EXPECT_EQ(std::string(e.what()),
              "--suite '/dev/zero': is a character device; expected a regular file");
  }
  EXPECT_THROW(load_suite("/tmp"), usage_error);
}

TEST(Suite, ShippedQuickSuiteLoads) {
  const auto s = load_suite("quick");
  EXPECT_EQ(s.name, "quick");
  EXPECT_FALSE(s.entries.empty());
}

}  // namespace
}  // namespace mlhpc
