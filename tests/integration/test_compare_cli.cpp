// mlhpc compare end to end: planted differences from one real run, exit statuses, outputs, and
// bad files with their messages.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <random>

#include "tests/support/process.hpp"

namespace mlhpc {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using test::mlhpc;

class CompareCli : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    // CTest runs each test in its own process, in parallel: one directory per process.
    s_dir = fs::temp_directory_path() / ("mlhpc-compare-cli-" + std::to_string(getpid()));
    fs::remove_all(s_dir);
    fs::create_directories(s_dir);
    // One real run: two problems, enough samples for the tests.
    const auto r = mlhpc({"run", "-q", "-w", "peak:f32", "-w", "stream:triad", "--set", "chunks=4",
                          "--set", "array_bytes=2000000", "-r", "30", "--max-time", "0.5",
                          "--counters", "none", "--out", path("base.json")});
    ASSERT_EQ(r.status, 0) << r.err;
    s_base = json::parse(test::slurp(path("base.json")));
  }
  static void TearDownTestSuite() { fs::remove_all(s_dir); }
  static std::string path(const std::string& n) { return (s_dir / n).string(); }
  static void write(const std::string& n, const json& j) { std::ofstream(path(n)) << j.dump(); }
  static inline fs::path s_dir;
  static inline json s_base;
};

TEST_F(CompareCli, EverySampleTenPercentSlowerIsARegression) {
  json slow = s_base;
  for (auto& r : slow["results"]) {
    for (auto& x : r["measurement"]["samples_s"]) x = x.get<double>() * 1.1;
    r["statistics"]["median_s"] = r["statistics"]["median_s"].get<double>() * 1.1;
  }
  write("slow.json", slow);
  const auto r = mlhpc({"compare", path("base.json"), path("slow.json")});
  EXPECT_EQ(r.status, 1) << r.out << r.err;
  EXPECT_NE(r.out.find("regressed"), std::string::npos) << r.out;
  const auto j = mlhpc({"compare", path("base.json"), path("slow.json"), "--format", "json"});
  EXPECT_EQ(j.status, 1) << j.out << j.err;
  const json pairs = json::parse(j.out)["comparisons"][0]["pairs"];
  ASSERT_EQ(pairs.size(), 2u);
  // Each pair: ratio 1.1, significant; "regressed" where the interval clears the threshold, else
  // "inconclusive" (the CI host's noisy 41 us stream samples once gave [1.047, 1.156]); never
  // "unchanged" or "improved". peak's compute-bound samples always clear it.
  for (const auto& p : pairs) {
    EXPECT_NEAR(p["time_ratio"].get<double>(), 1.1, 1e-9) << p;
    EXPECT_LT(p["p_value"].get<double>(), 0.05) << p;
    const double low = p["time_ratio_ci95"]["low"].get<double>();
    EXPECT_EQ(p["verdict"], low > 1.05 ? "regressed" : "inconclusive") << p;
    if (p["workload"] == "peak") {
      EXPECT_EQ(p["verdict"], "regressed") << p;
    }
  }
}

TEST_F(CompareCli, ReshuffledSamplesAreUnchanged) {
  json shuffled = s_base;
  std::mt19937 rng(5);
  for (auto& r : shuffled["results"]) {
    auto v = r["measurement"]["samples_s"].get<std::vector<double>>();
    std::shuffle(v.begin(), v.end(), rng);
    r["measurement"]["samples_s"] = v;
  }
  write("shuffled.json", shuffled);
  const auto r = mlhpc({"compare", path("base.json"), path("shuffled.json"), "--format", "json"});
  EXPECT_EQ(r.status, 0) << r.out << r.err;
  const json j = json::parse(r.out);
  // The same samples: ratio 1, p = 1. A base run that was very noisy (a busy host) may give an
  // interval wider than the threshold, which is "inconclusive"; never a change.
  for (const auto& p : j["comparisons"][0]["pairs"]) {
    EXPECT_DOUBLE_EQ(p["time_ratio"].get<double>(), 1.0);
    EXPECT_TRUE(p["verdict"] == "unchanged" || p["verdict"] == "inconclusive") << p;
  }
}

