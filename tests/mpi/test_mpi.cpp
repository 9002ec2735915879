// The multi-rank runner end to end: the real command line under mpirun with 2 and 3 ranks
// (oversubscribed where the machine has fewer cores). Lockstep (identical sample counts), the
// per-rank aggregation, the collectives' bus factors and checks, a planted slow rank flagged, a
// rank that throws or hangs ending the job with its message, an interrupt on one rank, and every
// file valid against the same schema as a single-rank run. Skips with the reason where this
// build has no MPI or no launcher.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <sched.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <future>
#include <map>
#include <thread>

#include "bench/result_file.hpp"
#include "tests/support/process.hpp"

namespace mlhpc {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using test::process_result;
using test::run_process;

#define MLHPC_SKIP_WITHOUT_MPI()                                                          \
  do {                                                                                    \
    if (std::string(test::build::mpirun).empty())                                         \
      GTEST_SKIP() << "this build has no MPI (MLHPC_WITH_MPI) or CMake found no mpiexec"; \
  } while (0)

class Mpi : public ::testing::Test {
 protected:
  void SetUp() override {
    MLHPC_SKIP_WITHOUT_MPI();
    // Open MPI refuses root unless told; these tests run as root in containers and CI.
    setenv("OMPI_ALLOW_RUN_AS_ROOT", "1", 1);
    setenv("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1", 1);
    char tpl[] = "/tmp/mlhpc-mpi-test-XXXXXX";
    dir = mkdtemp(tpl);
  }
  void TearDown() override {
    std::error_code ec;
    if (!dir.empty()) fs::remove_all(dir, ec);
  }
  // mpirun -np N [launcher args] BIN run ARGS -o FILE
  process_result mpirun(int ranks, const std::vector<std::string>& launcher, const std::string& bin,
                        std::vector<std::string> args, const std::string& out) {
    std::vector<std::string> cmd = {test::build::mpirun, "--oversubscribe", "-np",
                                    std::to_string(ranks)};
    cmd.insert(cmd.end(), launcher.begin(), launcher.end());
    cmd.push_back(bin);
    cmd.push_back("run");
    cmd.insert(cmd.end(), args.begin(), args.end());
    cmd.insert(cmd.end(), {"-q", "-o", out});
    return run_process(cmd);
  }
  static json load_valid(const std::string& path) {
    const json doc = json::parse(test::slurp(path));
    const auto errors = validate_result(doc);
    for (const auto& e : errors) ADD_FAILURE() << path << " at " << e.where << ": " << e.what;
    return doc;
  }
  std::string dir;
};

TEST_F(Mpi, TwoRanksRunInLockstepAndRank0WritesOneValidFile) {
  const std::string out = dir + "/two.json";
  const auto r = mpirun(2, {}, test::build::mlhpc_bin,
                        {"-w", "stream:triad", "-s", "array_bytes=1048576", "-w", "peak:f64", "-t",
                         "1", "--max-time", "0.3"},
                        out);
  ASSERT_EQ(r.status, 0) << r.err;
  // Rank 0 alone prints the table and writes the file.
  EXPECT_EQ(fs::exists(out), true);
  std::size_t tables = 0;
  for (std::size_t p = r.out.find("results: "); p != std::string::npos;
       p = r.out.find("results: ", p + 1))
    ++tables;
  EXPECT_EQ(tables, 1u) << r.out;
  const json doc = load_valid(out);
  EXPECT_EQ(doc["run"]["ranks"], 2);
  EXPECT_EQ(doc["run"]["launcher"], "mpirun -np 2");
  const auto& comm = doc["context"]["communicator"];
  EXPECT_EQ(comm["kind"], "mpi");
  EXPECT_EQ(comm["size"], 2);
  EXPECT_FALSE(comm["library"].get<std::string>().empty());
  ASSERT_EQ(comm["ranks"].size(), 2u);
  for (const auto& rk : comm["ranks"]) EXPECT_FALSE(rk["cpus"].empty());
  ASSERT_EQ(doc["results"].size(), 2u);
  for (const auto& res : doc["results"]) {
    ASSERT_EQ(res["status"], "ok") << res.dump();
    EXPECT_EQ(res["repro"].get<std::string>().rfind("mpirun -np 2 mlhpc run ", 0), 0u);
    const auto& k = res["ranks"];
    ASSERT_EQ(k["per_rank"].size(), 2u);
    // Lockstep: the same number of samples on every rank; the headline is the slowest rank by
    // time per unit of work (peak sizes its repetition on each rank), and its work is the
    // result's.
    const auto n0 = k["per_rank"][0]["samples_s"].size();
    EXPECT_EQ(k["per_rank"][1]["samples_s"].size(), n0);
    EXPECT_EQ(res["measurement"]["samples_s"].size(), n0);
    const auto h = static_cast<std::size_t>(k["headline_rank"].get<int>());
    const double m0 = k["per_rank"][0]["statistics"]["median_s"];
    const double m1 = k["per_rank"][1]["statistics"]["median_s"];
    const double w0 = k["per_rank"][0]["work"], w1 = k["per_rank"][1]["work"];
    EXPECT_EQ(h, m0 / w0 >= m1 / w1 ? 0u : 1u);
    EXPECT_DOUBLE_EQ(res["statistics"]["median_s"],
                     k["per_rank"][h]["statistics"]["median_s"].get<double>());
    EXPECT_EQ(res["measurement"]["samples_s"], k["per_rank"][h]["samples_s"]);
    EXPECT_DOUBLE_EQ(k["across_ranks"]["max_s"], std::max(m0, m1));
    EXPECT_DOUBLE_EQ(k["across_ranks"]["min_s"], std::min(m0, m1));
    EXPECT_DOUBLE_EQ(k["across_ranks"]["mean_s"], (m0 + m1) / 2);
    // Two ranks cannot say which one stands out.
    EXPECT_NE(k["acceptance"]["unavailable"].get<std::string>().find("3 ranks or more"),
              std::string::npos);
  }
}

TEST_F(Mpi, CollectivesOnThreeRanksCarryTheBusFactorAndPassTheirCheck) {
  const std::string out = dir + "/coll.json";
  // 1536 B: 384 f32 or 768 bf16 elements, a multiple of 3 ranks.
  const auto r = mpirun(3, {}, test::build::mlhpc_bin, {"-w",         "allreduce",
                                                        "-w",         "reduce_scatter",
                                                        "-w",         "allgather",
                                                        "-w",         "broadcast",
                                                        "-w",         "alltoall",
                                                        "-s",         "bytes=1536",
                                                        "-s",         "dtype=f32,bf16",
                                                        "-t",         "1",
                                                        "-r",         "6",
                                                        "--max-time", "0.1"},
                        out);
  ASSERT_EQ(r.status, 0) << r.err;
  const json doc = load_valid(out);
  ASSERT_EQ(doc["results"].size(), 10u);
  const std::map<std::string, double> factor = {{"allreduce", 4.0 / 3},
                                                {"reduce_scatter", 2.0 / 3},
                                                {"allgather", 2.0 / 3},
                                                {"alltoall", 2.0 / 3},
                                                {"broadcast", 1.0}};
  for (const auto& res : doc["results"]) {
    const std::string w = res["workload"];
    ASSERT_EQ(res["status"], "ok") << res.dump();
    EXPECT_EQ(res["verification"]["status"], "passed") << res["verification"].dump();
    EXPECT_EQ(res["verification"]["error"], 0);
    EXPECT_DOUBLE_EQ(res["work"]["bytes"], 1536);
    EXPECT_NEAR(res["work"]["bus_bytes"].get<double>(), 1536 * factor.at(w), 1e-9);
    const auto& rates = res["rates"];
    EXPECT_NEAR(rates["bus_bytes_per_s"]["median"].get<double>() /
                    rates["bytes_per_s"]["median"].get<double>(),
                factor.at(w), 1e-12)
        << w;
    EXPECT_EQ(res["ranks"]["per_rank"].size(), 3u);
    EXPECT_NE(res["ranks"]["acceptance"]["unavailable"].get<std::string>().find("collective"),
              std::string::npos);
    if (res["parameters"]["dtype"] == "bf16" && (w == "allreduce" || w == "reduce_scatter")) {
      EXPECT_NE(res["details"]["reduction"].get<std::string>().find("user-defined MPI_Op"),
                std::string::npos);
    }
    // OSU's warm-up for small messages.
    EXPECT_GE(res["measurement"]["warmup_repetitions"].get<int>(), 100);
  }
}

TEST_F(Mpi, APlantedSlowRankIsFlagged) {
  const long cpus = sysconf(_SC_NPROCESSORS_ONLN);
  if (cpus < 2) GTEST_SKIP() << "needs 2 CPUs to give the slow rank a CPU of its own to share";
  // Ranks 0 and 1 on CPU 0, rank 2 on CPU 1 beside three busy processes: it gets a quarter of its
  // CPU while its samples last (peak with a fixed 300 chunks: about 35 ms of FMAs on one thread,
  // longer than a scheduler slice; calibrated chunks would be sized under the contention
  // itself). peak needs no library, so the test runs in every configuration.
  const std::string rankfile = dir + "/ranks";
  {
    std::ofstream f(rankfile);
    f << "rank 0=localhost slot=0\nrank 1=localhost slot=0\nrank 2=localhost slot=1\n";
  }
  std::vector<pid_t> hogs;
  for (int i = 0; i < 3; ++i) {
    const pid_t pid = fork();
    if (pid == 0) {
      cpu_set_t set;
      CPU_ZERO(&set);
      CPU_SET(1, &set);
      sched_setaffinity(0, sizeof set, &set);
      volatile unsigned long x = 0;
      while (true) x = x + 1;
    }
    hogs.push_back(pid);
  }
  const std::string out = dir + "/slow.json";
  const auto r =
      mpirun(3, {"--rankfile", rankfile}, test::build::mlhpc_bin,
             {"-w", "peak:f32", "-s", "chunks=300", "-t", "1", "-r", "6", "--max-time", "1"}, out);
  for (pid_t h : hogs) {
    kill(h, SIGKILL);
    waitpid(h, nullptr, 0);
  }
  ASSERT_EQ(r.status, 0) << r.err;
  const json doc = load_valid(out);
  const auto& acc = doc["results"][0]["ranks"]["acceptance"];
  ASSERT_TRUE(acc.contains("outliers")) << acc.dump();
  ASSERT_EQ(acc["outliers"].size(), 1u) << acc.dump();
  EXPECT_EQ(acc["outliers"][0]["rank"], 2);
  EXPECT_EQ(acc["outliers"][0]["direction"], "slower");
  EXPECT_GT(acc["outliers"][0]["deviation"].get<double>(), 0.3);
  EXPECT_EQ(doc["results"][0]["ranks"]["headline_rank"], 2);
  EXPECT_NE(r.out.find("STANDS OUT: rank 2"), std::string::npos) << r.out;
  // The scheduler says the same from the other side: rank 2's thread waited for its CPU about
  // 3/4 of its runnable time, ranks 0 and 1 about 1/2.
  const auto& held = acc["held_the_job"];
  ASSERT_EQ(held.size(), 1u) << acc.dump();
  EXPECT_EQ(held[0]["rank"], 2);
  EXPECT_GT(held[0]["cpu_wait_share"].get<double>(), 0.6) << held.dump();
}

// A CPU cgroup for one rank with a quota of 15 % of a CPU (15 ms per 100 ms period), under
// cgroup v2 (cpu.max) or v1 (cpu.cfs_quota_us); empty with the reason in `why` when this host
// cannot make one (not root, no cpu controller, a read-only /sys/fs/cgroup).
std::string make_quota_cgroup(const std::string& name, std::string& why) {
  const fs::path v2 = "/sys/fs/cgroup";
  const fs::path v1 = "/sys/fs/cgroup/cpu";
  auto write = [](const fs::path& f, const std::string& text) {
    std::ofstream out(f);
    out << text;
    out.flush();
    return static_cast<bool>(out);
  };
  if (test::slurp((v2 / "cgroup.controllers").string()).find("cpu") != std::string::npos) {
    const fs::path dir = v2 / name;
    std::error_code ec;
    if (test::slurp((v2 / "cgroup.subtree_control").string()).find("cpu") == std::string::npos)
      write(v2 / "cgroup.subtree_control", "+cpu");
    if (fs::create_directory(dir, ec) && write(dir / "cpu.max", "15000 100000"))
      return dir.string();
    fs::remove(dir, ec);
    why = "cannot make a cgroup v2 with cpu.max under " + v2.string();
    return "";
  }
  if (fs::exists(v1 / "cpu.cfs_quota_us")) {
    const fs::path dir = v1 / name;
    std::error_code ec;
    if (fs::create_directory(dir, ec) && write(dir / "cpu.cfs_period_us", "100000") &&
        write(dir / "cpu.cfs_quota_us", "15000"))
      return dir.string();
    fs::remove(dir, ec);
    why = "cannot make a cgroup v1 cpu group under " + v1.string();
    return "";
  }
  why = "no cgroup v2 cpu controller and no cgroup v1 cpu hierarchy under /sys/fs/cgroup";
  return "";
}

// The misconfigured job cgroup: rank 2 of three runs under a CPU quota of 15 % of a CPU. Its
// short samples run between throttling periods, so its median may look as fast as the others'
// or faster; the job still waits for it. The scheduler's account names it as the rank that holds
// the job, with its cgroup's throttled time.
TEST_F(Mpi, ARankThrottledByACpuQuotaHoldsTheJob) {
  std::string why;
  const std::string cg = make_quota_cgroup(fmt::format("mlhpc-test-{}", getpid()), why);
  if (cg.empty()) GTEST_SKIP() << why;
  const std::string wrapper = dir + "/quota.sh";
  {
    std::ofstream f(wrapper);
    f << "#!/bin/sh\nif [ \"$OMPI_COMM_WORLD_RANK\" = 2 ]; then echo $$ > " << cg
      << "/cgroup.procs || exit 99; fi\nexec " << test::build::mlhpc_bin << " \"$@\"\n";
  }
  fs::permissions(wrapper, fs::perms::owner_all);
  const std::string out = dir + "/quota.json";
  // peak with a fixed 20 chunks: a few ms of FMAs per sample, shorter than the 15 ms the quota
  // allows per period.
  const auto r = mpirun(3, {}, wrapper,
                        {"-w", "peak:f32", "-s", "chunks=20", "-t", "1", "-r", "10", "--max-time",
                         "1", "--counters", "none"},
                        out);
  for (int i = 0; i < 100 && rmdir(cg.c_str()) != 0; ++i)  // empty once its process is reaped
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  ASSERT_EQ(r.status, 0) << r.err;
  const json doc = load_valid(out);
  const auto& res = doc["results"][0];
  const auto& held = res["ranks"]["acceptance"]["held_the_job"];
  ASSERT_EQ(held.size(), 1u) << res["ranks"].dump();
  EXPECT_EQ(held[0]["rank"], 2);
  EXPECT_GT(held[0]["cpu_wait_share"].get<double>(), 0.5) << held.dump();
  EXPECT_GT(held[0]["cgroup_throttled_s"].get<double>(), 0) << held.dump();
  const auto& sched2 = res["ranks"]["per_rank"][2]["scheduler"];
  EXPECT_NE(sched2["cgroup"]["path"].get<std::string>().find("mlhpc-test-"), std::string::npos)
      << sched2.dump();
  EXPECT_GT(sched2["cgroup"]["throttled_periods"].get<long long>(), 0);
}

TEST_F(Mpi, ARankThatThrowsFailsTheProblemOnEveryRankAndTheRunGoesOn) {
  for (const char* phase : {"setup", "run", "verify"}) {
    const std::string out = dir + "/throw-" + phase + ".json";
    const auto t0 = std::chrono::steady_clock::now();
    const auto r =
        mpirun(2, {}, test::build::fault_bin,
               {"-w", "fault", "-s", std::string("phase=") + phase, "-w", "stream:copy", "-s",
                "array_bytes=1048576", "-t", "1", "--max-time", "0.2", "--timeout", "60"},
               out);
    EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(60));
    EXPECT_EQ(r.status, 1) << r.err;  // a problem failed
    const json doc = load_valid(out);
    ASSERT_EQ(doc["results"].size(), 2u);
    const auto& f = doc["results"][0];
    EXPECT_EQ(f["status"], "failed");
    EXPECT_EQ(f["reason"], fmt::format("rank 1 ({}): {} failed: planted failure on rank 1 in {}",
                                       f["failure"]["host"].get<std::string>(), phase, phase));
    EXPECT_EQ(f["failure"]["rank"], 1);
    EXPECT_EQ(f["failure"]["phase"], phase);
    EXPECT_EQ(doc["results"][1]["status"], "ok");  // the next problem ran on both ranks
    EXPECT_EQ(doc["run"]["status"], "complete");
  }
}

