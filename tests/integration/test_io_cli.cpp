// io through the driver: both read patterns on a small file in a temporary --dir (verified,
// percentiles in fio's order, nothing left behind), bad parameters as usage errors, and a --dir
// that is a symbolic link refused without a byte written where it points.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "bench/result_file.hpp"
#include "tests/support/process.hpp"

namespace mlhpc {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using test::mlhpc;

class IoCli : public ::testing::Test {
 protected:
  void SetUp() override {
    char tpl[] = "/tmp/mlhpc-io-cli-XXXXXX";
    root = mkdtemp(tpl);
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(root, ec);
  }
  std::string root;
};

TEST_F(IoCli, BothReadPatternsAreMeasuredVerifiedAndLeaveNothingBehind) {
  const std::string dir = root + "/scratch", out = root + "/r.json", out2 = root + "/r2.json";
  fs::create_directory(dir);
  const std::vector<std::string> common = {"-q",   "--set", "file_mib=4", "--set", "depth=1",
                                           "-r",   "6",     "--max-time", "0.2",   "--counters",
                                           "none", "--dir", dir};
  auto args = std::vector<std::string>{"run", "-w", "io:seq_read", "--set", "engine=sync"};
  args.insert(args.end(), common.begin(), common.end());
  args.insert(args.end(), {"--out", out});
  const auto r = mlhpc(args);
  if (r.status == 1 && test::slurp(out).find("without direct I/O") != std::string::npos)
    GTEST_SKIP() << "the file system of " << root << " refuses O_DIRECT (tmpfs?)";
  ASSERT_EQ(r.status, 0) << r.err;
  args = {"run", "-w", "io:rand_read", "--set", "ops=64"};
  args.insert(args.end(), common.begin(), common.end());
  args.insert(args.end(), {"--out", out2});
  const auto r2 = mlhpc(args);
  ASSERT_EQ(r2.status, 0) << r2.err;
  json doc = json::parse(test::slurp(out));
  const json doc2 = json::parse(test::slurp(out2));
  EXPECT_TRUE(validate_result(doc).empty());
  EXPECT_TRUE(validate_result(doc2).empty());
  doc["results"].push_back(doc2["results"][0]);
  EXPECT_EQ(doc["run"]["settings"]["dir"], dir);
  ASSERT_EQ(doc["results"].size(), 2u);
  for (const auto& res : doc["results"]) {
    ASSERT_EQ(res["status"], "ok") << res.dump();
    EXPECT_EQ(res["verification"]["status"], "passed") << res["verification"].dump();
    EXPECT_EQ(res["verification"]["error"], 0);
    EXPECT_EQ(res["work"]["item_unit"], "I/Os");
    const auto& lat = res["details"]["completion_latency_ns"];
    ASSERT_EQ(lat["percentiles"].size(), 17u);
    double last = 0;
    for (const auto& p : lat["percentiles"]) {  // fio's order, never decreasing
      EXPECT_GE(p["ns"].get<double>(), last);
      last = p["ns"];
    }
    EXPECT_EQ(lat["percentiles"][6]["percentile"], 50);
    EXPECT_GT(res["rates"]["bytes_per_s"]["median"].get<double>(), 0);
    EXPECT_NE(res["details"]["scratch_dir"].get<std::string>().find(dir + "/mlhpc-io-"),
              std::string::npos);
  }
  EXPECT_EQ(doc["results"][0]["work"]["items"], 4);   // 4 MiB in 1 MiB reads
  EXPECT_EQ(doc["results"][1]["work"]["items"], 64);  // ops
  EXPECT_TRUE(fs::is_empty(dir));
}

TEST_F(IoCli, BadParametersAreUsageErrors) {
  auto r = mlhpc({"run", "-w", "io:rand_read", "--set", "block_kib=6", "--dir", root});
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("block_kib=6: expected a multiple of 4"), std::string::npos) << r.err;
  r = mlhpc({"run", "-w", "io:seq_read", "--set", "engine=sync", "--dir", root});
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("depth=8 with engine=sync: expected depth=1"), std::string::npos) << r.err;
  EXPECT_TRUE(fs::is_empty(root));
}

TEST_F(IoCli, ADirThatIsASymlinkIsRefusedAndNothingIsWrittenThere) {
  const std::string victim = root + "/victim", link = root + "/link", out = root + "/r.json";
  fs::create_directory(victim);
  fs::create_directory_symlink(victim, link);
  const auto r = mlhpc({"run", "-q", "-w", "io:seq_read", "--set", "file_mib=1", "-r", "1",
                        "--counters", "none", "--dir", link, "--out", out});
  EXPECT_EQ(r.status, 1) << r.err;  // a failed problem, recorded
  const json doc = json::parse(test::slurp(out));
  EXPECT_TRUE(validate_result(doc).empty());
  const auto& res = doc["results"][0];
  EXPECT_EQ(res["status"], "failed");
  EXPECT_NE(res["reason"].get<std::string>().find("is a symbolic link"), std::string::npos)
      << res["reason"];
  EXPECT_TRUE(fs::is_empty(victim));
}

}  // namespace
}  // namespace mlhpc
