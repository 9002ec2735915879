// Counters and energy through the driver: what it lists, what each result carries, and how it
// says what it could not measure.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "bench/result_file.hpp"
#include "tests/support/process.hpp"

namespace mlhpc {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using test::mlhpc;

class CountersCli : public ::testing::Test {
 protected:
  void SetUp() override {
    m_dir = fs::temp_directory_path() /
            ("mlhpc-counters-" +
             std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()));
    fs::remove_all(m_dir);
    fs::create_directories(m_dir);
  }
  void TearDown() override { fs::remove_all(m_dir); }
  std::string path(const std::string& name) const { return (m_dir / name).string(); }
  json run_ok(std::vector<std::string> args) {
    const std::string out = path("r.json");
    args.insert(args.begin(), {"run", "-q", "--out", out});
    const auto r = mlhpc(args);
    EXPECT_EQ(r.status, 0) << r.err;
    const json doc = json::parse(test::slurp(out));
    for (const auto& e : validate_result(doc)) ADD_FAILURE() << e.where << ": " << e.what;
    return doc;
  }
  fs::path m_dir;
};

TEST_F(CountersCli, ListSaysWhatThisMachineOffersAndWhyNotTheRest) {
  const auto r = mlhpc({"list", "--counters"});
  EXPECT_EQ(r.status, 0) << r.err;
  for (const char* s :
       {"perf_event: ", "rapl: ", "nvml: ", "rusage: available", "papi", "task-clock",
        "sets (--counters NAME", "default", "cache", "flops", "energy", "none"})
    EXPECT_NE(r.out.find(s), std::string::npos) << s << " missing from:\n" << r.out;
  // Whatever is unavailable says why.
  std::size_t pos = 0;
  while ((pos = r.out.find("unavailable", pos)) != std::string::npos) {
    const auto eol = r.out.find('\n', pos);
    EXPECT_GT(eol - pos, std::string("unavailable: ").size() + 5) << r.out.substr(pos, eol - pos);
    pos = eol;
  }
}

TEST_F(CountersCli, BadCounterNamesAndPassesAreUsageErrors) {
  auto r = mlhpc({"run", "-w", "peak:f32", "--counters", "default,bogus", "--out", path("x.json")});
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("unknown counter 'bogus'"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(path("x.json")));
  r = mlhpc({"run", "-w", "peak:f32", "--counter-pass", "later", "--out", path("x.json")});
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("--counter-pass 'later': expected inline or separate"), std::string::npos)
      << r.err;
}

TEST_F(CountersCli, EveryResultCarriesCountersPerRepetitionAndTheContextListsCollectors) {
  const json doc = run_ok({"-w", "stream:triad", "--set", "array_bytes=4000000", "-r", "6",
                           "--max-time", "0.2", "--threads", "1"});
  EXPECT_EQ(doc["run"]["counters"]["spec"], "default");
  const auto& col = doc["context"]["collectors"];
  for (const char* c : {"perf_event", "rapl", "nvml", "rusage"}) {
    ASSERT_TRUE(col.contains(c)) << col.dump(1);
    if (col[c]["status"] == "unavailable") {
      EXPECT_FALSE(col[c]["reason"].get<std::string>().empty());
    }
  }
  const auto& r = doc["results"][0];
  const auto& c = r["counters"];
  EXPECT_EQ(c["pass"], "inline");
  const std::size_t n = r["measurement"]["samples_s"].size();
  // Software events work everywhere perf_event is open; one value per sample.
  if (col["perf_event"]["status"] == "available") {
    ASSERT_TRUE(c["values"].contains("task-clock")) << c.dump(1);
    EXPECT_EQ(c["values"]["task-clock"]["values"].size(), n);
    EXPECT_EQ(c["values"]["task-clock"]["unit"], "second");
  }
  EXPECT_EQ(c["values"]["max-rss"]["kind"], "gauge");
  // Every requested metric is either measured or unavailable with a reason; never a 0 for
  // something not measured.
  for (const auto& e : doc["run"]["counters"]["events"]) {
    const std::string name = e;
    if (name == "energy" || name == "rusage") continue;  // expands to zones / fields
    EXPECT_TRUE(c["values"].contains(name) || c["unavailable"].contains(name)) << name;
  }
  if (c.contains("unavailable"))
    for (const auto& [k, why] : c["unavailable"].items()) {
      EXPECT_FALSE(c["values"].contains(k)) << k;
      EXPECT_GT(why.get<std::string>().size(), 10U) << k;
    }
  // Energy: measured, or said why not.
  EXPECT_TRUE(c["derived"].contains("joules") || c["derived_unavailable"].contains("joules"));
  // The repro command carries the counters.
  EXPECT_NE(r["repro"].get<std::string>().find("--counters default"), std::string::npos);
}