TEST_F(Mpi, ARankThatHangsEndsTheJobAtTheTimeoutNamingIt) {
  const std::string out = dir + "/hang.json";
  const auto t0 = std::chrono::steady_clock::now();
  const auto r = mpirun(2, {}, test::build::fault_bin,
                        {"-w", "stream:copy", "-s", "array_bytes=1048576", "-w", "fault", "-s",
                         "mode=hang", "-t", "1", "--max-time", "0.2", "--timeout", "3"},
                        out);
  const auto took = std::chrono::steady_clock::now() - t0;
  EXPECT_LT(took, std::chrono::seconds(30));
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.err.find("--timeout 3 s exceeded"), std::string::npos) << r.err;
  const json doc = load_valid(out);
  EXPECT_EQ(doc["run"]["status"], "partial");
  ASSERT_EQ(doc["results"].size(), 1u);  // the finished problem is kept
  EXPECT_EQ(doc["results"][0]["status"], "ok");
  const auto& t = doc["run"]["timeout"];
  EXPECT_EQ(t["seconds"], 3.0);
  EXPECT_NE(t["during"].get<std::string>().find("fault:inject"), std::string::npos);
  bool named = false;
  for (const auto& s : t["ranks"]) {
    const std::string state = s["state"];
    if (s["rank"] == 1) {
      named = true;
      EXPECT_NE(state.find("working (not waiting for other ranks)"), std::string::npos) << state;
    } else {
      EXPECT_NE(state.find("waiting for the other ranks"), std::string::npos) << state;
    }
  }
  EXPECT_TRUE(named) << t.dump();
}

