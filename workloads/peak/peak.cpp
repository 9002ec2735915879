#include "workloads/peak/peak.hpp"

#include <fmt/format.h>
#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cmath>

#include "bench/error.hpp"

namespace mlhpc::peak {

namespace {

// The best kernel of the variant's type this CPU runs, or of the named ISA.
const kernel_info* pick(const std::string& variant, const std::string& isa) {
  const dtype t = parse_dtype(variant, "peak's variant");
  for (const auto& k : kernels())
    if (k.type == t && (isa == "auto" ? k.available() : k.isa == isa)) return &k;
  return nullptr;
}

class peak_problem final : public problem {
 public:
  peak_problem(const kernel_info& k, std::int64_t chunks, const problem_env& env)
      : m_kernel(k), m_chunks(chunks), m_threads(env.threads), m_totals(env.threads, 0.0) {}

  void setup() override {
    // The team OpenMP gives may be smaller than asked (OMP_THREAD_LIMIT, a job's cap): the
    // problem runs on the team it got, its work counts that team, and the runner's
    // threads_overridden says so; verifying the absent threads' sums failed the run instead.
    int team = 1;
#pragma omp parallel num_threads(m_threads)
    {
#pragma omp single
      team = omp_get_num_threads();
    }
    m_threads = std::max(1, team);
    m_totals.assign(static_cast<std::size_t>(m_threads), 0.0);
    if (m_chunks > 0) return;
    // Calibrate: about 20 ms per repetition, long enough to hide the parallel region's start.
    // One untimed call first: in a fresh process it starts the OpenMP threads (milliseconds),
    // which would otherwise be timed as work and calibrate a batch a hundred times too small.
    run_chunks(4);
    std::int64_t chunks = 4;
    while (true) {
      const auto t0 = std::chrono::steady_clock::now();
      run_chunks(chunks);
      const double t = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      if (t >= 5e-3 || chunks >= (std::int64_t{1} << 30)) {
        m_chunks = std::max<std::int64_t>(1, static_cast<std::int64_t>(chunks * 0.02 / t));
        break;
      }
      chunks *= 4;
    }
    m_calibrated = true;
  }

  work_model work() const override {
    work_model w;
    w.flops = static_cast<double>(m_threads) * static_cast<double>(m_chunks) * chunk_iterations *
              m_kernel.accumulators * m_kernel.lanes * m_kernel.ops_per_lane;
    return w;
  }

  void run() override {
    run_chunks(m_chunks);
  }

  verification verify() override {
    verification v;
    v.metric = "relative_error_of_accumulated_sum";
    v.tolerance = 0.0;
    const double expected = static_cast<double>(m_chunks) * chunk_iterations *
                            m_kernel.accumulators * m_kernel.lanes * m_kernel.increment;
    if (m_last_team != m_threads) {
      v.status = verification::state::failed;
      v.error = 1.0;
      v.detail = fmt::format(
          "the last repetition ran on {} threads where setup's team had {} (OMP_DYNAMIC?): its "
          "work is not what was counted",
          m_last_team, m_threads);
      return v;
    }
    double worst = 0;
    int worst_thread = 0;
    for (int t = 0; t < m_threads; ++t) {
      const double e = std::fabs(m_totals[t] - expected) / std::fabs(expected);
      if (e > worst) worst = e, worst_thread = t;
    }
    v.error = worst;
    v.status = worst <= 0 ? verification::state::passed : verification::state::failed;
    v.detail = fmt::format(
        "every thread's accumulators must sum exactly to chunks*iterations*accumulators*lanes*"
        "increment = {}; worst thread {} got {}",
        expected, worst_thread, m_totals[worst_thread]);
    return v;
  }