TEST_F(CompareCli, TooFewSamplesAreInconclusiveWithAWarning) {
  json few = s_base;
  for (auto& r : few["results"]) {
    auto v = r["measurement"]["samples_s"].get<std::vector<double>>();
    v.resize(3);
    for (auto& x : v) x *= 1.5;
    r["measurement"]["samples_s"] = v;
  }
  write("few.json", few);
  const auto r = mlhpc({"compare", path("base.json"), path("few.json")});
  EXPECT_EQ(r.status, 0) << r.out;
  EXPECT_NE(r.out.find("inconclusive"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("new has 3 samples; at least 9 are advised"), std::string::npos) << r.out;
}

TEST_F(CompareCli, OutputsGoToFilesAndOneSidedKeysAreListed) {
  json fewer = s_base;
  fewer["results"].erase(1);
  write("fewer.json", fewer);
  const auto r = mlhpc({"compare", path("base.json"), path("fewer.json"), "--format", "junit", "-o",
                        path("junit.xml")});
  EXPECT_EQ(r.status, 0) << r.err;
  const std::string xml = test::slurp(path("junit.xml"));
  EXPECT_EQ(xml.rfind("<?xml", 0), 0U);
  EXPECT_NE(xml.find("<testsuites"), std::string::npos);
  EXPECT_NE(r.out.find("only in base: stream:triad"), std::string::npos) << r.out;
  const auto md = mlhpc({"compare", path("base.json"), path("fewer.json"), "--format", "markdown"});
  EXPECT_NE(md.out.find("| problem | base | new |"), std::string::npos) << md.out;
}

TEST_F(CompareCli, FleetNamesTheSlowNode) {
  std::vector<std::string> args = {"compare", "--fleet", "--format", "json"};
  for (int i = 0; i < 5; ++i) {
    json node = s_base;
    node["context"]["system"]["host"] = "node" + std::to_string(i);
    const double f = i == 3 ? 1.3 : 1 + 0.01 * i;  // node3 is 30 % slower, the others within 4 %
    for (auto& r : node["results"]) {
      for (auto& x : r["measurement"]["samples_s"]) x = x.get<double>() * f;
      r["statistics"]["median_s"] = r["statistics"]["median_s"].get<double>() * f;
    }
    write("node" + std::to_string(i) + ".json", node);
    args.push_back(path("node" + std::to_string(i) + ".json"));
  }
  const auto r = mlhpc(args);
  ASSERT_EQ(r.status, 0) << r.err;
  const json f = json::parse(r.out);
  ASSERT_EQ(f["slow_nodes"].size(), 1U) << f.dump(1);
  EXPECT_EQ(f["slow_nodes"][0]["node"], "node3");
  EXPECT_EQ(f["slow_nodes"][0]["slow_in"], 2);
  for (const auto& m : f["metrics"]) {
    ASSERT_EQ(m["outliers"].size(), 1U);
    EXPECT_EQ(m["outliers"][0]["direction"], "slow");
    EXPECT_NEAR(m["spread"].get<double>(), 0.3, 1e-9);
  }
  args[3] = "table";
  const auto t = mlhpc(args);
  EXPECT_NE(t.out.find("slow node: node3 (in 2 of 2 metrics)"), std::string::npos) << t.out;
}

TEST_F(CompareCli, AGateThatPairsNothingFails) {
  // Another suite's file: no key in common. A gate that compares nothing must not pass.
  json other = s_base;
  for (auto& r : other["results"]) {
    r["key"] = "gemm:f32 m=7 " + r["key"].get<std::string>();
    r["pairing_key"] = r["key"];
  }
  write("other.json", other);
  const auto r = mlhpc({"compare", path("base.json"), path("other.json")});
  EXPECT_EQ(r.status, 2) << r.out << r.err;
  EXPECT_NE(r.err.find("no result of"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("2 keys only in base, 2 only in new"), std::string::npos) << r.err;
}

TEST_F(CompareCli, SeveralRunsPerSideArePooledAndPairedRoundsNeedEqualCounts) {
  // Six "runs" per side: the base run, its samples shuffled; the new side 10 % slower.
  std::vector<std::string> args = {"compare", "--paired", "--format", "json", "--base"};
  std::vector<std::string> news = {"--new"};
  std::mt19937 rng(7);
  for (int i = 0; i < 6; ++i) {
    json b = s_base, n = s_base;
    for (std::size_t k = 0; k < b["results"].size(); ++k) {
      auto v = b["results"][k]["measurement"]["samples_s"].get<std::vector<double>>();
      std::shuffle(v.begin(), v.end(), rng);
      b["results"][k]["measurement"]["samples_s"] = v;
      for (auto& x : v) x *= 1.1;
      n["results"][k]["measurement"]["samples_s"] = v;
    }
    write("b" + std::to_string(i) + ".json", b);
    write("n" + std::to_string(i) + ".json", n);
    args.push_back(path("b" + std::to_string(i) + ".json"));
    news.push_back(path("n" + std::to_string(i) + ".json"));
  }
  args.insert(args.end(), news.begin(), news.end());
  const auto r = mlhpc(args);
  EXPECT_EQ(r.status, 1) << r.out << r.err;
  const json c = json::parse(r.out)["comparisons"][0];
  EXPECT_TRUE(c["paired"].get<bool>());
  for (const auto& p : c["pairs"]) {
    EXPECT_EQ(p["verdict"], "regressed") << p;
    EXPECT_NEAR(p["time_ratio"].get<double>(), 1.1, 1e-9) << p;
    EXPECT_EQ(p["round_ratios"].size(), 6U);
  }
  // Paired rounds need one run of each side per round.
  args.pop_back();
  const auto bad = mlhpc(args);
  EXPECT_EQ(bad.status, 2);
  EXPECT_NE(bad.err.find("6 base runs but 5 new runs"), std::string::npos) << bad.err;
  const auto mixed =
      mlhpc({"compare", path("base.json"), "--base", path("b0.json"), "--new", path("n0.json")});
  EXPECT_EQ(mixed.status, 2);
}

TEST_F(CompareCli, AbRunsTheCommandsInAlternatingRoundsAndComparesThem) {
  const std::string dir = path("ab");
  const auto r = mlhpc({"ab",
                        test::build::mlhpc_bin,
                        test::build::mlhpc_bin,
                        "--rounds",
                        "2",
                        "--dir",
                        dir,
                        "--format",
                        "json",
                        "--",
                        "run",
                        "-w",
                        "peak:f32",
                        "--set",
                        "chunks=2",
                        "-r",
                        "6",
                        "--max-time",
                        "0.05",
                        "--counters",
                        "none"});
  ASSERT_EQ(r.status, 0) << r.out << r.err;
  // Round 1 runs base first, round 2 new first.
  EXPECT_LT(r.err.find("round 1/2 base"), r.err.find("round 1/2 new")) << r.err;
  EXPECT_LT(r.err.find("round 2/2 new"), r.err.find("round 2/2 base")) << r.err;
  for (const char* f : {"base-1.json", "new-1.json", "base-2.json", "new-2.json", "ab.json"})
    EXPECT_TRUE(fs::exists(fs::path(dir) / f)) << f;
  const json c = json::parse(r.out)["comparisons"][0];
  EXPECT_EQ(c["protocol"]["rounds"], 2);
  EXPECT_EQ(c["protocol"]["runs"].size(), 4U);
  // Two rounds give no 95 % interval of a median: inconclusive, said why.
  EXPECT_EQ(c["pairs"][0]["verdict"], "inconclusive");
  EXPECT_NE(c["pairs"][0]["reason"].get<std::string>().find("6 rounds at least"),
            std::string::npos);
  // Bad input: exit 2 with the value named, before anything runs.
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{"ab", test::build::mlhpc_bin, test::build::mlhpc_bin, "--rounds", "1"},
       "--rounds '1': expected a whole number of rounds"},
      {{"ab", test::build::mlhpc_bin, test::build::mlhpc_bin, "--", "run", "--out", "x.json"},
       "must not set --out"},
      {{"ab", test::build::mlhpc_bin, test::build::mlhpc_bin, "--", "list"}, "start with 'run'"},
      {{"ab", " ", test::build::mlhpc_bin}, "BASE_CMD ' '"},
      {{"ab", "/nonexistent/mlhpc", test::build::mlhpc_bin, "--rounds", "2", "--dir",
        path("ab-bad"), "--", "run", "-w", "peak:f32"},
       "did not finish: exit status 127"}};
  for (const auto& [a, message] : cases) {
    const auto bad = mlhpc(a);
    EXPECT_EQ(bad.status, 2) << message;
    EXPECT_NE(bad.err.find(message), std::string::npos) << bad.err;
  }
  // The child that did not finish still leaves ab.json: no round finished, the run that
  // stopped the protocol named with its exit status.
  const json failed = json::parse(test::slurp(path("ab-bad/ab.json")))["comparisons"][0];
  EXPECT_EQ(failed["protocol"]["status"], "failed");
  EXPECT_EQ(failed["protocol"]["rounds_finished"], 0);
  ASSERT_EQ(failed["protocol"]["runs"].size(), 1U);
  EXPECT_EQ(failed["protocol"]["runs"][0]["exit_status"], 127);
  EXPECT_NE(failed["protocol"]["stopped"].get<std::string>().find("exit status 127"),
            std::string::npos);
}

