#include "bench/session.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>

#include "bench/error.hpp"
#include "workloads/gemm/gemm.hpp"

namespace mlhpc {
namespace {

using nlohmann::json;

// A workload whose problems fail in a chosen phase, to see how the session records them.
class scripted_workload final : public workload {
 public:
  explicit scripted_workload(std::string fail_in) : m_fail_in(std::move(fail_in)) {}
  std::string name() const override { return "scripted"; }
  std::string description() const override { return "test double"; }
  std::vector<variant_info> variants() const override { return {{"x", "only"}}; }
  std::vector<param_spec> parameters(const std::string&) const override {
    return {{"n", param_type::integer, "3", "size"}};
  }
  support supported(const std::string&, const problem_params&) const override {
    return support::yes();
  }
  std::uint64_t footprint_bytes(const std::string&, const problem_params&) const override {
    return 0;
  }
  std::unique_ptr<problem> create(const std::string&, const problem_params&,
                                  const problem_env&) const override {
    return std::make_unique<scripted_problem>(m_fail_in);
  }

 private:
  // "device": the problem runs on a stand-in device whose timer says every sample took 1 ms.
  class scripted_problem final : public problem, public interval_timer {
   public:
    explicit scripted_problem(std::string f) : m_f(std::move(f)) {}
    interval_timer* device_timer() override { return m_f == "device" ? this : nullptr; }
    std::string name() const override { return "scripted_events"; }
    void synchronize() override {}
    void start() override {}
    void stop() override {}
    double elapsed_s() override { return 0x1p-10; }
    void setup() override {
      if (m_f == "setup") MLHPC_FAIL("cannot open device {}", 3);
    }
    work_model work() const override {
      work_model w;
      w.flops = 1000;
      return w;
    }
    void run() override {
      if (m_f == "run") throw std::runtime_error("kernel launch failed");
    }
    verification verify() override {
      verification v;
      v.metric = "max_abs";
      v.error = m_f == "verify" ? 0.5 : 0.0;
      v.tolerance = 0.1;
      v.status = m_f == "verify" ? verification::state::failed : verification::state::passed;
      return v;
    }

   private:
    std::string m_f;
  };
  std::string m_fail_in;
};

json run_one(const workload& w) {
  planned_problem pp{&w,
                     w.variants().front().name,
                     expand(w.parameters(w.variants().front().name), {}, "t").front(),
                     "test",
                     {}};
  session_options opt;
  opt.config.runner.repetitions = 6;
  opt.config.runner.warmup = 0;
  opt.config.runner.max_time_s = 0.01;
  local_communicator comm;
  return run_problem(pp, opt, comm, {}, 0, 1, nullptr);
}

TEST(Session, OkResultCarriesEverything) {
  const auto r = run_one(scripted_workload("none"));
  EXPECT_EQ(r["status"], "ok");
  EXPECT_FALSE(r.contains("reason"));
  EXPECT_EQ(r["work"]["flops"], 1000.0);
  EXPECT_GE(r["statistics"]["n"].get<int>(), 6);
  EXPECT_EQ(r["verification"]["status"], "passed");
  EXPECT_EQ(r["repro"],
            "mlhpc run --workload scripted:x --set n=3 --repetitions 6 --warmup 0 --min-time 0 "
            "--max-time 0.01 --ci-target 0.01 --threads 1 --seed 42 --counters default");
}

TEST(Session, ADeviceProblemsResultNamesItsTimerAndHoldsItsTimes) {
  const auto r = run_one(scripted_workload("device"));
  EXPECT_EQ(r["status"], "ok");
  EXPECT_EQ(r["measurement"]["timer"], "scripted_events");
  for (const auto& t : r["measurement"]["samples_s"]) EXPECT_EQ(t.get<double>(), 0x1p-10);
  EXPECT_EQ(run_one(scripted_workload("none"))["measurement"]["timer"],
            "std::chrono::steady_clock around inner_repetitions calls");
}

TEST(Session, FailuresAreRecordedWithTheirPhase) {
  const auto s = run_one(scripted_workload("setup"));
  EXPECT_EQ(s["status"], "failed");
  EXPECT_NE(s["reason"].get<std::string>().find("setup failed: "), std::string::npos);
  EXPECT_NE(s["reason"].get<std::string>().find("cannot open device 3"), std::string::npos);
  EXPECT_FALSE(s.contains("statistics"));
  const auto r = run_one(scripted_workload("run"));
  EXPECT_EQ(r["reason"], "run failed: kernel launch failed");
  const auto v = run_one(scripted_workload("verify"));
  EXPECT_EQ(v["status"], "failed");
  EXPECT_EQ(v["reason"], "verification failed: max_abs 0.5 exceeds tolerance 0.1");
  EXPECT_TRUE(v.contains("statistics"));  // it was measured; the number is kept, marked failed
}

TEST(Session, AWorkloadBuiltWithoutItsLibraryIsSkippedWithTheReason) {
  const auto w = gemm::make_workload(nullptr, "built without oneDNN");
  const auto r = run_one(*w);
  EXPECT_EQ(r["status"], "skipped");
  EXPECT_EQ(r["reason"], "built without oneDNN");
  EXPECT_FALSE(r.contains("measurement"));
  EXPECT_FALSE(r.contains("rates"));
  EXPECT_EQ(r["ceiling"]["key"], "flops:f32");
}

}  // namespace
}  // namespace mlhpc

