// oneDNN backend of gemm: one matmul primitive with plain row-major C and A/B strided for the
// transposes, created once in setup(); run() is one execute() and one stream wait, the same call
// the bare loop in bench/micro/gemm_onednn_bare.cpp times.
#include "workloads/gemm/gemm-onednn.hpp"

#include <oneapi/dnnl/dnnl.hpp>

#include <cstdlib>
#include <unordered_map>

#include "bench/error.hpp"
#include "workloads/onednn/onednn.hpp"

namespace mlhpc::gemm {

namespace {

using dnnl::memory;
using tag_dt = memory::data_type;

struct aligned_free {
  void operator()(void* p) const { std::free(p); }
};
using raw_buffer = std::unique_ptr<void, aligned_free>;

raw_buffer allocate(std::size_t bytes) {
  const std::size_t rounded = std::max<std::size_t>(64, (bytes + 63) / 64 * 64);
  void* p = std::aligned_alloc(64, rounded);
  if (p == nullptr) throw std::bad_alloc();
  return raw_buffer(p);
}

class onednn_gemm final : public problem {
 public:
  onednn_gemm(shape s, const problem_env& env) : m_s(std::move(s)), m_seed(env.seed) {}

  void setup() override {
    const auto m = m_s.m, n = m_s.n, k = m_s.k;
    const auto in_dt = m_s.type == dtype::f32    ? tag_dt::f32
                       : m_s.type == dtype::bf16 ? tag_dt::bf16
                                                 : tag_dt::u8;
    const auto b_dt = m_s.type == dtype::int8 ? tag_dt::s8 : in_dt;
    const auto out_dt = m_s.type == dtype::int8 ? tag_dt::s32 : tag_dt::f32;
    const memory::desc a_md({m, k}, in_dt, m_s.transa ? memory::dims{1, m} : memory::dims{k, 1});
    const memory::desc b_md({k, n}, b_dt, m_s.transb ? memory::dims{1, k} : memory::dims{n, 1});
    const memory::desc c_md({m, n}, out_dt, memory::dims{n, 1});
    const dnnl::matmul::desc desc(a_md, b_md, c_md);
    const dnnl::matmul::primitive_desc pd(desc, m_engine);
    m_impl = pd.impl_info_str();
    m_prim = dnnl::matmul(pd);

    const std::size_t na = static_cast<std::size_t>(m) * k, nb = static_cast<std::size_t>(k) * n,
                      nc = static_cast<std::size_t>(m) * n;
    m_a = allocate(na * input_bytes(m_s.type));
    m_b = allocate(nb * input_bytes(m_s.type));
    m_c = allocate(nc * output_bytes(m_s.type));
    if (m_s.type == dtype::f32) {
      fill_uniform(std::span(static_cast<float*>(m_a.get()), na), m_seed, stream_a, -1, 1);
      fill_uniform(std::span(static_cast<float*>(m_b.get()), nb), m_seed, stream_b, -1, 1);
    } else if (m_s.type == dtype::bf16) {
      fill_bf16(static_cast<std::uint16_t*>(m_a.get()), na, stream_a);
      fill_bf16(static_cast<std::uint16_t*>(m_b.get()), nb, stream_b);
    } else {
      fill_uniform(std::span(static_cast<std::uint8_t*>(m_a.get()), na), m_seed, stream_a, u8_low,
                   u8_high);
      fill_uniform(std::span(static_cast<std::int8_t*>(m_b.get()), nb), m_seed, stream_b, s8_low,
                   s8_high);
    }
    std::memset(m_c.get(), 0, nc * output_bytes(m_s.type));
    m_args = {{DNNL_ARG_SRC, memory(a_md, m_engine, m_a.get())},
              {DNNL_ARG_WEIGHTS, memory(b_md, m_engine, m_b.get())},
              {DNNL_ARG_DST, memory(c_md, m_engine, m_c.get())}};
  }

  work_model work() const override { return work_of(m_s); }

  void run() override {
    m_prim.execute(m_stream, m_args);
    m_stream.wait();
  }

  verification verify() override {
    if (m_s.type == dtype::f32) return verify_as<float, float, float>([](float x) { return x; });
    if (m_s.type == dtype::bf16)
      return verify_as<std::uint16_t, std::uint16_t, float>(
          [](std::uint16_t x) { return from_bf16(x); });
    return verify_as<std::uint8_t, std::int8_t, std::int32_t>([](auto x) { return x; });
  }

  void teardown() override {
    m_args.clear();
    m_a.reset();
    m_b.reset();
    m_c.reset();
  }

  nlohmann::json details() const override {
    return {{"backend", "onednn"},
            {"primitive", "matmul"},
            {"implementation", m_impl},
            {"effective_isa", onednn::effective_isa()},
            {"alpha", 1},
            {"beta", 0},
            {"layout", "row-major C; A and B row-major or transposed by strides"},
            {"inputs", describe_inputs(m_s.type)}};
  }

 private:
  // Reads A, B (through `value`, which decodes the input type) and C as stored, for check().
  template <class TA, class TB, class TC, class Decode>
  verification verify_as(Decode value) const {
    const auto m = m_s.m, n = m_s.n, k = m_s.k;
    const bool ta = m_s.transa, tb = m_s.transb;
    const auto* a = static_cast<const TA*>(m_a.get());
    const auto* b = static_cast<const TB*>(m_b.get());
    const auto* c = static_cast<const TC*>(m_c.get());
    return check(
        m_s,
        [&](std::int64_t i, std::int64_t p) {
          return static_cast<double>(value(a[ta ? p * m + i : i * k + p]));
        },
        [&](std::int64_t p, std::int64_t j) {
          return static_cast<double>(value(b[tb ? j * k + p : p * n + j]));
        },
        [&](std::int64_t i, std::int64_t j) { return static_cast<double>(c[i * n + j]); }, m_seed);
  }

  void fill_bf16(std::uint16_t* dst, std::size_t count, std::uint64_t stream) {
    const auto n = static_cast<std::int64_t>(count);
#pragma omp parallel for schedule(static)
    for (std::int64_t i = 0; i < n; ++i)
      dst[i] = to_bf16(static_cast<float>(
          -1.0 + 2.0 * unit_random(m_seed, stream, static_cast<std::uint64_t>(i))));
  }

  shape m_s;
  std::uint64_t m_seed;
  dnnl::engine m_engine{dnnl::engine::kind::cpu, 0};
  dnnl::stream m_stream{m_engine};
  dnnl::matmul m_prim;
  std::string m_impl;
  raw_buffer m_a, m_b, m_c;
  std::unordered_map<int, memory> m_args;
};

class onednn_backend final : public backend {
 public:
  std::string name() const override { return "onednn"; }
  support supported(dtype t) const override { return onednn::native_type(t, "matmul"); }
  std::unique_ptr<problem> create(const shape& s, const problem_env& env) const override {
    return std::make_unique<onednn_gemm>(s, env);
  }
  nlohmann::json libraries() const override { return onednn::libraries(); }
};

}  // namespace

std::unique_ptr<backend> make_onednn_backend() {
  return std::make_unique<onednn_backend>();
}

}  // namespace mlhpc::gemm
