// Each workload end to end on small sizes: the result file validates against the schema, every
// problem ran and verified, rates follow from the work model, and ceilings are applied.
#include <gtest/gtest.h>

#include <filesystem>

#include "bench/result_file.hpp"
#include "tests/support/features.hpp"
#include "tests/support/process.hpp"

namespace mlhpc {
namespace {

using nlohmann::json;
using test::mlhpc;

json run_json(std::vector<std::string> args) {
  args.insert(args.begin(), "run");
  args.insert(args.end(), {"-r", "6", "--warmup", "1", "--max-time", "0.2", "--out", "-"});
  const auto r = mlhpc(args);
  EXPECT_EQ(r.status, 0) << r.err;
  json doc = json::parse(r.out);
  for (const auto& e : validate_result(doc)) ADD_FAILURE() << e.where << ": " << e.what;
  return doc;
}

void expect_ok_and_verified(const json& doc) {
  for (const auto& r : doc["results"]) {
    // A type this CPU has no native arithmetic for (bf16 on an AVX2-only host) is skipped with
    // its reason by design; everything else must run and verify.
    if (r["status"] == "skipped" &&
        r.value("reason", "").find("no native bf16") != std::string::npos)
      continue;
    EXPECT_EQ(r["status"], "ok") << r["key"] << ": " << r.value("reason", "");
    EXPECT_EQ(r["verification"]["status"], "passed") << r["key"];
    EXPECT_GE(r["statistics"]["n"].get<int>(), 6);
    EXPECT_EQ(r["measurement"]["samples_s"].size(), r["statistics"]["n"].get<std::size_t>());
  }
}

TEST(Workloads, GemmAllTypesAndTransposes) {
  MLHPC_SKIP_WITHOUT_DNNL();
  const auto doc = run_json({"-w", "gemm", "--set", "m=37", "--set", "n=29", "--set", "k=53",
                             "--set", "transa=n,t", "--set", "transb=n,t"});
  ASSERT_EQ(doc["results"].size(), 12u);
  expect_ok_and_verified(doc);
  for (const auto& r : doc["results"]) {
    if (r["status"] == "skipped") continue;  // bf16 without native arithmetic (above)
    const double flops = r["work"]["flops"];
    EXPECT_DOUBLE_EQ(flops, 2.0 * 37 * 29 * 53);
    EXPECT_NEAR(r["rates"]["flops_per_s"]["median"].get<double>(),
                flops / r["statistics"]["median_s"].get<double>(), 1e-6 * flops);
    EXPECT_FALSE(r["details"]["implementation"].get<std::string>().empty());
    EXPECT_EQ(r["ceiling"]["key"], "flops:" + r["variant"].get<std::string>());
    EXPECT_TRUE(r["ceiling"].contains("unavailable"));  // no peak in this run
  }
  EXPECT_TRUE(doc["context"]["libraries"].contains("onednn"));
}

TEST(Workloads, PeakStaysBelowThePhysicalBound) {
  // cores x clock x FMA units x lanes x 2 (context.nominal_peak): the check that would have caught
  // twelve merged chains counted as twelve (670 GFLOP/s reported where 225 are possible).
  const auto doc = run_json({"-w", "peak"});
  const json& nominal = doc["context"]["nominal_peak"];
  if (nominal.contains("unavailable"))
    GTEST_SKIP() << "no nominal peak here: " << nominal["unavailable"].get<std::string>();
  int checked = 0;
  for (const auto& r : doc["results"]) {
    if (r["status"] != "ok") continue;
    const std::string key = r["provides_ceiling"]["key"];
    ASSERT_TRUE(nominal["rates"].contains(key)) << key;
    const double bound = nominal["rates"][key]["value"];
    EXPECT_LE(r["rates"]["flops_per_s"]["best"].get<double>(), bound * 1.02) << key;
    EXPECT_EQ(r["rates"]["flops_per_s"]["unit"], key == "flops:int8" ? "op/s" : "flop/s");
    for (const auto& t : r["trust_issues"]) EXPECT_NE(t["code"], "above_nominal_peak") << t;
    EXPECT_TRUE(doc["ceilings"][key].contains("nominal"));
    ++checked;
  }
  EXPECT_GT(checked, 0);
}

TEST(Workloads, PeakVerifiesItsInstructionCount) {
  const auto doc = run_json({"-w", "peak", "--set", "chunks=4"});
  ASSERT_EQ(doc["results"].size(), 4u);
  for (const auto& r : doc["results"]) {
    if (r["status"] == "skipped") {
      EXPECT_FALSE(r["reason"].get<std::string>().empty());
      continue;
    }
    EXPECT_EQ(r["status"], "ok") << r.value("reason", "");
    EXPECT_EQ(r["verification"]["status"], "passed");
    EXPECT_EQ(r["provides_ceiling"]["key"], "flops:" + r["variant"].get<std::string>());
    const auto& d = r["details"];
    const double expected = r["threads"].get<double>() * 4 *
                            d["iterations_per_chunk"].get<double>() *
                            d["independent_accumulators"].get<double>() * d["lanes"].get<double>() *
                            d["ops_per_lane_per_instruction"].get<double>();
    EXPECT_DOUBLE_EQ(r["work"]["flops"].get<double>(), expected);
    EXPECT_TRUE(doc["ceilings"].contains(r["provides_ceiling"]["key"].get<std::string>()));
  }
}

TEST(Workloads, StreamKernelsAndTheBandwidthCeiling) {
  const auto doc = run_json({"-w", "stream", "--set", "array_bytes=8000000"});
  ASSERT_EQ(doc["results"].size(), 4u);
  expect_ok_and_verified(doc);
  const std::map<std::string, double> bytes_per_element = {
      {"copy", 16}, {"scale", 16}, {"add", 24}, {"triad", 24}};
  double best = 0;
  for (const auto& r : doc["results"]) {
    EXPECT_DOUBLE_EQ(r["work"]["bytes"].get<double>(), bytes_per_element.at(r["variant"]) * 1e6);
    EXPECT_TRUE(r["details"].contains("warning"));  // 8 MB is below 4x any real LLC
    best = std::max(best, r["rates"]["bytes_per_s"]["best"].get<double>());
  }
  EXPECT_FALSE(doc["results"][0]["work"].contains("flops"));  // copy does no arithmetic
  EXPECT_DOUBLE_EQ(doc["ceilings"]["bytes:memory"]["value"].get<double>(), best);
}

TEST(Workloads, GemmIsReportedAsAShareOfPeakMeasuredInTheSameRun) {
  MLHPC_SKIP_WITHOUT_DNNL();
  const auto doc = run_json({"-w", "peak:f32", "-w", "gemm:f32", "--set", "m=256", "--set", "n=256",
                             "--set", "k=256", "--set", "chunks=8"});
  ASSERT_EQ(doc["results"].size(), 2u);
  const auto& gemm = doc["results"][1];
  const double peak = doc["ceilings"]["flops:f32"]["value"];
  EXPECT_DOUBLE_EQ(gemm["ceiling"]["value"].get<double>(), peak);
  EXPECT_NEAR(gemm["ceiling"]["share"].get<double>(),
              gemm["rates"]["flops_per_s"]["median"].get<double>() / peak, 1e-12);
}

TEST(Workloads, CeilingsFromAnEarlierRun) {
  MLHPC_SKIP_WITHOUT_DNNL();
  const auto dir = std::filesystem::temp_directory_path() / "mlhpc-ceilings-test";
  std::filesystem::create_directories(dir);
  const auto first = (dir / "peak.json").string();
  const auto r = mlhpc({"run", "-w", "peak:f32", "--set", "chunks=8", "-r", "6", "--max-time",
                        "0.1", "--out", first, "-q"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("results: " + first), std::string::npos) << r.out;
  const auto doc = run_json({"-w", "gemm:f32", "--set", "m=128", "--ceilings", first});
  const auto& c = doc["results"][0]["ceiling"];
  EXPECT_TRUE(c.contains("share"));
  EXPECT_EQ(doc["ceilings"]["flops:f32"]["source"], "--ceilings " + first);
  EXPECT_EQ(doc["run"]["ceilings_file"], first);
  std::filesystem::remove_all(dir);
}

TEST(Workloads, ReproCommandRerunsTheSameProblem) {
  const auto doc = run_json({"-w", "gemm:int8", "--set", "m=40", "--set", "transb=t"});
  const std::string repro = doc["results"][0]["repro"];
  EXPECT_NE(repro.find("--workload gemm:int8 --set m=40 --set n=1024 --set k=1024 --set transa=n "
                       "--set transb=t"),
            std::string::npos)
      << repro;
  // Re-run it through the driver (drop "mlhpc" and split on spaces: no value needs quoting here).
  std::vector<std::string> args;
  std::istringstream in(repro.substr(std::string("mlhpc ").size()));
  for (std::string a; in >> a;) args.push_back(a);
  args.insert(args.end(), {"--out", "-"});
  const auto again = mlhpc(args);
  ASSERT_EQ(again.status, 0) << again.err;
  const auto doc2 = json::parse(again.out);
  EXPECT_EQ(doc2["results"][0]["key"], doc["results"][0]["key"]);
  EXPECT_EQ(doc2["results"][0]["seed"], doc["results"][0]["seed"]);
}

}  // namespace
}  // namespace mlhpc
