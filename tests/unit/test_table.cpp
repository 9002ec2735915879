#include "bench/table.hpp"

#include <gtest/gtest.h>

namespace mlhpc {
namespace {

TEST(Table, UnitsAndUnmeasuredValues) {
  EXPECT_EQ(format_seconds(1.5), "1.5 s");
  EXPECT_EQ(format_seconds(0.0123), "12.3 ms");
  EXPECT_EQ(format_seconds(8.45e-4), "845 us");
  EXPECT_EQ(format_rate(4.052e11, "flops_per_s"), "405.2 GFLOP/s");
  EXPECT_EQ(format_rate(6.13e10, "bytes_per_s"), "61.3 GB/s");
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
  EXPECT_NE(t.find("passed (1.0e-07)"), std::string::npos) << t;
  // The skipped row shows dashes and its reason, never zeros.
  const auto row = t.substr(t.find("gemm:bf16"));
  EXPECT_EQ(row.find(" 0 "), std::string::npos) << row;
  EXPECT_NE(row.find("no bf16 here"), std::string::npos) << row;
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

}  // namespace
}  // namespace mlhpc
