// io through the driver: every pattern on small data in a temporary --dir (verified, percentiles
// in fio's order, nothing left behind), bad parameters as usage errors, a --dir that is a
// symbolic link refused without a byte written where it points, the page-cache flags (a small
// buffered data set; tmpfs, which cannot evict), the full-disk refusal on a small tmpfs, and an
// interrupt that leaves nothing behind.
#include <gtest/gtest.h>
#include <sys/mount.h>
#include <sys/vfs.h>

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

constexpr long tmpfs_magic = 0x01021994;  // TMPFS_MAGIC (linux/magic.h)
bool on_tmpfs(const std::string& path) {
  struct statfs f {};
  return statfs(path.c_str(), &f) == 0 && f.f_type == tmpfs_magic;
}
bool has_trust_issue(const json& res, const std::string& code) {
  for (const auto& t : res.value("trust_issues", json::array()))
    if (t["code"] == code) return true;
  return false;
}

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
  // Runs one io problem quickly into `out` (a fresh file under root) and returns its result;
  // `expect_status` < 0 accepts any exit status.
  json run_one(const std::string& workload, std::vector<std::string> sets, const std::string& dir,
               int expect_status = 0) {
    const std::string out = root + "/r" + std::to_string(++runs) + ".json";
    std::vector<std::string> args = {"run",      "-q", "-w",         workload, "-r",         "3",
                                     "--warmup", "1",  "--max-time", "0.2",    "--counters", "none",
                                     "--dir",    dir,  "--out",      out};
    for (const auto& s : sets) args.insert(args.end(), {"--set", s});
    const auto r = mlhpc(args);
    if (expect_status >= 0) {
      EXPECT_EQ(r.status, expect_status) << workload << ": " << r.err;
    }
    const json doc = json::parse(test::slurp(out));
    for (const auto& e : validate_result(doc)) ADD_FAILURE() << e.where << ": " << e.what;
    return doc["results"].at(0);
  }
  std::string root;
  int runs = 0;
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

TEST_F(IoCli, EveryPatternRunsOnSmallDataVerifiedWithItsOwnFigures) {
  const std::string dir = root + "/scratch";
  fs::create_directory(dir);
  if (on_tmpfs(root)) GTEST_SKIP() << root << " is a tmpfs, which refuses O_DIRECT";
  // Random samples from many files: distinct samples, aligned reads for O_DIRECT.
  auto r = run_one("io:sample_read", {"files=6", "samples_per_file=5", "ops=20"}, dir);
  ASSERT_EQ(r["status"], "ok") << r.dump();
  EXPECT_EQ(r["verification"]["status"], "passed");
  EXPECT_EQ(r["work"]["item_unit"], "samples");
  EXPECT_EQ(r["work"]["items"], 20);
  EXPECT_EQ(r["details"]["data_set"]["files"], 6);
  EXPECT_GE(r["work"]["bytes"].get<double>(), 20 * 114660.0);  // whole blocks around each
  EXPECT_EQ(r["details"]["completion_latency_ns"]["percentiles"].size(), 17u);
  // Small files: open, read, close each.
  r = run_one("io:small_files", {"files=64", "file_kib=8", "readers=2"}, dir);
  ASSERT_EQ(r["status"], "ok") << r.dump();
  EXPECT_EQ(r["work"]["items"], 64);
  EXPECT_EQ(r["work"]["item_unit"], "files");
  EXPECT_EQ(r["work"]["bytes"], 64 * 8192);
  EXPECT_GT(r["details"]["file_latency_ns"]["count"].get<double>(), 64 * 3 - 1);
  // A shuffled epoch with simulated compute: AU beside its pass line.
  r = run_one("io:epoch",
              {"files=4", "samples_per_file=8", "batch=4", "readers=2", "compute_ms=2", "steps=4"},
              dir);
  ASSERT_EQ(r["status"], "ok") << r.dump();
  EXPECT_EQ(r["work"]["items"], 16);
  const auto& au = r["details"]["accelerator_utilisation"];
  EXPECT_GT(au["median"].get<double>(), 0.0);
  EXPECT_LE(au["median"].get<double>(), 1.0);
  EXPECT_EQ(au["pass_line"], 0.9);
  EXPECT_EQ(au["passes"], au["median"].get<double>() >= 0.9);
  EXPECT_EQ(r["details"]["steps_per_epoch_on_this_rank"], 8);
  // A DLIO case scaled down: the case's batch and sample size, many files, its source named.
  r = run_one("io:dlio", {"case=resnet50", "data_mib=48", "steps=2"}, dir);
  ASSERT_EQ(r["status"], "ok") << r.dump();
  const auto& ds = r["details"]["data_set"];
  EXPECT_EQ(ds["sample_bytes_mean"], 114660);
  EXPECT_GT(ds["files"].get<int>(), 10);
  EXPECT_GE(ds["samples"].get<int>(), 400);
  EXPECT_EQ(r["work"]["items"], 800);  // 2 steps of DLIO's batch of 400
  EXPECT_NE(r["details"]["case"]["source"].get<std::string>().find("resnet50_h100.yaml"),
            std::string::npos);
  // A checkpoint: written, synced, evicted (checked), restored.
  r = run_one("io:checkpoint", {"size_mib=8", "depth=4"}, dir);
  ASSERT_EQ(r["status"], "ok") << r.dump();
  EXPECT_EQ(r["work"]["bytes"], 2 * 8 * 1048576);
  EXPECT_EQ(r["work"]["item_unit"], "checkpoints");
  EXPECT_GT(r["details"]["save_bytes_per_s"].get<double>(), 0);
  EXPECT_GT(r["details"]["restore_bytes_per_s"].get<double>(), 0);
  for (const auto& share : r["details"]["resident_share_after_eviction"])
    EXPECT_LE(share.get<double>(), 0.01);
  // The large-model checkpoint case, scaled to 4 MiB.
  r = run_one("io:dlio", {"case=llama_7b_checkpoint", "data_mib=4"}, dir);
  ASSERT_EQ(r["status"], "ok") << r.dump();
  EXPECT_EQ(r["details"]["checkpoint_bytes"], 4 * 1048576);
  EXPECT_NEAR(r["details"]["case"]["full_bytes"].get<double>(), 94.36e9, 1e8);
  EXPECT_TRUE(fs::is_empty(dir));
}