// SIGINT to ab while a child runs a repetition of about two minutes: the child is stopped (its
// own handler ends it within its grace period), ab exits 130 and leaves ab.json saying it was
// interrupted, with no finished round.
TEST_F(CompareCli, AnInterruptedAbStopsItsChildAndLeavesAbJson) {
  const std::string dir = path("ab-int");
  const auto r = test::run_process({test::build::mlhpc_bin,
                                    "ab",
                                    test::build::mlhpc_bin,
                                    test::build::mlhpc_bin,
                                    "--rounds",
                                    "2",
                                    "--dir",
                                    dir,
                                    "--",
                                    "run",
                                    "-w",
                                    "peak:f32",
                                    "--set",
                                    "chunks=4194304",
                                    "-t",
                                    "1",
                                    "-r",
                                    "2",
                                    "--warmup",
                                    "0",
                                    "--counters",
                                    "none"},
                                   1.0, 0, "ab: 2 rounds");
  EXPECT_EQ(r.status, 130) << r.err;
  EXPECT_NE(r.err.find("interrupted after 0 finished round(s)"), std::string::npos) << r.err;
  const json c = json::parse(test::slurp(dir + "/ab.json"))["comparisons"][0];
  EXPECT_EQ(c["protocol"]["status"], "interrupted");
  EXPECT_EQ(c["protocol"]["rounds_finished"], 0);
  EXPECT_EQ(c.count("pairs"), 0U) << "nothing finished, nothing compared";
}