TEST_F(CountersCli, NoneCollectsNothing) {
  const json doc = run_ok({"-w", "peak:f32", "--set", "chunks=4", "-r", "6", "--max-time", "0.1",
                           "--counters", "none"});
  EXPECT_FALSE(doc["results"][0].contains("counters"));
  EXPECT_TRUE(doc["context"]["collectors"].empty());
}

TEST_F(CountersCli, ASeparatePassCollectsAfterTimingWithTheSameSamples) {
  const json doc =
      run_ok({"-w", "peak:f32", "--set", "chunks=4", "-r", "6", "--max-time", "0.1", "--counters",
              "task-clock,page-faults,rusage", "--counter-pass", "separate"});
  const auto& r = doc["results"][0];
  EXPECT_EQ(r["counters"]["pass"], "separate");
  EXPECT_EQ(r["counters"]["pass_samples_s"].size(), r["measurement"]["samples_s"].size());
  EXPECT_EQ(r["counters"]["values"]["user-time"]["collector"], "rusage");
  EXPECT_NE(r["repro"].get<std::string>().find("--counter-pass separate"), std::string::npos);
}

TEST_F(CountersCli, ASuiteSetsCountersAndTheCommandLineOverridesIt) {
  std::ofstream(path("s.yaml")) << "name: c\nsettings: {repetitions: 6, max_time: 0.1, counters: "
                                   "'task-clock,rusage', counter_pass: separate}\nproblems:\n"
                                   "  - workload: peak:f32\n    set: {chunks: 4}\n";
  json doc = run_ok({"--suite", path("s.yaml")});
  EXPECT_EQ(doc["run"]["counters"]["spec"], "task-clock,rusage");
  EXPECT_EQ(doc["results"][0]["counters"]["pass"], "separate");
  doc = run_ok({"--suite", path("s.yaml"), "--counters", "none", "--counter-pass", "inline"});
  EXPECT_FALSE(doc["results"][0].contains("counters"));
  EXPECT_EQ(doc["run"]["counters"]["pass"], "inline");
}

TEST_F(CountersCli, PapiEventsAreCountedOrSayWhyNot) {
  const json doc = run_ok({"-w", "peak:f32", "--set", "chunks=4", "-r", "6", "--max-time", "0.1",
                           "--counters", "PAPI_TOT_INS,task-clock"});
  const auto& c = doc["results"][0]["counters"];
  if (c["values"].contains("PAPI_TOT_INS")) {
    EXPECT_GT(c["values"]["PAPI_TOT_INS"]["statistics"]["median"].get<double>(), 0);
  } else {
    // No usable component here (a VM without a PMU): the result says so.
    EXPECT_NE(c["unavailable"]["PAPI_TOT_INS"].get<std::string>().find("papi: "), std::string::npos)
        << c.dump(1);
    EXPECT_EQ(doc["context"]["collectors"]["papi"]["status"], "unavailable");
  }
}

}  // namespace
}  // namespace mlhpc
