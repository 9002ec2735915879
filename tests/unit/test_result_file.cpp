#include "bench/files.hpp"
#include "bench/result_file.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "bench/error.hpp"
#include "bench/session.hpp"
#include "tests/support/build_config.hpp"

namespace mlhpc {
namespace {

using nlohmann::json;

json golden() {
  std::ifstream in(std::string(test::build::test_dir) + "/golden/result-v1.json");
  return json::parse(in);
}

std::string errors_text(const json& doc) {
  std::string out;
  for (const auto& e : validate_result(doc)) out += e.where + ": " + e.what + "\n";
  return out;
}

TEST(Schema, GoldenResultFileIsValid) {
  const auto doc = golden();
  EXPECT_EQ(errors_text(doc), "");
  // The golden file has an ok, a skipped and a failed result, and the ceilings they used.
  std::set<std::string> statuses;
  for (const auto& r : doc["results"]) statuses.insert(r["status"].get<std::string>());
  EXPECT_EQ(statuses, (std::set<std::string>{"ok", "skipped", "failed"}));
  // The fields of the first-hour issue: labels, the binding, the filter, acceptance verdicts.
  for (const auto& r : doc["results"]) EXPECT_TRUE(r["label"].is_string()) << r["key"];
  EXPECT_EQ(doc["run"]["bind"]["mode"], "cores");
  EXPECT_TRUE(doc["run"]["filter"].is_string());
  EXPECT_EQ(doc["acceptance"]["checks"].size(), doc["results"].size());
  auto bad = doc;
  bad["acceptance"]["verdict"] = "excellent";
  EXPECT_NE(errors_text(bad).find("/acceptance/verdict"), std::string::npos) << errors_text(bad);
  bad = doc;
  bad["run"]["bind"]["mode"] = "sockets";
  EXPECT_NE(errors_text(bad), "");
}

TEST(Schema, OkResultWithoutStatisticsIsInvalidAndSaysWhere) {
  auto doc = golden();
  for (auto& r : doc["results"])
    if (r["status"] == "ok") {
      r.erase("statistics");
      break;
    }
  const auto text = errors_text(doc);
  EXPECT_NE(text.find("/results/"), std::string::npos) << text;
  EXPECT_NE(text.find("statistics"), std::string::npos) << text;
}

TEST(Schema, WrongTypesAndUnknownFieldsAreCaught) {
  auto doc = golden();
  doc["results"][0]["status"] = "great";
  EXPECT_NE(errors_text(doc).find("/results/0/status"), std::string::npos) << errors_text(doc);

  doc = golden();
  doc["results"][0]["threads"] = "two";
  EXPECT_NE(errors_text(doc).find("/results/0/threads"), std::string::npos) << errors_text(doc);

  doc = golden();
  doc["surprise"] = 1;
  EXPECT_NE(errors_text(doc), "");

  doc = golden();
  doc.erase("context");
  EXPECT_NE(errors_text(doc).find("context"), std::string::npos) << errors_text(doc);
}

TEST(Schema, CountersAreCheckedStrictly) {
  auto doc = golden();
  json* counters = nullptr;
  for (auto& r : doc["results"])
    if (r.contains("counters")) counters = &r["counters"];
  ASSERT_NE(counters, nullptr) << "the golden file carries counters";
  EXPECT_EQ(errors_text(doc), "");
  // A value must say what it is (collector, unit, per-repetition values, statistics).
  (*counters)["values"]["cycles"] = {{"value", 0}};
  EXPECT_NE(errors_text(doc).find("cycles"), std::string::npos) << errors_text(doc);
  doc = golden();
  for (auto& r : doc["results"])
    if (r.contains("counters")) r["counters"]["pass"] = "sometimes";
  EXPECT_NE(errors_text(doc).find("pass"), std::string::npos) << errors_text(doc);
  doc = golden();
  doc["context"]["collectors"]["perf_event"]["status"] = "maybe";
  EXPECT_NE(errors_text(doc).find("collectors"), std::string::npos) << errors_text(doc);
}

TEST(Schema, SkippedResultNeedsAReason) {
  auto doc = golden();
  for (auto& r : doc["results"])
    if (r["status"] == "skipped") r.erase("reason");
  EXPECT_NE(errors_text(doc).find("reason"), std::string::npos) << errors_text(doc);
}

TEST(Schema, AnotherMajorVersionIsRejected) {
  auto doc = golden();
  doc["schema_version"] = "2.0.0";
  EXPECT_NE(errors_text(doc).find("/schema_version"), std::string::npos) << errors_text(doc);
}

TEST(Schema, ZeroForAnUnmeasuredRateIsInvalid) {
  auto doc = golden();
  for (auto& r : doc["results"])
    if (r.contains("rates") && r["rates"].contains("flops_per_s")) {
      r["rates"]["flops_per_s"]["median"] = 0;
      break;
    }
  EXPECT_NE(errors_text(doc).find("flops_per_s"), std::string::npos) << errors_text(doc);
}

json result_with(const std::string& key, double median_rate, double best_rate, bool provides) {
  json r = {{"key", key},
            {"status", "ok"},
            {"rates", {{"flops_per_s", {{"median", median_rate}, {"best", best_rate}}}}}};
  if (provides)
    r["provides_ceiling"] = {{"key", "flops:f32"}, {"metric", "flops_per_s"}};
  else
    r["ceiling"] = {{"key", "flops:f32"}, {"metric", "flops_per_s"}};
  return r;
}

TEST(Ceilings, ShareOfTheBestMeasuredPeak) {
  json doc = {
      {"results",
       {result_with("peak:f32 a", 800, 1000, true), result_with("peak:f32 b", 700, 900, true),
        result_with("gemm:f32 x", 250, 260, false)}}};
  apply_ceilings(doc, json::object());
  EXPECT_DOUBLE_EQ(doc["ceilings"]["flops:f32"]["value"].get<double>(), 1000);
  EXPECT_EQ(doc["ceilings"]["flops:f32"]["problem"], "peak:f32 a");
  EXPECT_DOUBLE_EQ(doc["results"][2]["ceiling"]["share"].get<double>(), 0.25);
  EXPECT_FALSE(doc["results"][2]["ceiling"].contains("exceeded"));
}

TEST(Ceilings, ExternalCeilingsAndTheMissingCase) {
  json doc = {{"results", {result_with("gemm:f32 x", 250, 260, false)}}};
  apply_ceilings(doc, json::object());
  EXPECT_FALSE(doc["results"][0]["ceiling"].contains("share"));
  EXPECT_TRUE(doc["results"][0]["ceiling"].contains("unavailable"));
  apply_ceilings(doc, {{"flops:f32", {{"value", 200}, {"unit", "flop/s"}, {"source", "file"}}}});
  EXPECT_DOUBLE_EQ(doc["results"][0]["ceiling"]["share"].get<double>(), 1.25);
  EXPECT_EQ(doc["results"][0]["ceiling"]["exceeded"], true);  // above its roof: flagged
  EXPECT_FALSE(doc["results"][0]["ceiling"].contains("unavailable"));
}

TEST(ResultFile, AtomicWriteLeavesNoTemporary) {
  const auto dir = std::filesystem::temp_directory_path() / "mlhpc-unit-write";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  const auto path = (dir / "r.json").string();
  write_json_file(path, {{"a", 1}});
  write_json_file(path, {{"a", 2}});
  std::ifstream in(path);
  EXPECT_EQ(json::parse(in)["a"], 2);
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir), {}), 1);
  std::filesystem::remove_all(dir);
}