TEST_F(IoCli, ABufferedDataSetSmallerThanTheCacheIsFlagged) {
  const std::string dir = root + "/scratch";
  fs::create_directory(dir);
  if (on_tmpfs(root)) GTEST_SKIP() << root << " is a tmpfs (the tmpfs test covers it)";
  const auto r =
      run_one("io:sample_read", {"files=4", "samples_per_file=4", "ops=8", "direct=false"}, dir);
  ASSERT_EQ(r["status"], "ok") << r.dump();  // evicted and checked: read from the device
  EXPECT_TRUE(has_trust_issue(r, "fits_in_page_cache")) << r["trust_issues"].dump();
  const auto& pc = r["details"]["page_cache"];
  EXPECT_NE(pc["statement"].get<std::string>().find("POSIX_FADV_DONTNEED"), std::string::npos);
  ASSERT_FALSE(pc["resident_share_before_each_repetition"].empty());
  for (const auto& s : pc["resident_share_before_each_repetition"])
    EXPECT_LE(s.get<double>(), 0.01);
  // After a buffered repetition its samples are in the cache: the record shows it.
  double after = 0;
  for (const auto& s : pc["resident_share_after_each_repetition"])
    after = std::max(after, s.get<double>());
  EXPECT_GT(after, 0.0);
  // O_DIRECT reads are not flagged.
  const auto d = run_one("io:sample_read", {"files=4", "samples_per_file=4", "ops=8"}, dir);
  EXPECT_FALSE(has_trust_issue(d, "fits_in_page_cache"));
}

TEST_F(IoCli, BufferedReadsOnATmpfsAreReportedAsCachedInTheStatus) {
  if (!on_tmpfs("/dev/shm") || access("/dev/shm", W_OK) != 0)
    GTEST_SKIP() << "no writable tmpfs at /dev/shm";
  char tpl[] = "/dev/shm/mlhpc-io-cli-XXXXXX";
  const std::string shm = mkdtemp(tpl);
  const auto r = run_one("io:epoch",
                         {"files=2", "samples_per_file=4", "sample_bytes=8192", "batch=2",
                          "readers=1", "compute_ms=0", "steps=2", "direct=false"},
                         shm);
  EXPECT_EQ(r["status"], "cached") << r.dump();
  EXPECT_NE(r["reason"].get<std::string>().find("stayed in the page cache after eviction"),
            std::string::npos)
      << r["reason"];
  EXPECT_EQ(r["verification"]["status"], "passed");
  EXPECT_TRUE(fs::is_empty(shm));
  // Direct reads: a kernel that opens tmpfs files with O_DIRECT (6.6 and later) reads memory
  // all the same; cached too, said so. An older kernel refuses, and the failure says why.
  const auto d = run_one("io:seq_read", {"file_mib=1", "depth=1"}, shm, -1);
  if (d["status"] == "failed") {
    EXPECT_NE(d["reason"].get<std::string>().find("without direct I/O"), std::string::npos)
        << d.dump();
  } else {
    EXPECT_EQ(d["status"], "cached") << d.dump();
    EXPECT_NE(d["reason"].get<std::string>().find("direct reads from tmpfs"), std::string::npos)
        << d["reason"];
  }
  EXPECT_TRUE(fs::is_empty(shm));
  fs::remove_all(shm);
}

