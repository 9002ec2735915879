#include "bench/table.hpp"

#include <gtest/gtest.h>

namespace mlhpc {
namespace {

TEST(Table, UnitsAndUnmeasuredValues) {
  EXPECT_EQ(format_seconds(1.5), "1.5 s");
  EXPECT_EQ(format_seconds(0.0123), "12.3 ms");
  EXPECT_EQ(format_seconds(8.45e-4), "845 us");
  EXPECT_EQ(format_rate(4.052e11, "flop/s"), "405.2 GFLOP/s");
  EXPECT_EQ(format_rate(6.13e10, "byte/s"), "61.3 GB/s");
  EXPECT_EQ(format_rate(9.1e11, "op/s"), "910.0 GOP/s");
  EXPECT_EQ(format_rate(123.4, "image/s"), "123.4 image/s");
  const nlohmann::json doc = {
      {"results",
       {{{"key", "gemm:f32 m=1"},
         {"status", "ok"},
         {"statistics", {{"median_s", 0.002}, {"cv", 0.01}}},
         {"rates", {{"flops_per_s", {{"median", 1e9}, {"best", 2e9}}}}},
         {"ceiling", {{"key", "flops:f32"}, {"metric", "flops_per_s"}, {"share", 0.5}}},
         {"verification", {{"status", "passed"}, {"error", 1e-7}}}},
        {{"key", "gemm:bf16 m=1"}, {"status", "skipped"}, {"reason", "no bf16 here"}}}}};
  const std::string t = format_table(doc);
  EXPECT_NE(t.find("2 ms"), std::string::npos) << t;
  EXPECT_NE(t.find("1.0 GFLOP/s"), std::string::npos) << t;
  EXPECT_NE(t.find("50.0%"), std::string::npos) << t;
  EXPECT_NE(t.find("passed"), std::string::npos) << t;
  // The skipped row shows dashes and its reason, never zeros.
  const auto row = t.substr(t.find("gemm:bf16"));
  EXPECT_EQ(row.find(" 0 "), std::string::npos) << row;
  EXPECT_NE(row.find("skipped[1]"), std::string::npos) << row;
  EXPECT_NE(t.find("[1] skipped: no bf16 here"), std::string::npos) << t;
}

// The layout as a person sees it, golden: labels without defaults, a code every row carries
// said once, reasons as numbered notes, right-aligned figures, under 120 columns.
nlohmann::json golden_doc() {
  const nlohmann::json ctr = {{"code", "counters_unavailable"}, {"detail", "no PMU"}};
  return {{"run", {{"status", "complete"}}},
          {"results",
           {{{"key", "gemm:f32 m=2048 n=2048 k=2048 transa=n transb=n"},
             {"label", "gemm:f32 m=2048 n=2048 k=2048"},
             {"workload", "gemm"},
             {"variant", "f32"},
             {"status", "ok"},
             {"statistics",
              {{"median_s", 0.0797},
               {"cv", 0.002},
               {"median_ci95_s", {{"low", 0.0795}, {"high", 0.0799}}}}},
             {"rates", {{"flops_per_s", {{"median", 2.155e11}, {"best", 2.16e11}}}}},
             {"ceiling", {{"key", "flops:f32"}, {"metric", "flops_per_s"}, {"share", 0.92}}},
             {"verification", {{"status", "passed"}, {"error", 1.0e-7}}},
             {"trust_issues", {ctr}}},
            {{"key", "stream:triad array_bytes=auto"},
             {"label", "stream:triad"},
             {"workload", "stream"},
             {"variant", "triad"},
             {"status", "ok"},
             {"statistics", {{"median_s", 0.013}, {"cv", 0.056}}},
             {"rates", {{"bytes_per_s", {{"median", 3.1e10}, {"best", 3.3e10}}}}},
             {"provides_ceiling", {{"key", "bytes:memory"}, {"metric", "bytes_per_s"}}},
             {"verification", {{"status", "passed"}, {"error", 0.0}}},
             {"trust_issues", {{{"code", "high_cv"}, {"detail", "cv 5.6 %"}}, ctr}}},
            {{"key", "allreduce:mpi bytes=8 dtype=f32 in_place=false"},
             {"label", "allreduce:mpi bytes=8"},
             {"workload", "allreduce"},
             {"variant", "mpi"},
             {"status", "skipped"},
             {"reason", "needs mpirun, \"2 ranks\""}}}}};
}

TEST(Table, GoldenLayout) {
  const std::string expected =
      "problem                        status       median    cv           rate  %ceil  trust  "
      "check\n"
      "--------------------------------------------------------------------------------------------"
      "-\n"
      "gemm:f32 m=2048 n=2048 k=2048  ok          79.7 ms  0.2%  215.5 GFLOP/s  92.0%  ok     "
      "passed\n"
      "stream:triad                   ok            13 ms  5.6%      31.0 GB/s      -  cv     "
      "passed\n"
      "allreduce:mpi bytes=8          skipped[1]        -     -              -      -  -      -\n"
      "every measured row: ctr (see trust: below)\n"
      "[1] skipped: needs mpirun, \"2 ranks\"\n";
  EXPECT_EQ(format_table(golden_doc()), expected);
  EXPECT_EQ(format_summary_line(golden_doc()),
            "3 problems: 2 ok, 0 failed, 1 skipped; 1 untrustworthy (cv 1)\n");
}

TEST(Table, GoldenCsvAndJsonRows) {
  const std::string expected =
      "key,label,workload,variant,status,median_s,cv,ci95_low_s,ci95_high_s,rate,rate_unit,"
      "rate_metric,ceiling_share,trust,verification,verification_error,reason\r\n"
      "gemm:f32 m=2048 n=2048 k=2048 transa=n transb=n,gemm:f32 m=2048 n=2048 k=2048,gemm,f32,ok,"
      "0.0797,0.002,0.0795,0.0799,215500000000,flop/s,flops_per_s,0.92,counters_unavailable,"
      "passed,1e-07,\r\n"
      "stream:triad array_bytes=auto,stream:triad,stream,triad,ok,0.013,0.056,,,31000000000,"
      "byte/s,bytes_per_s,,high_cv counters_unavailable,passed,0,\r\n"
      "allreduce:mpi bytes=8 dtype=f32 in_place=false,allreduce:mpi bytes=8,allreduce,mpi,"
      "skipped,,,,,,,,,,,,\"needs mpirun, \"\"2 ranks\"\"\"\r\n";
  EXPECT_EQ(format_table_csv(golden_doc()), expected);
  const auto rows = table_rows(golden_doc());
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0]["rate"], 2.155e11);
  EXPECT_TRUE(rows[2]["median_s"].is_null());  // not measured: null, never 0
  EXPECT_EQ(rows[2]["reason"], "needs mpirun, \"2 ranks\"");
}

