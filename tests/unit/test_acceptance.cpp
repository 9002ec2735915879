// The verdict rules of mlhpc accept (reports/acceptance.hpp), on hand-made result documents.
#include "reports/acceptance.hpp"

#include <gtest/gtest.h>

namespace mlhpc::reports {
namespace {

using nlohmann::json;

json ok_result(const std::string& key, const std::string& workload, double median_rate,
               double best_rate, const std::string& metric = "flops_per_s",
               const std::string& unit = "flop/s") {
  return {{"key", key},
          {"label", key},
          {"pairing_key", key},
          {"workload", workload},
          {"variant", "x"},
          {"status", "ok"},
          {"statistics", {{"median_s", 1.0}, {"n", 10}}},
          {"rates", {{metric, {{"median", median_rate}, {"best", best_rate}, {"unit", unit}}}}},
          {"trust_issues", json::array()}};
}

json doc_with(const std::vector<json>& results) {
  json d = {
      {"context",
       {{"system", {{"host", "node7"}}},
        {"nominal_peak", {{"rates", {{"flops:f32", {{"value", 200e9}, {"unit", "flop/s"}}}}}}}}},
      {"results", results}};
  return d;
}

json peak(double best) {
  json r = ok_result("peak:f32", "peak", best, best);
  r["provides_ceiling"] = {{"key", "flops:f32"}, {"metric", "flops_per_s"}};
  return r;
}

json only_check(const json& acceptance) {
  return acceptance["checks"][0];
}

TEST(Acceptance, PeakIsJudgedAgainstTheNominalPeakWithWarnAndFailThresholds) {
  const acceptance_thresholds t;  // 0.90 / 0.80
  for (const auto& [best, verdict] :
       {std::pair{190e9, "pass"}, std::pair{170e9, "warn"}, std::pair{150e9, "fail"}}) {
    const json a = judge_node(doc_with({peak(best)}), {}, t);
    const json c = only_check(a);
    EXPECT_EQ(c["verdict"], verdict) << best;
    ASSERT_EQ(c["judgements"].size(), 1u);
    EXPECT_DOUBLE_EQ(c["judgements"][0]["ratio"].get<double>(), best / 200e9);
    EXPECT_EQ(c["judgements"][0]["against"], "nominal peak (flops:f32)");
    EXPECT_EQ(a["verdict"], verdict);
  }
  // Thresholds are options: 0.95 / 0.90 make 0.925 a warning.
  acceptance_thresholds strict;
  strict.nominal_warn = 0.95;
  strict.nominal_fail = 0.90;
  EXPECT_EQ(only_check(judge_node(doc_with({peak(185e9)}), {}, strict))["verdict"], "warn");
}

TEST(Acceptance, ShareOfTheMeasuredCeilingAndTheStepsOwnThresholds) {
  json gemm = ok_result("gemm:f32 m=1", "gemm", 120e9, 125e9);
  gemm["ceiling"] = {{"key", "flops:f32"}, {"metric", "flops_per_s"}, {"share", 0.6}};
  json step = ok_result("resnet50:train", "resnet50", 60e9, 61e9);
  step["ceiling"] = {{"key", "flops:f32"}, {"metric", "flops_per_s"}, {"share", 0.3}};
  const json a = judge_node(doc_with({gemm, step}), {}, acceptance_thresholds{});
  EXPECT_EQ(a["checks"][0]["verdict"], "warn");  // 0.6 < 0.70
  EXPECT_EQ(a["checks"][1]["verdict"], "pass");  // 0.3 >= 0.25 for a training step
  EXPECT_EQ(a["verdict"], "warn");
  EXPECT_EQ(acceptance_status(a), 0);
  gemm["ceiling"]["share"] = 0.4;
  EXPECT_EQ(judge_node(doc_with({gemm}), {}, acceptance_thresholds{})["verdict"], "fail");
}

TEST(Acceptance, ReferenceFilesJudgeByTheMedianRateOfTheSameProblem) {
  const json ref = doc_with({ok_result("io:seq_read", "io", 2e9, 2.1e9, "bytes_per_s", "byte/s")});
  for (const auto& [median, verdict] :
       {std::pair{1.95e9, "pass"}, std::pair{1.85e9, "warn"}, std::pair{1.7e9, "fail"}}) {
    const json a = judge_node(
        doc_with({ok_result("io:seq_read", "io", median, median, "bytes_per_s", "byte/s")}),
        {{"fleet.json", ref}}, acceptance_thresholds{});
    EXPECT_EQ(only_check(a)["verdict"], verdict) << median;
    EXPECT_EQ(only_check(a)["judgements"][0]["against"], "reference fleet.json");
    EXPECT_EQ(a["references"], json::array({"fleet.json"}));
  }
  // A problem the reference does not hold: said, and nothing to judge.
  const json other =
      judge_node(doc_with({ok_result("io:rand_read", "io", 1, 1, "bytes_per_s", "byte/s")}),
                 {{"fleet.json", ref}}, acceptance_thresholds{});
  EXPECT_EQ(only_check(other)["verdict"], "unjudged");
  EXPECT_EQ(only_check(other)["notes"][0], "no result of this problem in the reference fleet.json");
  EXPECT_EQ(other["verdict"], "unjudged");
}

TEST(Acceptance, StatusTrustAndRanksBeyondTheRatios) {
  const acceptance_thresholds t;
  json failed = {{"key", "gemm:bf16"}, {"status", "failed"}, {"reason", "oneDNN: out of memory"}};
  json skipped = {{"key", "allreduce:mpi"}, {"status", "skipped"}, {"reason", "needs mpirun"}};
  json cached = ok_result("io:seq_read", "io", 9e9, 9e9, "bytes_per_s", "byte/s");
  cached["status"] = "cached";
  cached["reason"] = "98 % of the data set stayed in the page cache";
  json noisy = peak(195e9);
  noisy["trust_issues"] = {{{"code", "high_cv"}, {"detail", "cv 12 %"}},
                           {{"code", "counters_unavailable"}, {"detail", "no PMU"}}};
  json counting = peak(195e9);
  counting["trust_issues"] = {{{"code", "above_nominal_peak"}, {"detail", "110 % of nominal"}}};
  json waiting = ok_result("io:rand_read", "io", 1e8, 1e8, "bytes_per_s", "byte/s");
  waiting["trust_issues"] = {{{"code", "fewer_busy_threads"}, {"detail", "0.1 threads"}}};
  json slow_rank = peak(195e9);
  slow_rank["ranks"] = {
      {"acceptance", {{"outliers", {{{"rank", 7}, {"host", "node12"}, {"deviation", 0.21}}}}}}};
  const json a =
      judge_node(doc_with({failed, skipped, cached, noisy, counting, waiting, slow_rank}), {}, t);
  const auto& c = a["checks"];
  EXPECT_EQ(c[0]["verdict"], "fail");
  EXPECT_EQ(c[0]["notes"][0], "failed: oneDNN: out of memory");
  EXPECT_EQ(c[1]["verdict"], "unjudged");
  EXPECT_EQ(c[2]["verdict"], "warn");  // cached: not a measurement of the storage
  EXPECT_EQ(c[3]["verdict"], "warn");  // a good ratio, but the timing cannot be trusted
  EXPECT_EQ(c[3]["untrustworthy"], json::array({"high_cv"}));  // ctr concerns no timing
  EXPECT_EQ(c[4]["verdict"], "fail");                          // a counting error
  EXPECT_EQ(c[5]["verdict"], "unjudged");  // I/O waits by nature; nothing to judge it by
  EXPECT_EQ(c[6]["verdict"], "fail");
  EXPECT_EQ(c[6]["notes"][0], "rank 7 on node12 stands out: +21.0 % from the median of the ranks");
  EXPECT_EQ(a["verdict"], "fail");
  EXPECT_EQ(a["counts"], json({{"pass", 0}, {"warn", 2}, {"fail", 3}, {"unjudged", 2}}));
  EXPECT_EQ(acceptance_status(a), 1);
}

// A rank that holds the job (its threads waited for a CPU: a quota, a shared core) fails the
// check even when its samples look fine, naming the cgroup's throttling.
TEST(Acceptance, ARankThatHoldsTheJobFailsItsCheck) {
  json r = peak(195e9);
  r["ranks"] = {{"acceptance",
                 {{"outliers", json::array()},
                  {"held_the_job",
                   {{{"rank", 2},
                     {"host", "node3"},
                     {"cpu_wait_share", 0.85},
                     {"others_cpu_wait_share", 0.08},
                     {"excess", 0.77},
                     {"cgroup_throttled_s", 1.8}}}}}}};
  const json c = only_check(judge_node(doc_with({r}), {}, acceptance_thresholds{}));
  EXPECT_EQ(c["verdict"], "fail");
  ASSERT_EQ(c["notes"].size(), 1u) << c.dump();
  EXPECT_EQ(c["notes"][0],
            "rank 2 on node3 holds the job: its threads waited for a CPU 85 % of their runnable "
            "time, the other ranks 8 % (its cgroup's CPU quota throttled it 1.8 s)");
}

// A valid but tiny reference rate (1e-310 B/s, positive as the schema asks) makes the ratio
// overflow: no judgement with a null ratio, a note and a warning instead.
TEST(Acceptance, AReferenceThatGivesNoFiniteRatioIsANoteNotANullRatio) {
  json r = ok_result("io:rand_read", "io", 1e9, 1e9, "bytes_per_s", "byte/s");
  json ref = doc_with({ok_result("io:rand_read", "io", 1e-310, 1e-310, "bytes_per_s", "byte/s")});
  const json c =
      only_check(judge_node(doc_with({r}), {{"tiny.json", ref}}, acceptance_thresholds{}));
  EXPECT_TRUE(c["judgements"].empty()) << c.dump();
  EXPECT_EQ(c["verdict"], "warn");
  ASSERT_EQ(c["notes"].size(), 1u) << c.dump();
  EXPECT_NE(c["notes"][0].get<std::string>().find("not judged against reference tiny.json"),
            std::string::npos);
  EXPECT_EQ(c.dump().find("null"), std::string::npos) << c.dump();
}

TEST(Acceptance, StreamNeedsTheMemorysNominalBandwidth) {
  json triad = ok_result("stream:triad", "stream", 60e9, 70e9, "bytes_per_s", "byte/s");
  const json without = judge_node(doc_with({triad}), {}, acceptance_thresholds{});
  EXPECT_EQ(only_check(without)["verdict"], "unjudged");
  EXPECT_EQ(only_check(without)["notes"][0],
            "no nominal memory bandwidth (give --memory-channels and --memory-mts)");
  acceptance_thresholds t;
  t.memory_bytes_per_s = 8 * 3200e6 * 8;  // 8 channels of DDR4-3200: 204.8 GB/s
  const json with = judge_node(doc_with({triad}), {}, t);
  EXPECT_NEAR(only_check(with)["judgements"][0]["ratio"].get<double>(), 70e9 / 204.8e9, 1e-12);
  EXPECT_EQ(only_check(with)["verdict"], "fail");  // 34 % < 45 %
  EXPECT_EQ(with["memory_bytes_per_s"], 204.8e9);
}

TEST(Acceptance, OneLinePerCheckAndOneForTheNode) {
  const json a = judge_node(doc_with({peak(190e9), peak(150e9)}), {}, acceptance_thresholds{});
  const std::string text = format_acceptance(a);
  EXPECT_EQ(text,
            "\nacceptance of node7:\n"
            "  PASS     peak:f32    95.0 % of the nominal peak (flops:f32) 200.0 GFLOP/s\n"
            "  FAIL     peak:f32    75.0 % of the nominal peak (flops:f32) 200.0 GFLOP/s (fail "
            "below 80.0 %)\n"
            "node node7: FAIL (1 pass, 0 warn, 1 fail, 0 unjudged)\n");
}

}  // namespace
}  // namespace mlhpc::reports