// A rank that exits: the launcher ends the job with SIGTERM, and rank 0 saves what finished as
// soon as the signal arrives (the launcher's SIGKILL follows within seconds).
TEST_F(Mpi, ARankThatDiesEndsTheJobAndRank0KeepsWhatFinished) {
  const std::string out = dir + "/dies.json";
  const auto t0 = std::chrono::steady_clock::now();
  const auto r = mpirun(2, {}, test::build::fault_bin,
                        {"-w", "stream:copy", "-s", "array_bytes=1048576", "-w", "fault", "-s",
                         "mode=exit", "-t", "1", "--max-time", "0.2"},
                        out);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(30));
  EXPECT_NE(r.status, 0);
  const json doc = load_valid(out);
  EXPECT_EQ(doc["run"]["status"], "interrupted");
  EXPECT_EQ(doc["run"]["interruption"]["signal"], "SIGTERM");
  EXPECT_NE(doc["run"]["interruption"]["during"].get<std::string>().find("fault:inject"),
            std::string::npos);
  ASSERT_EQ(doc["results"].size(), 1u);
  EXPECT_EQ(doc["results"][0]["status"], "ok");
}

TEST_F(Mpi, AnInterruptOnOneRankStopsEveryRankAtTheSameSample) {
  const std::string out = dir + "/int.json";
  auto job = std::async(std::launch::async, [&] {
    return mpirun(2, {}, test::build::mlhpc_bin,
                  {"-w", "stream:copy", "-s", "array_bytes=1048576", "-t", "1", "--max-time", "30",
                   "--ci-target", "0.000001"},
                  out);
  });
  // The file is written before the first problem, with every rank's pid.
  long long pid = 0;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (pid == 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    try {
      const json doc = json::parse(test::slurp(out));
      pid = doc["context"]["communicator"]["ranks"][1]["pid"];
    } catch (const std::exception&) {
    }
  }
  ASSERT_GT(pid, 0);
  std::this_thread::sleep_for(std::chrono::seconds(1));
  kill(static_cast<pid_t>(pid), SIGINT);
  const auto r = job.get();
  EXPECT_EQ(r.status, 130) << r.err;
  const json doc = load_valid(out);
  EXPECT_EQ(doc["run"]["status"], "interrupted");
  ASSERT_EQ(doc["results"].size(), 1u);
  const auto& res = doc["results"][0];
  EXPECT_EQ(res["status"], "interrupted");
  EXPECT_EQ(res["measurement"]["stop_reason"], "interrupted");
  EXPECT_EQ(res["ranks"]["per_rank"][0]["samples_s"].size(),
            res["ranks"]["per_rank"][1]["samples_s"].size());
}

