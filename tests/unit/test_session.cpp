#include "bench/session.hpp"

#include <gtest/gtest.h>

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
  class scripted_problem final : public problem {
   public:
    explicit scripted_problem(std::string f) : m_f(std::move(f)) {}
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
