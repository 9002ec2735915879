// Honest statuses: every reason a result should not be trusted (trust_issues), the ceiling and
// nominal-peak flags of apply_ceilings, and the rate vocabulary's units.
#include <gtest/gtest.h>

#include <algorithm>

#include "bench/rates.hpp"
#include "bench/session.hpp"

namespace mlhpc {
namespace {

using nlohmann::json;

std::vector<std::string> codes(const json& issues) {
  std::vector<std::string> out;
  for (const auto& t : issues) out.push_back(t["code"]);
  return out;
}

json clean_result() {
  return {{"threads", 2},
          {"statistics",
           {{"n", 20},
            {"cv", 0.01},
            {"median_ci95_s", {{"low", 0.99}, {"high", 1.01}}},
            {"median_ci95_relative_halfwidth", 0.005}}},
          {"measurement", {{"stop_reason", "ci_target_met"}}},
          {"counters",
           {{"unavailable", json::object()}, {"derived", {{"busy_threads", {{"value", 1.99}}}}}}}};
}

session_options pinned_options() {
  session_options opt;
  opt.config.threads = 2;
  opt.threads_pinned = true;
  opt.allowed_cpus = 2;
  return opt;
}

TEST(Trust, ACleanResultHasNoIssues) {
  EXPECT_TRUE(trust_issues(clean_result(), pinned_options(), 2).empty());
}

TEST(Trust, EveryReasonIsNamedWithItsFigures) {
  json r = clean_result();
  r["statistics"]["cv"] = 0.12;
  r["statistics"]["median_ci95_relative_halfwidth"] = 0.03;
  r["measurement"]["stop_reason"] = "max_time_reached";
  r["counters"]["unavailable"] = {{"cycles", "no PMU"}, {"energy", "no RAPL"}};
  r["counters"]["derived"]["busy_threads"]["value"] = 1.2;
  session_options opt = pinned_options();
  opt.threads_pinned = false;
  opt.allowed_cpus = 1;
  const json issues = trust_issues(r, opt, 1);
  EXPECT_EQ(codes(issues),
            (std::vector<std::string>{"high_cv", "ci_target_missed", "threads_overridden",
                                      "threads_oversubscribed", "threads_unpinned",
                                      "counters_unavailable", "fewer_busy_threads"}));
  EXPECT_NE(issues[0]["detail"].get<std::string>().find("12.0 %"), std::string::npos);
  EXPECT_NE(issues[1]["detail"].get<std::string>().find("max_time_reached"), std::string::npos);
  EXPECT_NE(issues[2]["detail"].get<std::string>().find("2 threads were requested but OpenMP "
                                                        "started 1"),
            std::string::npos);
  EXPECT_NE(issues[5]["detail"].get<std::string>().find("cycles, energy"), std::string::npos);
  EXPECT_NE(issues[6]["detail"].get<std::string>().find("1.20 threads"), std::string::npos);
}

TEST(Trust, TooFewSamplesForAnIntervalIsAnIssue) {
  json r = clean_result();
  r["statistics"] = {{"n", 3}, {"cv", 0.01}};
  EXPECT_EQ(codes(trust_issues(r, pinned_options(), 2)),
            std::vector<std::string>{"no_median_interval"});
}

// A run's document: a nominal peak of 100 Gflop/s f32, a peak result and a GEMM against it.
json doc_with_rates(double peak_best, double gemm_best) {
  json peak = {{"key", "peak:f32"},
               {"workload", "peak"},
               {"variant", "f32"},
               {"status", "ok"},
               {"provides_ceiling", {{"key", "flops:f32"}, {"metric", "flops_per_s"}}},
               {"rates", {{"flops_per_s", {{"median", peak_best * 0.98}, {"best", peak_best}}}}},
               {"trust_issues", json::array()}};
  json gemm = {{"key", "gemm:f32"},
               {"workload", "gemm"},
               {"variant", "f32"},
               {"status", "ok"},
               {"ceiling", {{"key", "flops:f32"}, {"metric", "flops_per_s"}}},
               {"rates", {{"flops_per_s", {{"median", gemm_best * 0.98}, {"best", gemm_best}}}}},
               {"trust_issues", json::array()}};
  return {
      {"context",
       {{"nominal_peak",
         {{"rates", {{"flops:f32", {{"value", 100e9}, {"unit", "flop/s"}, {"isa", "avx512"}}}}}}}}},
      {"results", {peak, gemm}}};
}

TEST(Ceilings, TheNominalPeakStandsBesideTheMeasuredCeiling) {
  json doc = doc_with_rates(95e9, 90e9);
  apply_ceilings(doc, json::object());
  const auto& c = doc["ceilings"]["flops:f32"];
  EXPECT_DOUBLE_EQ(c["value"].get<double>(), 95e9);
  EXPECT_EQ(c["unit"], "flop/s");
  EXPECT_DOUBLE_EQ(c["nominal"]["value"].get<double>(), 100e9);
  EXPECT_DOUBLE_EQ(c["nominal"]["measured_share"].get<double>(), 0.95);
  EXPECT_FALSE(c.contains("above_nominal"));
  EXPECT_TRUE(doc["results"][0]["trust_issues"].empty());
  EXPECT_TRUE(doc["results"][1]["trust_issues"].empty());
  EXPECT_NEAR(doc["results"][1]["ceiling"]["share"].get<double>(), 90e9 * 0.98 / 95e9, 1e-12);
}

TEST(Ceilings, ACeilingAboveNominalAndAResultAboveItsCeilingAreCountingErrors) {
  // Twelve merged chains counted as twelve: three times the nominal peak.
  json doc = doc_with_rates(300e9, 90e9);
  apply_ceilings(doc, json::object());
  EXPECT_TRUE(doc["ceilings"]["flops:f32"]["above_nominal"].get<bool>());
  EXPECT_EQ(codes(doc["results"][0]["trust_issues"]),
            std::vector<std::string>{"above_nominal_peak"});
  EXPECT_NE(
      doc["results"][0]["trust_issues"][0]["detail"].get<std::string>().find("counting error"),
      std::string::npos);
  // A GEMM above the measured ceiling.
  json doc2 = doc_with_rates(95e9, 97e9);
  apply_ceilings(doc2, json::object());
  EXPECT_EQ(codes(doc2["results"][1]["trust_issues"]), std::vector<std::string>{"above_ceiling"});
  EXPECT_TRUE(doc2["results"][1]["ceiling"]["exceeded"].get<bool>());
  // Recomputed after every problem: the flags are not repeated.
  apply_ceilings(doc2, json::object());
  apply_ceilings(doc, json::object());
  EXPECT_EQ(doc2["results"][1]["trust_issues"].size(), 1U);
  EXPECT_EQ(doc["results"][0]["trust_issues"].size(), 1U);
  // Within the 2 % allowed for a measured clock: no flag.
  json doc3 = doc_with_rates(101.5e9, 90e9);
  apply_ceilings(doc3, json::object());
  EXPECT_TRUE(doc3["results"][0]["trust_issues"].empty());
}

// A ceiling measured while disturbed sits beside a clock measured while disturbed: 104 % of its
// nominal peak is then not called a counting error (the untrustworthy ceiling is said), while
// a merged-accumulator factor of three still is.
TEST(Ceilings, ADisturbedCeilingSlightlyAboveNominalIsNotACountingError) {
  for (const auto& [best, counting] : {std::pair{104e9, false}, std::pair{300e9, true}}) {
    json doc = doc_with_rates(best, 90e9);
    doc["results"][0]["trust_issues"] = {
        {{"code", "high_cv"}, {"detail", "coefficient of variation 155 % is above 5.0 %"}}};
    apply_ceilings(doc, json::object());
    const auto& c = doc["ceilings"]["flops:f32"];
    EXPECT_TRUE(c.contains("untrustworthy")) << c.dump();
    EXPECT_EQ(c.contains("above_nominal"), counting) << c.dump();
    const auto issues = codes(doc["results"][0]["trust_issues"]);
    EXPECT_EQ(std::find(issues.begin(), issues.end(), "above_nominal_peak") != issues.end(),
              counting)
        << doc["results"][0]["trust_issues"].dump();
  }
}

// A neighbour took a core while peak ran: its ceiling read 86 of 230 GFLOP/s with a CV of 27 %,
// and a training step was then "125 % of its ceiling: a counting or precision mismatch". The
// ceiling is what was wrong, and the share says so, naming it.
TEST(Ceilings, ASharesOfADisturbedCeilingNameTheCeilingNotTheCounting) {
  json doc = doc_with_rates(86e9, 107e9);
  doc["results"][0]["trust_issues"] = {
      {{"code", "high_cv"}, {"detail", "coefficient of variation 27.0 % is above 5.0 %"}}};
  apply_ceilings(doc, json::object());
  const auto& c = doc["ceilings"]["flops:f32"];
  EXPECT_EQ(c["untrustworthy"],
            "peak:f32 was measured while disturbed: coefficient of variation 27.0 % is above "
            "5.0 %");
  const auto& gemm = doc["results"][1];
  EXPECT_EQ(codes(gemm["trust_issues"]), std::vector<std::string>{"ceiling_untrustworthy"});
  EXPECT_EQ(gemm["trust_issues"][0]["detail"],
            "the ceiling flops:f32 (86.0 GFLOP/s) is untrustworthy, so this share of it (122 %) "
            "is too: peak:f32 was measured while disturbed: coefficient of variation 27.0 % is "
            "above 5.0 %");
  EXPECT_EQ(gemm["ceiling"]["untrustworthy"], c["untrustworthy"]);
  EXPECT_TRUE(gemm["ceiling"]["exceeded"].get<bool>());
  // Recomputed after every problem, without repeating itself; a quiet ceiling clears it.
  apply_ceilings(doc, json::object());
  EXPECT_EQ(doc["results"][1]["trust_issues"].size(), 1U);
  doc["results"][0]["trust_issues"] = json::array();
  apply_ceilings(doc, json::object());
  EXPECT_EQ(codes(doc["results"][1]["trust_issues"]), std::vector<std::string>{"above_ceiling"});
  EXPECT_FALSE(doc["ceilings"]["flops:f32"].contains("untrustworthy"));
  EXPECT_FALSE(doc["results"][1]["ceiling"].contains("untrustworthy"));
}

TEST(Rates, EachRateHasItsOwnUnitAndAResultItsJudgedMetric) {
  const json gemm_int8 = {{"workload", "gemm"}, {"variant", "int8"}};
  EXPECT_EQ(rate_unit(gemm_int8, "flops_per_s"), "op/s");
  const json conv_int8 = {
      {"workload", "conv"}, {"variant", "2d"}, {"parameters", {{"dtype", "int8"}}}};
  EXPECT_EQ(rate_unit(conv_int8, "flops_per_s"), "op/s");
  EXPECT_EQ(rate_unit({{"variant", "f32"}}, "flops_per_s"), "flop/s");
  EXPECT_EQ(rate_unit({{"variant", "triad"}}, "bytes_per_s"), "byte/s");
  EXPECT_EQ(rate_unit({{"work", {{"item_unit", "image"}}}}, "items_per_s"), "image/s");
  // A unit written in the file wins.
  EXPECT_EQ(rate_unit({{"rates", {{"items_per_s", {{"unit", "sample/s"}}}}}}, "items_per_s"),
            "sample/s");
  const json stream = {
      {"rates", {{"flops_per_s", {{"median", 1}}}, {"bytes_per_s", {{"median", 2}}}}},
      {"provides_ceiling", {{"key", "bytes:memory"}, {"metric", "bytes_per_s"}}}};
  EXPECT_EQ(judged_metric(stream), "bytes_per_s");
  EXPECT_EQ(judged_metric({{"rates", {{"items_per_s", {{"median", 1}}}}}}), "items_per_s");
  EXPECT_EQ(judged_metric({{"status", "skipped"}}), "");
}

}  // namespace
}  // namespace mlhpc