// Data-parallel ResNet-50 on a reduced network: two replicas, each training on its own batch
// (their first losses differ), end with bitwise identical weights, because every gradient was
// averaged by the bucketed allreduce; the result says so, with the communication, the solo
// baseline and the scaling efficiency.
TEST_F(Mpi, DataParallelResNet50LeavesIdenticalWeightsOnEveryRank) {
  if (!test::build::have_dnnl) GTEST_SKIP() << "this build has no oneDNN (MLHPC_WITH_DNNL)";
  const std::string out = dir + "/dp.json";
  // bucket_mib=1: the reduced network's 6 MB of gradients go in several buckets.
  const auto r = mpirun(2, {}, test::build::mlhpc_bin, {"-w",         "resnet50:data_parallel",
                                                        "-s",         "image=64",
                                                        "-s",         "width=16",
                                                        "-s",         "classes=10",
                                                        "-s",         "batch=4",
                                                        "-s",         "bucket_mib=1",
                                                        "-s",         "solo_steps=2",
                                                        "-t",         "1",
                                                        "-r",         "6",
                                                        "--max-time", "0.5",
                                                        "--counters", "none"},
                        out);
  ASSERT_EQ(r.status, 0) << r.err;
  const json doc = load_valid(out);
  ASSERT_EQ(doc["results"].size(), 1u);
  const auto& res = doc["results"][0];
  ASSERT_EQ(res["status"], "ok") << res.dump();
  EXPECT_EQ(res["verification"]["status"], "passed") << res["verification"].dump();
  EXPECT_NE(res["verification"]["detail"].get<std::string>().find("identical on all 2 ranks"),
            std::string::npos);
  const auto& dp = res["details"]["data_parallel"];
  EXPECT_EQ(dp["ranks"], 2);
  EXPECT_EQ(dp["images_per_step_total"], 8);
  EXPECT_EQ(dp["weights"]["identical_on_all_ranks"], true);
  ASSERT_EQ(dp["weights"]["fnv1a64_by_rank"].size(), 2u);
  EXPECT_EQ(dp["weights"]["fnv1a64_by_rank"][0], dp["weights"]["fnv1a64_by_rank"][1]);
  ASSERT_EQ(dp["first_loss_by_rank"].size(), 2u);
  EXPECT_NE(dp["first_loss_by_rank"][0], dp["first_loss_by_rank"][1]);  // their own batches
  const auto& c = dp["communication"];
  EXPECT_NE(c["allreduce"].get<std::string>().find("MPI_Iallreduce"), std::string::npos);
  EXPECT_GT(c["buckets"].get<int>(), 1);
  EXPECT_GE(c["wait_s"]["median"].get<double>(), 0.0);
  EXPECT_NEAR(dp["images_per_s_total"].get<double>(), 2 * dp["images_per_s_per_rank"].get<double>(),
              1e-9);
  const double eff = dp["scaling_efficiency"]["value"];
  EXPECT_GT(eff, 0.0);
  EXPECT_EQ(dp["solo"]["step_s"].size(), 2u);
  EXPECT_NE(dp["batch_norm"].get<std::string>().find("per rank"), std::string::npos);
}

