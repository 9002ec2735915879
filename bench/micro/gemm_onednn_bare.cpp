// The bare oneDNN f32 matmul in a tight loop: the same primitive, layout and call (execute +
// stream wait) as workloads/gemm/gemm-onednn.cpp, with none of the harness around it.
// Compare with `mlhpc run --workload gemm:f32` by scripts/harness-overhead.sh.
#include <benchmark/benchmark.h>

#include <oneapi/dnnl/dnnl.hpp>

#include <cstdint>
#include <random>
#include <vector>

namespace {

void bare_matmul_f32(benchmark::State& state) {
  const auto n = static_cast<dnnl::memory::dim>(state.range(0));
  dnnl::engine eng(dnnl::engine::kind::cpu, 0);
  dnnl::stream strm(eng);
  using dt = dnnl::memory::data_type;
  const dnnl::memory::desc a_md({n, n}, dt::f32, dnnl::memory::dims{n, 1});
  const dnnl::memory::desc b_md({n, n}, dt::f32, dnnl::memory::dims{n, 1});
  const dnnl::memory::desc c_md({n, n}, dt::f32, dnnl::memory::dims{n, 1});
  const dnnl::matmul::primitive_desc pd(dnnl::matmul::desc(a_md, b_md, c_md), eng);
  const dnnl::matmul prim(pd);
  std::vector<float> a(static_cast<std::size_t>(n * n)), b(a.size()), c(a.size(), 0.0f);
  std::mt19937_64 gen(42);
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  for (auto& x : a) x = dist(gen);
  for (auto& x : b) x = dist(gen);
  const std::unordered_map<int, dnnl::memory> args = {
      {DNNL_ARG_SRC, dnnl::memory(a_md, eng, a.data())},
      {DNNL_ARG_WEIGHTS, dnnl::memory(b_md, eng, b.data())},
      {DNNL_ARG_DST, dnnl::memory(c_md, eng, c.data())}};
  for (auto _ : state) {
    prim.execute(strm, args);
    strm.wait();
  }
  state.counters["flops"] = benchmark::Counter(2.0 * static_cast<double>(n) * n * n,
                                               benchmark::Counter::kIsIterationInvariantRate);
  state.SetLabel(pd.impl_info_str());
}

BENCHMARK(bare_matmul_f32)->Arg(2048)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