TEST(Schema, GoldenCarriesTheNominalPeakTrustIssuesAndUnits) {
  const auto doc = golden();
  EXPECT_EQ(doc["schema_version"], "1.6.0");
  const auto& np = doc["context"]["nominal_peak"];
  EXPECT_TRUE(np.contains("rates") || np.contains("unavailable")) << np.dump();
  for (const auto& r : doc["results"]) {
    EXPECT_TRUE(r.contains("pairing_key")) << r["key"];
    if (r["status"] != "ok") continue;
    EXPECT_TRUE(r["trust_issues"].is_array()) << r["key"];
    EXPECT_TRUE(r["measurement"]["scheduler"].contains("wait_share")) << r["key"];
    for (const auto& [metric, rate] : r["rates"].items())
      EXPECT_FALSE(rate.value("unit", "").empty()) << r["key"] << " " << metric;
  }
  EXPECT_EQ(doc["ceilings"]["bytes:memory"]["unit"], "byte/s");
}

// An interrupted run names the signal and the problem it stopped; the schema holds it to that.
TEST(Schema, AnInterruptionIsCheckedStrictly) {
  auto doc = golden();
  doc["run"]["status"] = "interrupted";
  doc["run"]["interruption"] = {
      {"signal", "SIGTERM"}, {"during", "peak:f32 isa=auto"}, {"abandoned", true}};
  EXPECT_EQ(errors_text(doc), "");
  doc["run"]["interruption"]["signal"] = "SIGKILL";
  EXPECT_NE(errors_text(doc).find("interruption"), std::string::npos) << errors_text(doc);
  doc["run"]["interruption"]["signal"] = "SIGINT";
  doc["run"]["interruption"].erase("abandoned");
  EXPECT_NE(errors_text(doc), "");
  // Seeds are unsigned 64-bit: 2^63 is valid, a negative one is not.
  doc = golden();
  doc["run"]["seed"] = 9223372036854775808ull;
  EXPECT_EQ(errors_text(doc), "");
  doc["run"]["seed"] = -1;
  EXPECT_NE(errors_text(doc).find("/run/seed"), std::string::npos) << errors_text(doc);
}