// mlhpc accept under mpirun: the allreduce checks join, unjudged without a reference and judged
// against one (the first run) with it; rank 0 alone prints the verdicts and writes them.
TEST_F(Mpi, AcceptJudgesTheAllreduceChecksAgainstAReference) {
  auto accept = [&](const std::string& out, const std::vector<std::string>& extra) {
    std::vector<std::string> cmd = {test::build::mpirun,
                                    "--oversubscribe",
                                    "-np",
                                    "2",
                                    test::build::mlhpc_bin,
                                    "accept",
                                    "--filter",
                                    "^allreduce",
                                    "-t",
                                    "1",
                                    "--max-time",
                                    "0.3",
                                    "-q",
                                    "-o",
                                    out};
    cmd.insert(cmd.end(), extra.begin(), extra.end());
    return run_process(cmd);
  };
  const std::string first = dir + "/first.json", second = dir + "/second.json";
  const auto a = accept(first, {});
  ASSERT_EQ(a.status, 0) << a.err;
  const json d1 = load_valid(first);
  ASSERT_EQ(d1["acceptance"]["checks"].size(), 2u);
  // Nothing to judge a collective by without a reference (a noisy timing may still warn).
  for (const auto& c : d1["acceptance"]["checks"]) {
    EXPECT_TRUE(c["judgements"].empty()) << c.dump();
    EXPECT_NE(c["verdict"], "fail") << c.dump();
  }
  EXPECT_EQ(d1["run"]["bind"]["mode"], "cores");
  const auto b = accept(
      second, {"--reference", first, "--reference-warn", "0.02", "--reference-fail", "0.01"});
  ASSERT_EQ(b.status, 0) << b.err;
  const json d2 = load_valid(second);
  // Judged against the reference (thresholds nobody misses); an oversubscribed, noisy timing
  // may add a warning, never a failure.
  for (const auto& c : d2["acceptance"]["checks"]) {
    ASSERT_EQ(c["judgements"].size(), 1u) << c.dump();
    EXPECT_EQ(c["judgements"][0]["against"], "reference " + first);
    EXPECT_EQ(c["judgements"][0]["verdict"], "pass") << c.dump();
    EXPECT_NE(c["verdict"], "fail") << c.dump();
  }
  EXPECT_NE(d2["acceptance"]["verdict"], "fail");
  // Rank 0 alone prints the verdicts.
  std::size_t nodes = 0;
  for (auto p = b.out.find("\nnode "); p != std::string::npos; p = b.out.find("\nnode ", p + 1))
    ++nodes;
  EXPECT_EQ(nodes, 1u) << b.out;
}