TEST_F(IoCli, AFileSystemThatWouldBeLeftUnderTenPercentFreeIsRefusedWithTheFigures) {
  const std::string small = root + "/small";
  fs::create_directory(small);
  if (::mount("tmpfs", small.c_str(), "tmpfs", 0, "size=8m") != 0)
    GTEST_SKIP() << "cannot mount a small tmpfs here (needs root and CAP_SYS_ADMIN): "
                 << std::strerror(errno);
  const auto r = run_one("io:seq_read", {"file_mib=8", "direct=false"}, small, 1);
  EXPECT_EQ(r["status"], "failed");
  const std::string why = r.value("reason", "");
  EXPECT_NE(why.find("would leave"), std::string::npos) << why;
  EXPECT_NE(why.find("under the 10 % this workload keeps free"), std::string::npos) << why;
  EXPECT_TRUE(fs::is_empty(small));
  ::umount(small.c_str());
}

TEST_F(IoCli, AnInterruptLeavesNoScratchFileBehind) {
  const std::string dir = root + "/scratch", out = root + "/r.json";
  fs::create_directory(dir);
  // A set-up long enough to be interrupted (512 MiB written), or if this host writes faster, the
  // measurement: either way the scratch directory goes.
  const auto r =
      mlhpc({"run", "-w", "io:seq_read", "--set", "file_mib=512", "--set", "direct=false", "-r",
             "1000", "--max-time", "60", "--counters", "none", "--dir", dir, "--out", out},
            0.5, 0, "[1/1] io:seq_read");
  EXPECT_EQ(r.status, 128 + SIGINT) << r.err;
  const json doc = json::parse(test::slurp(out));
  EXPECT_TRUE(validate_result(doc).empty());
  EXPECT_EQ(doc["run"]["status"], "interrupted");
  // Stopped during its set-up or its samples, the problem was interrupted, never failed.
  ASSERT_EQ(doc["results"].size(), 1u);
  EXPECT_EQ(doc["results"][0]["status"], "interrupted") << doc["results"][0].dump();
  EXPECT_TRUE(fs::is_empty(dir)) << fs::directory_iterator(dir)->path();
}

TEST_F(IoCli, AReaderThreadsFailureFailsTheResultAndLeavesNothing) {
  const std::string dir = root + "/scratch";
  fs::create_directory(dir);
  if (on_tmpfs(root)) GTEST_SKIP() << root << " is a tmpfs, which refuses O_DIRECT";
  // Polled completions: refused by a device without poll queues (virtio, most VMs), inside the
  // reader threads; where the device has them the epoch simply runs.
  const auto r = run_one("io:epoch",
                         {"files=2", "samples_per_file=4", "batch=2", "readers=2", "compute_ms=0",
                          "steps=2", "polled=true"},
                         dir, -1);
  if (r["status"] == "ok") GTEST_SKIP() << "this device has poll queues: nothing failed";
  EXPECT_EQ(r["status"], "failed");
  EXPECT_NE(r.value("reason", "").find("poll queues"), std::string::npos) << r.dump();
  EXPECT_TRUE(fs::is_empty(dir));
}

TEST_F(IoCli, BadParametersAreUsageErrors) {
  auto r = mlhpc({"run", "-w", "io:rand_read", "--set", "block_kib=6", "--dir", root});
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("block_kib=6: expected a multiple of 4"), std::string::npos) << r.err;
  r = mlhpc({"run", "-w", "io:seq_read", "--set", "engine=sync", "--dir", root});
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("depth=8 with engine=sync: expected depth=1"), std::string::npos) << r.err;
  r = mlhpc({"run", "-w", "io:sample_read", "--set", "files=2", "--set", "samples_per_file=3",
             "--dir", root});
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("ops=512: expected at most files x samples_per_file = 6"), std::string::npos)
      << r.err;
  r = mlhpc({"run", "-w", "io:small_files", "--set", "file_kib=3", "--dir", root});
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("file_kib=3 with direct=true: expected a multiple of 4"), std::string::npos)
      << r.err;
  r = mlhpc(
      {"run", "-w", "io:seq_read", "--set", "polled=true", "--set", "direct=false", "--dir", root});
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("polled=true with direct=false: expected direct=true"), std::string::npos)
      << r.err;
  r = mlhpc({"run", "-w", "io:dlio", "--set", "case=imagenet", "--dir", root});
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("imagenet"), std::string::npos) << r.err;
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