TEST(Schema, NewStatusesAndTrustCodesAreChecked) {
  auto doc = golden();
  // An interrupted problem needs its reason, like a skipped or failed one.
  doc["results"][3]["status"] = "interrupted";
  EXPECT_EQ(errors_text(doc), "");
  doc["results"][3].erase("reason");
  EXPECT_NE(errors_text(doc), "");
  doc = golden();
  doc["results"][0]["trust_issues"] = {{{"code", "looks_fine"}, {"detail", "x"}}};
  EXPECT_NE(errors_text(doc).find("trust_issues"), std::string::npos) << errors_text(doc);
  doc = golden();
  doc["results"][0]["trust_issues"] = {{{"code", "high_cv"}}};
  EXPECT_NE(errors_text(doc), "");
  // A ceiling above its nominal peak says so with `true`, never with `false` or 0.
  doc = golden();
  doc["ceilings"]["flops:f32"]["above_nominal"] = true;
  EXPECT_EQ(errors_text(doc), "");
  doc["ceilings"]["flops:f32"]["above_nominal"] = false;
  EXPECT_NE(errors_text(doc), "");
}

TEST(ResultFile, UnwritablePathsAreUsageErrors) {
  EXPECT_THROW(check_output_path("/etc/hostname/sub/r.json", "--out"), usage_error);
  EXPECT_THROW(check_output_path("/tmp", "--out"), usage_error);
  EXPECT_NO_THROW(check_output_path("-", "--out"));
  try {
    check_output_path("/tmp", "--out");
  } catch (const usage_error& e) {
    EXPECT_EQ(std::string(e.what()), "--out '/tmp': is a directory; expected a file name");
  }
}

TEST(ResultFile, CeilingsFileErrors) {
  EXPECT_THROW(load_ceilings_file("/nonexistent.json"), usage_error);
  const auto path = std::filesystem::temp_directory_path() / "mlhpc-ceil.json";
  std::ofstream(path) << R"({"ceilings": {"flops:f32": {"value": 0}}})";
  try {
    load_ceilings_file(path.string());
    FAIL();
  } catch (const usage_error& e) {
    EXPECT_NE(std::string(e.what()).find("ceiling 'flops:f32' has no positive numeric \"value\""),
              std::string::npos);
  }
  std::ofstream(path) << R"({"ceilings": {"flops:f32": {"value": 5e11, "unit": "flop/s"}}})";
  const auto c = load_ceilings_file(path.string());
  EXPECT_DOUBLE_EQ(c["flops:f32"]["value"].get<double>(), 5e11);
  std::filesystem::remove(path);
}

// A 3-rank run (mpirun -np 3, the test driver's `fault` workload failing on rank 2 in verify):
// every field a multi-rank run adds, against the same schema as a single-rank file.
json golden_mpi() {
  std::ifstream in(std::string(test::build::test_dir) + "/golden/result-mpi-v1.json");
  return json::parse(in);
}