namespace mlhpc {
namespace {

// Rank 0 of three whose exchanged samples and work are scripted (a rank's samples go through
// allgather as a JSON object; rank 0's own real ones, nanoseconds of a no-op, are replaced too);
// every other exchange (errors) finds the peers silent.
struct scripted_rank {
  std::vector<double> samples;
  double work = 1000;          // the scripted problem's flops
  double cpu_wait_share = -1;  // >= 0: the scheduler's account of the rank (schedstat)
  double throttled_s = -1;     // >= 0: its cgroup's throttled time
};

class three_ranks final : public communicator {
 public:
  explicit three_ranks(std::vector<scripted_rank> ranks) : m_ranks(std::move(ranks)) {}
  int rank() const override { return 0; }
  int size() const override { return 3; }
  void barrier() override {}
  bool any(bool local) override { return local; }
  long long max(long long local) override { return local; }
  std::vector<std::string> allgather(const std::string& local) override {
    if (local.find("\"samples\"") == std::string::npos) return {local, "", ""};
    std::vector<std::string> out;
    for (const auto& r : m_ranks) {
      json j = {{"samples", r.samples}, {"work", {{"flops", r.work}}}};
      if (r.cpu_wait_share >= 0) {
        j["scheduler"] = {{"threads", 1},
                          {"run_s", 1 - r.cpu_wait_share},
                          {"runnable_wait_s", r.cpu_wait_share},
                          {"wait_share", r.cpu_wait_share}};
        if (r.throttled_s >= 0)
          j["scheduler"]["cgroup"] = {{"path", "/sys/fs/cgroup/cpu/job"},
                                      {"throttled_s", r.throttled_s},
                                      {"throttled_periods", 9}};
      }
      out.push_back(j.dump());
    }
    return out;
  }
  std::string kind() const override { return "test"; }
  json describe() const override { return {{"kind", "test"}, {"size", 3}}; }
  [[noreturn]] void abort(int status) override { std::exit(status); }
  void post_status(const std::string&) override {}
  std::vector<std::pair<int, std::string>> collect_statuses(double) override { return {}; }