  nlohmann::json details() const override {
    return {{"isa", m_kernel.isa},
            {"instruction", m_kernel.instruction},
            {"lanes", m_kernel.lanes},
            {"independent_accumulators", m_kernel.accumulators},
            {"ops_per_lane_per_instruction", m_kernel.ops_per_lane},
            {"chunks", m_chunks},
            {"iterations_per_chunk", chunk_iterations},
            {"chunks_calibrated", m_calibrated},
            {"threads", m_threads}};
  }

 private:
  void run_chunks(std::int64_t chunks) {
    auto* totals = m_totals.data();
    const auto fn = m_kernel.run;
    const int asked = m_threads;
    int team = 0;
#pragma omp parallel num_threads(m_threads)
    {
      const int t = omp_get_thread_num();
      if (t < asked) totals[t] = fn(chunks);
      if (t == 0) team = omp_get_num_threads();
    }
    m_last_team = team;
  }

  const kernel_info& m_kernel;
  std::int64_t m_chunks;
  int m_threads;
  std::vector<double> m_totals;
  bool m_calibrated = false;
  int m_last_team = 0;
};

class peak_workload final : public workload {
 public:
  std::string name() const override { return "peak"; }
  std::string description() const override {
    return "arithmetic ceiling: independent FMA / dot-product chains on every thread, per ISA "
           "and type";
  }
  std::vector<variant_info> variants() const override {
    return {{"f64", "double-precision FMA"},
            {"f32", "single-precision FMA"},
            {"bf16", "bfloat16 dot product into f32 (AVX512_BF16 vdpbf16ps)"},
            {"int8", "u8*s8 dot product into s32 (VNNI vpdpbusd)"}};
  }
  std::vector<param_spec> parameters(const std::string& variant) const override {
    std::vector<std::string> isas = {"auto"};
    for (const auto& k : kernels())
      if (to_string(k.type) == variant) isas.push_back(k.isa);
    if (isas.size() == 1) isas = {"auto", "avx512", "avx2"};
    return {
        {"isa", param_type::choice, "auto", "instruction set; auto = the widest this CPU runs",
         isas},
        {"chunks",
         param_type::integer,
         "auto",
         fmt::format("chunks of {} iterations per repetition; auto = about 20 ms",
                     chunk_iterations),
         {},
         1,
         // A chunk is 2^14 iterations of 12 instructions (~30 µs at 3.6 GHz): 2^26 chunks bound
         // a repetition to about half an hour, not the year that 2^40 allowed.
         std::int64_t{1} << 26,
         {"auto"}},
    };
  }
  support supported(const std::string& variant, const problem_params& p) const override {
    const std::string isa = p.has("isa") ? p.get("isa") : "auto";
    const kernel_info* k = pick(variant, isa);
    if (k == nullptr && kernels().empty())
      return support::no("peak has kernels for x86-64 only; this build targets another CPU");
    if (k == nullptr)
      return support::no(fmt::format("this CPU has no {} instruction for {} (cpuid)",
                                     isa == "auto" ? "supported" : isa, variant));
    if (!k->available())
      return support::no(
          fmt::format("this CPU lacks {} ({}) according to cpuid", k->instruction, k->isa));
    return support::yes();
  }
  std::uint64_t footprint_bytes(const std::string&, const problem_params&) const override {
    return 0;
  }
  std::unique_ptr<problem> create(const std::string& variant, const problem_params& p,
                                  const problem_env& env) const override {
    const kernel_info* k = pick(variant, p.get("isa"));
    MLHPC_ASSERT(k != nullptr);
    const std::int64_t chunks = p.get("chunks") == "auto" ? 0 : p.get_int("chunks");
    return std::make_unique<peak_problem>(*k, chunks, env);
  }
  std::optional<ceiling_ref> provides_ceiling(const std::string& variant) const override {
    return ceiling_ref{"flops:" + variant, "flops_per_s"};
  }
};

}  // namespace

std::unique_ptr<workload> make_workload() {
  return std::make_unique<peak_workload>();
}

}  // namespace mlhpc::peak
