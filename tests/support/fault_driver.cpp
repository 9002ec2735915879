// mlhpc with one extra workload, `fault`, that fails on purpose on one rank: it throws or hangs
// in a chosen phase, so that the MPI tests see how the run unit ends a job (every other path is
// the real command line: tests/support/ links bench/driver's library).
#include <fmt/format.h>

#include <chrono>
#include <cstdlib>
#include <stdexcept>
#include <thread>

#include "bench/communicator.hpp"
#include "bench/driver/cli.hpp"
#include "bench/workload.hpp"

namespace {

using namespace mlhpc;

class fault_problem final : public problem {
 public:
  fault_problem(const problem_params& p, const problem_env& env)
      : m_target(static_cast<int>(p.get_int("rank"))),
        m_phase(p.get("phase")),
        m_mode(p.get("mode")),
        m_after(p.get_int("after")),
        m_rank(env.comm->rank()) {}
  void setup() override { maybe_fail("setup"); }
  work_model work() const override {
    work_model w;
    w.items = 1;
    w.item_unit = "call";
    return w;
  }
  void run() override {
    // About 50 us of arithmetic that the compiler cannot drop.
    volatile double x = 1;
    for (int i = 0; i < 20000; ++i) x = x * 1.0000001 + 1e-9;
    if (++m_calls > m_after) maybe_fail("run");
  }
  verification verify() override {
    maybe_fail("verify");
    return {};
  }

 private:
  void maybe_fail(const std::string& phase) {
    if (m_rank != m_target || phase != m_phase || m_mode == "none") return;
    if (m_mode == "throw")
      throw std::runtime_error(fmt::format("planted failure on rank {} in {}", m_rank, phase));
    if (m_mode == "exit") std::_Exit(9);  // the rank dies without a word
    while (true) std::this_thread::sleep_for(std::chrono::seconds(1));  // hang
  }
  int m_target;
  std::string m_phase, m_mode;
  std::int64_t m_after;
  int m_rank;
  long long m_calls = 0;
};

class fault_workload final : public workload {
 public:
  std::string name() const override { return "fault"; }
  std::string description() const override { return "test only: fails on purpose on one rank"; }
  std::vector<variant_info> variants() const override { return {{"inject", "planted faults"}}; }
  std::vector<param_spec> parameters(const std::string&) const override {
    return {
        {.name = "rank", .default_value = "1", .help = "the rank that fails", .min_value = 0},
        {.name = "phase",
         .type = param_type::choice,
         .default_value = "run",
         .help = "where",
         .choices = {"setup", "run", "verify"}},
        {.name = "mode",
         .type = param_type::choice,
         .default_value = "throw",
         .help = "how",
         .choices = {"throw", "hang", "exit", "none"}},
        {.name = "after", .default_value = "5", .help = "calls before failing", .min_value = 0}};
  }
  support supported(const std::string&, const problem_params&) const override {
    return support::yes();
  }
  std::uint64_t footprint_bytes(const std::string&, const problem_params&) const override {
    return 0;
  }
  std::unique_ptr<problem> create(const std::string&, const problem_params& p,
                                  const problem_env& env) const override {
    return std::make_unique<fault_problem>(p, env);
  }
};

}  // namespace

int main(int argc, char** argv) {
  return mlhpc::command_line_main(argc, argv,
                                  [](registry& r) { r.add(std::make_unique<fault_workload>()); });
}