 private:
  std::vector<scripted_rank> m_ranks;
};

json run_on_three(const workload& w, std::vector<scripted_rank> ranks) {
  planned_problem pp{&w, "x", expand(w.parameters("x"), {}, "t").front(), "test", {}};
  session_options opt;
  opt.config.runner.repetitions = 6;
  opt.config.runner.warmup = 0;
  opt.config.runner.max_time_s = 0.01;
  opt.rank_hosts = {"n0", "n1", "n2"};
  opt.launcher = "mpirun -np 3";
  three_ranks comm(std::move(ranks));
  return run_problem(pp, opt, comm, {}, 0, 1, nullptr);
}

TEST(SessionRanks, APeerFarSlowerThanTheOthersIsFlaggedAndIsTheHeadline) {
  const auto r = run_on_three(scripted_workload("none"), {{{1.0, 1.1, 0.9, 1.0, 1.0, 1.0}},
                                                          {{1.0, 1.0, 1.0, 1.02, 1.0, 1.0}},
                                                          {{5.0, 5.0, 5.0, 5.0, 5.0, 5.0}}});
  ASSERT_EQ(r["status"], "ok") << r.dump();
  EXPECT_EQ(r["repro"].get<std::string>().rfind("mpirun -np 3 mlhpc run ", 0), 0u);
  const auto& k = r["ranks"];
  EXPECT_EQ(k["size"], 3);
  EXPECT_EQ(k["headline_rank"], 2);
  EXPECT_EQ(r["statistics"]["median_s"], 5.0);  // the headline is the slowest rank's
  EXPECT_EQ(k["per_rank"][2]["host"], "n2");
  EXPECT_EQ(k["across_ranks"]["max_s"], 5.0);
  EXPECT_DOUBLE_EQ(k["across_ranks"]["mean_s"], 7.0 / 3);
  const auto& out = k["acceptance"]["outliers"];
  ASSERT_EQ(out.size(), 1u) << k["acceptance"].dump();  // ranks 0 and 1 agree
  EXPECT_EQ(out[0]["rank"], 2);
  EXPECT_EQ(out[0]["host"], "n2");
  EXPECT_EQ(out[0]["direction"], "slower");
  EXPECT_DOUBLE_EQ(out[0]["deviation"], 4.0);  // 5 s against the median 1 s
  EXPECT_FALSE(out[0].contains("robust_z"));   // MAD 0: z is infinite, said in words
}

// `peak` calibrates its repetition per rank: a slow rank does less work in the same time. Ranks
// are compared by time per unit of work, and the headline's rates use the headline's work.
TEST(SessionRanks, RanksAreComparedByTimePerUnitOfWork) {
  const auto r = run_on_three(scripted_workload("none"), {{{1.0, 1.0, 1.0, 1.0, 1.0, 1.0}, 1000},
                                                          {{1.0, 1.0, 1.0, 1.0, 1.0, 1.0}, 1000},
                                                          {{1.0, 1.0, 1.0, 1.0, 1.0, 1.0}, 250}});
  ASSERT_EQ(r["status"], "ok") << r.dump();
  EXPECT_EQ(r["ranks"]["headline_rank"], 2);
  EXPECT_EQ(r["ranks"]["per_rank"][2]["work"], 250);
  EXPECT_EQ(r["work"]["flops"], 250);
  EXPECT_DOUBLE_EQ(r["rates"]["flops_per_s"]["median"], 250);
  const auto& out = r["ranks"]["acceptance"]["outliers"];
  ASSERT_EQ(out.size(), 1u) << r["ranks"]["acceptance"].dump();
  EXPECT_EQ(out[0]["rank"], 2);
  EXPECT_EQ(out[0]["direction"], "slower");
  EXPECT_DOUBLE_EQ(out[0]["deviation"], 3.0);  // 4x the time per unit of work
  EXPECT_NE(r["ranks"]["acceptance"]["method"].get<std::string>().find("time per unit of work"),
            std::string::npos);
}

// A rank under a CPU quota runs its samples as fast as the others (between throttling periods)
// but its threads wait for a CPU most of the time: it holds the job, named with its cgroup's
// throttled time; the samples' judgement finds nothing.
TEST(SessionRanks, ARankWhoseThreadsWaitForACpuHoldsTheJob) {
  const std::vector<double> same = {1.0, 1.0, 1.0, 1.0, 1.0, 1.0};
  const auto r = run_on_three(scripted_workload("none"),
                              {{same, 1000, 0.01}, {same, 1000, 0.15}, {same, 1000, 0.85, 1.8}});
  ASSERT_EQ(r["status"], "ok") << r.dump();
  const auto& acc = r["ranks"]["acceptance"];
  EXPECT_TRUE(acc["outliers"].empty()) << acc.dump();
  ASSERT_EQ(acc["held_the_job"].size(), 1u) << acc.dump();
  const auto& h = acc["held_the_job"][0];
  EXPECT_EQ(h["rank"], 2);
  EXPECT_EQ(h["host"], "n2");
  EXPECT_DOUBLE_EQ(h["cpu_wait_share"], 0.85);
  EXPECT_DOUBLE_EQ(h["others_cpu_wait_share"], 0.08);  // the median of 0.01 and 0.15
  EXPECT_DOUBLE_EQ(h["excess"], 0.85 - 0.08);
  EXPECT_NEAR(h["robust_z"].get<double>(), 0.77 / (1.4826 * 0.07), 1e-9);
  EXPECT_DOUBLE_EQ(h["cgroup_throttled_s"], 1.8);
  EXPECT_EQ(r["ranks"]["per_rank"][2]["scheduler"]["wait_share"], 0.85);
}

// Ranks that share their CPUs alike (3 ranks on 2 cores) hold nobody; neither does a rank that
// waits more than the others but by less than held_effect (10 points), nor one that waits less.
TEST(SessionRanks, RanksThatWaitAlikeOrLessHoldNobody) {
  const std::vector<double> same = {1.0, 1.0, 1.0, 1.0, 1.0, 1.0};
  for (const auto& shares :
       std::vector<std::vector<double>>{{0.33, 0.34, 0.33}, {0.01, 0.02, 0.10}, {0.5, 0.5, 0.0}}) {
    const auto r =
        run_on_three(scripted_workload("none"),
                     {{same, 1000, shares[0]}, {same, 1000, shares[1]}, {same, 1000, shares[2]}});
    ASSERT_EQ(r["status"], "ok") << r.dump();
    EXPECT_TRUE(r["ranks"]["acceptance"]["held_the_job"].empty())
        << r["ranks"]["acceptance"].dump();
  }
}

}  // namespace
}  // namespace mlhpc