TEST(Table, WideLabelsAreCutInTheMiddleToStayUnder120Columns) {
  nlohmann::json doc = golden_doc();
  doc["results"][0]["label"] =
      "conv:2d problem=mb32ic64ih56oc64oh56kh3ph1n\"res2_2b_very_long_layer_name\" "
      "pass=bwd_weights";
  const std::string t = format_table(doc);
  std::size_t start = 0;
  while (start < t.size()) {
    const auto end = t.find('\n', start);
    EXPECT_LE(end - start, 118u) << t.substr(start, end - start);
    start = end + 1;
  }
  EXPECT_NE(t.find("conv:2d problem=mb32ic64ih"), std::string::npos) << t;
  EXPECT_NE(t.find("..."), std::string::npos) << t;
  EXPECT_NE(t.find("pass=bwd_weights"), std::string::npos) << t;
}

TEST(Table, CountersShowTheDerivedMetricsThatWereMeasured) {
  const nlohmann::json doc = {{"results",
                               {{{"key", "gemm:f32 m=1"},
                                 {"status", "ok"},
                                 {"statistics", {{"median_s", 0.002}}},
                                 {"counters",
                                  {{"derived",
                                    {{"ipc", {{"value", 2.345}}},
                                     {"average_watts", {{"value", 212.4}}},
                                     {"fp_work_ratio", {{"value", 0.5}, {"flagged", true}}}}}}}},
                                {{"key", "peak:f32"},
                                 {"status", "ok"},
                                 {"statistics", {{"median_s", 0.02}}},
                                 {"counters", {{"derived", nlohmann::json::object()}}}}}}};
  const std::string t = format_table(doc);
  EXPECT_NE(t.find("IPC 2.35, 212 W, fp x0.50 (!)"), std::string::npos) << t;
  // Nothing derived (no PMU, no RAPL): a dash, not a zero.
  const auto row = t.substr(t.find("peak:f32"));
  EXPECT_EQ(row.find("IPC"), std::string::npos) << row;
  EXPECT_EQ(row.find(" 0 "), std::string::npos) << row;
}