TEST(MpiPlain, ACollectiveWithoutALauncherIsSkippedWithTheCommandToUse) {
  char tpl[] = "/tmp/mlhpc-mpi-plain-XXXXXX";
  const std::string d = mkdtemp(tpl);
  const auto r =
      test::mlhpc({"run", "-w", "allreduce", "-s", "bytes=1024", "-q", "-o", d + "/plain.json"});
  EXPECT_EQ(r.status, 0) << r.err;
  const json doc = json::parse(test::slurp(d + "/plain.json"));
  EXPECT_TRUE(validate_result(doc).empty());
  EXPECT_EQ(doc["results"][0]["status"], "skipped");
  const std::string reason = doc["results"][0]["reason"];
  if (std::string(test::build::mpirun).empty())
    EXPECT_NE(reason.find("built without MPI"), std::string::npos) << reason;
  else
    EXPECT_NE(reason.find("mpirun -np 2 mlhpc run"), std::string::npos) << reason;
  EXPECT_FALSE(doc["results"][0].contains("rates"));  // no 0 for what was not measured
  std::error_code ec;
  fs::remove_all(d, ec);
}

}  // namespace
}  // namespace mlhpc

namespace mlhpc {
namespace {

// io under MPI: each rank writes and reads only its own files (global index modulo the ranks),
// the shares are disjoint and cover the data set, and the result names the aggregate and the
// straggling reader.
TEST_F(Mpi, TwoRanksReadDisjointSharesOfTheDataSet) {
  const std::string out = dir + "/io.json", scratch = dir + "/scratch";
  fs::create_directory(scratch);
  const auto r =
      mpirun(2, {}, test::build::mlhpc_bin,
             {"-w",         "io:epoch", "-s",         "files=5",      "-s",    "samples_per_file=4",
              "-s",         "batch=2",  "-s",         "readers=1",    "-s",    "compute_ms=1",
              "-s",         "steps=2",  "-s",         "direct=false", "-r",    "3",
              "--max-time", "0.3",      "--counters", "none",         "--dir", scratch},
             out);
  ASSERT_EQ(r.status, 0) << r.err;
  const json doc = load_valid(out);
  const auto& res = doc["results"][0];
  ASSERT_NE(res["status"], "failed") << res.dump();
  EXPECT_EQ(res["verification"]["status"], "passed");
  const auto& ranks = res["details"]["ranks"];
  ASSERT_EQ(ranks["size"], 2);
  ASSERT_EQ(ranks["per_rank"].size(), 2u);
  std::vector<int> all;
  for (const auto& pr : ranks["per_rank"])
    for (const auto& f : pr["files"]) all.push_back(f.get<int>());
  std::sort(all.begin(), all.end());
  EXPECT_EQ(all, (std::vector<int>{0, 1, 2, 3, 4}));  // disjoint, and all of them
  EXPECT_EQ(ranks["per_rank"][0]["files"], (json{0, 2, 4}));
  double bytes = 0;
  for (const auto& pr : ranks["per_rank"]) {
    EXPECT_GT(pr["bytes_per_repetition"].get<double>(), 0);
    bytes += pr["bytes_per_repetition"].get<double>();
  }
  const double slowest = ranks["straggler"]["median_repetition_s"];
  EXPECT_NEAR(ranks["aggregate_bytes_per_s"].get<double>(), bytes / slowest,
              1e-6 * bytes / slowest);
  EXPECT_TRUE(ranks["straggler"]["rank"] == 0 || ranks["straggler"]["rank"] == 1);
  EXPECT_EQ(res["ranks"]["size"], 2);  // the runner's per-rank samples as well
  EXPECT_TRUE(fs::is_empty(scratch));
}

}  // namespace
}  // namespace mlhpc