TEST(Schema, GoldenMultiRankFileCarriesRanksAcceptanceBusBandwidthAndFailure) {
  const auto doc = golden_mpi();
  EXPECT_EQ(errors_text(doc), "");
  EXPECT_EQ(doc["run"]["ranks"], 3);
  EXPECT_EQ(doc["run"]["launcher"], "mpirun -np 3");
  EXPECT_EQ(doc["run"]["settings_sources"]["repetitions"], "command line");
  const auto& comm = doc["context"]["communicator"];
  EXPECT_EQ(comm["kind"], "mpi");
  ASSERT_EQ(comm["ranks"].size(), 3u);
  for (const auto& r : comm["ranks"]) EXPECT_FALSE(r["cpus"].empty());
  const auto& results = doc["results"];
  ASSERT_EQ(results.size(), 3u);
  // stream: every rank's samples, judged for acceptance.
  EXPECT_EQ(results[0]["ranks"]["per_rank"].size(), 3u);
  EXPECT_TRUE(results[0]["ranks"]["acceptance"]["outliers"].is_array());
  // ... and who held the job: each rank's scheduler account and time in the collectives.
  EXPECT_TRUE(results[0]["ranks"]["acceptance"]["held_the_job"].is_array());
  for (const auto& pr : results[0]["ranks"]["per_rank"]) {
    EXPECT_TRUE(pr["scheduler"].contains("wait_share")) << pr.dump();
    EXPECT_GE(pr["collectives"]["wait_share"].get<double>(), 0.0);
  }
  EXPECT_TRUE(results[0]["measurement"]["scheduler"].is_object());
  // allreduce: bus bandwidth with its work, 2(n-1)/n of the algorithm bandwidth.
  const auto& ar = results[1];
  EXPECT_DOUBLE_EQ(ar["work"]["bus_bytes"].get<double>(), 1536.0 * 4 / 3);
  EXPECT_EQ(ar["rates"]["bus_bytes_per_s"]["unit"], "byte/s");
  EXPECT_TRUE(ar["ranks"]["acceptance"].contains("unavailable"));
  // the failure names the rank and the phase.
  EXPECT_EQ(results[2]["status"], "failed");
  EXPECT_EQ(results[2]["failure"]["rank"], 2);
  EXPECT_EQ(results[2]["failure"]["phase"], "verify");
}

TEST(Schema, MultiRankFieldsAreCheckedStrictly) {
  auto doc = golden_mpi();
  doc["results"][0]["ranks"].erase("per_rank");
  EXPECT_NE(errors_text(doc).find("/results/0/ranks"), std::string::npos) << errors_text(doc);
  doc = golden_mpi();
  doc["results"][1]["rates"]["bus_bytes_per_s"]["median"] = "fast";
  EXPECT_NE(errors_text(doc).find("bus_bytes_per_s"), std::string::npos) << errors_text(doc);
  doc = golden_mpi();
  doc["results"][0]["ranks"]["acceptance"]["held_the_job"] = {{{"rank", 1}, {"host", "n1"}}};
  EXPECT_NE(errors_text(doc).find("held_the_job"), std::string::npos) << errors_text(doc);
  doc = golden_mpi();
  doc["results"][0]["ranks"]["per_rank"][0]["scheduler"]["wait_share"] = 1.5;
  EXPECT_NE(errors_text(doc).find("scheduler"), std::string::npos) << errors_text(doc);
  doc = golden_mpi();
  doc["results"][2]["failure"] = {{"rank", 2}};  // no phase
  EXPECT_NE(errors_text(doc).find("/results/2/failure"), std::string::npos) << errors_text(doc);
  // A timeout names every rank's state, or the ranks that sent none.
  doc = golden_mpi();
  doc["run"]["status"] = "partial";
  doc["run"]["timeout"] = {{"seconds", 3.0},
                           {"during", "fault:inject"},
                           {"ranks", {{{"rank", 1}, {"state", "working"}}}},
                           {"silent_ranks", {2}}};
  EXPECT_EQ(errors_text(doc), "");
  doc["run"]["timeout"].erase("silent_ranks");
  EXPECT_NE(errors_text(doc).find("/run/timeout"), std::string::npos) << errors_text(doc);
}

}  // namespace
}  // namespace mlhpc