TEST_F(CompareCli, BadFilesAreUsageErrors) {
  const std::string text = test::slurp(path("base.json"));
  std::ofstream(path("truncated.json")) << text.substr(0, text.size() / 2);
  json other = s_base;
  other["schema_version"] = "2.0.0";
  write("v2.json", other);
  json dup = s_base;
  dup["results"].push_back(dup["results"][0]);
  write("dup.json", dup);
  const std::vector<std::pair<std::string, std::string>> cases = {
      {path("truncated.json"), "not valid JSON: parse error at line"},
      {path("v2.json"), "schema version 2.0.0 has another major version than this tool reads"},
      {path("dup.json"), "appears twice"},
      {path("missing.json"), "cannot read the file"}};
  for (const auto& [file, message] : cases) {
    const auto r = mlhpc({"compare", path("base.json"), file});
    EXPECT_EQ(r.status, 2) << file;
    EXPECT_NE(r.err.find(message), std::string::npos) << r.err;
    EXPECT_NE(r.err.find(file), std::string::npos) << r.err;
  }
  const auto one = mlhpc({"compare", path("base.json")});
  EXPECT_EQ(one.status, 2);
  const auto fmt = mlhpc({"compare", path("base.json"), path("base.json"), "--format", "pdf"});
  EXPECT_EQ(fmt.status, 2);
  EXPECT_NE(fmt.err.find("--format 'pdf'"), std::string::npos) << fmt.err;
}

}  // namespace
}  // namespace mlhpc