namespace mlhpc {
namespace {

// Ranks launched with different command lines (MPMD, or a wrapper that changes one rank's
// options) agree on the plan before measuring: a different problem, a different number of
// problems or a different setting ends the job with exit 2 naming the rank and the line, and
// no result file is written.
TEST_F(Mpi, RanksWithDifferentPlansStopBeforeMeasuringNamingTheDifference) {
  const std::string out = dir + "/mpmd.json";
  auto mpmd = [&](const std::vector<std::string>& a, const std::vector<std::string>& b) {
    std::vector<std::string> cmd = {
        test::build::mpirun, "--oversubscribe", "-np", "1", test::build::mlhpc_bin, "run", "-q"};
    cmd.insert(cmd.end(), a.begin(), a.end());
    cmd.insert(cmd.end(), {"-o", out, ":", "-np", "1", test::build::mlhpc_bin, "run", "-q"});
    cmd.insert(cmd.end(), b.begin(), b.end());
    cmd.insert(cmd.end(), {"-o", out});
    return run_process(cmd);
  };
  const std::vector<std::string> fast = {"-r", "3", "--max-time", "0.05", "--counters", "none"};
  auto with = [&](std::vector<std::string> w) {
    w.insert(w.end(), fast.begin(), fast.end());
    return w;
  };
  const std::vector<std::tuple<std::vector<std::string>, std::vector<std::string>, std::string>>
      cases = {
          {with({"-w", "peak:f32"}), with({"-w", "stream:triad"}),
           "at line 1 of the plan rank 0 has 'problem peak:f32"},
          {with({"-w", "peak:f32"}), with({"-w", "peak:f32", "-w", "stream:triad"}),
           "rank 1 differs from rank 0"},
          {{"-w", "peak:f32", "-r", "4", "--max-time", "0.05", "--counters", "none"},
           with({"-w", "peak:f32"}),
           "\"repetitions\":\"4\""},
      };
  for (const auto& [a, b, message] : cases) {
    const auto r = mpmd(a, b);
    EXPECT_EQ(r.status, 2) << r.err;
    EXPECT_NE(r.err.find("the ranks disagree on what to run"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find(message), std::string::npos) << message << "\n" << r.err;
    EXPECT_FALSE(fs::exists(out));
  }
}

}  // namespace
}  // namespace mlhpc