TEST(Table, EachRateInItsOwnUnitAndTrustFlagsWithALegend) {
  const nlohmann::json doc = {
      {"results",
       {{{"key", "gemm:int8 m=1"},
         {"workload", "gemm"},
         {"variant", "int8"},
         {"status", "ok"},
         {"statistics", {{"median_s", 0.002}, {"cv", 0.2}}},
         {"rates", {{"flops_per_s", {{"median", 9e11}, {"best", 9.5e11}}}}},
         {"trust_issues",
          {{{"code", "high_cv"}, {"detail", "coefficient of variation 20.0 % is above 5.0 %"}},
           {{"code", "above_ceiling"}, {"detail", "best rate above the ceiling"}}}}},
        {{"key", "stream:triad"},
         {"workload", "stream"},
         {"variant", "triad"},
         {"status", "ok"},
         {"statistics", {{"median_s", 0.01}}},
         {"provides_ceiling", {{"key", "bytes:memory"}, {"metric", "bytes_per_s"}}},
         {"rates",
          {{"flops_per_s", {{"median", 5e9}, {"best", 6e9}}},
           {"bytes_per_s", {{"median", 6e10}, {"best", 7e10}}}}},
         {"trust_issues", nlohmann::json::array()}}}}};
  const std::string t = format_table(doc);
  EXPECT_NE(t.find("900.0 GOP/s"), std::string::npos) << t;  // int8: op/s, not flop/s
  EXPECT_NE(t.find("60.0 GB/s"), std::string::npos) << t;    // stream: judged by bytes
  EXPECT_EQ(t.find("5.0 GFLOP/s"), std::string::npos) << t;
  EXPECT_NE(t.find("cv,ABOVE-CEILING"), std::string::npos) << t;
  const std::string legend = format_trust(doc);
  EXPECT_NE(legend.find("cv (high_cv, 1 result): coefficient of variation 20.0 %"),
            std::string::npos)
      << legend;
  EXPECT_EQ(
      format_trust({{"results", {{{"key", "x"}, {"trust_issues", nlohmann::json::array()}}}}}), "");
}

TEST(Table, CeilingsShowTheNominalPeakBesideAndFlagOneAboveIt) {
  const nlohmann::json doc = {{"context",
                               {{"nominal_peak",
                                 {{"microarchitecture", "Zen 4"},
                                  {"cores", 2},
                                  {"frequency_hz", 3.5e9},
                                  {"frequency_source", "measured_hz"}}}}},
                              {"ceilings",
                               {{"flops:f32",
                                 {{"value", 2.2e11},
                                  {"unit", "flop/s"},
                                  {"source", "measured in this run"},
                                  {"problem", "peak:f32"},
                                  {"nominal",
                                   {{"value", 2.24e11},
                                    {"unit", "flop/s"},
                                    {"isa", "avx512"},
                                    {"measured_share", 2.2 / 2.24}}}}},
                                {"flops:int8",
                                 {{"value", 2.7e12},
                                  {"unit", "op/s"},
                                  {"source", "measured in this run"},
                                  {"above_nominal", true},
                                  {"nominal",
                                   {{"value", 8.96e11},
                                    {"unit", "op/s"},
                                    {"isa", "avx512"},
                                    {"measured_share", 2.7e12 / 8.96e11}}}}}}}};
  const std::string c = format_ceilings(doc);
  EXPECT_NE(c.find("Zen 4, 2 cores x 3.50 GHz"), std::string::npos) << c;
  EXPECT_NE(c.find("220.0 GFLOP/s"), std::string::npos) << c;
  EXPECT_NE(c.find("nominal 224.0 GFLOP/s (avx512): 98.2 %"), std::string::npos) << c;
  EXPECT_NE(c.find("2700.0 GOP/s"), std::string::npos) << c;
  EXPECT_NE(c.find("ABOVE THE NOMINAL PEAK: a counting error"), std::string::npos) << c;
  EXPECT_EQ(format_ceilings({{"ceilings", nlohmann::json::object()}}), "");
}

// The ranks block names the rank that holds the job beside the samples' judgement.
TEST(Table, TheRanksBlockNamesTheRankThatHoldsTheJob) {
  const nlohmann::json doc = {
      {"run", {{"ranks", 3}}},
      {"results",
       {{{"key", "peak:f32"},
         {"ranks",
          {{"headline_rank", 0},
           {"across_ranks", {{"min_s", 0.001}, {"median_s", 0.001}, {"max_s", 0.001}}},
           {"per_rank", {{{"host", "n0"}}, {{"host", "n1"}}, {{"host", "n2"}}}},
           {"acceptance",
            {{"outliers", nlohmann::json::array()},
             {"held_the_job",
              {{{"rank", 2},
                {"host", "n2"},
                {"cpu_wait_share", 0.85},
                {"others_cpu_wait_share", 0.08},
                {"excess", 0.77},
                {"cgroup_throttled_s", 1.8}}}}}}}}}}}};
  const std::string t = format_ranks(doc);
  EXPECT_NE(t.find("HOLDS THE JOB: rank 2 on n2: its threads waited for a CPU 85 % of their "
                   "runnable time, the other ranks 8 %; its cgroup's CPU quota throttled it 1.8 s"),
            std::string::npos)
      << t;
  EXPECT_EQ(t.find("no rank stands out"), std::string::npos) << t;
}

}  // namespace
}  // namespace mlhpc
