#include "workloads/gemm/gemm.hpp"

#include <limits>

#include "bench/error.hpp"

namespace mlhpc::gemm {

std::size_t input_bytes(dtype t) {
  MLHPC_ASSERT(t == dtype::f32 || t == dtype::bf16 || t == dtype::int8);
  return storage_bytes(t);
}

std::size_t output_bytes(dtype t) {
  MLHPC_ASSERT(t == dtype::f32 || t == dtype::bf16 || t == dtype::int8);
  return 4;  // f32 for f32 and bf16, s32 for int8
}

work_model work_of(const shape& s) {
  work_model w;
  const double m = static_cast<double>(s.m), n = static_cast<double>(s.n),
               k = static_cast<double>(s.k);
  w.flops = 2.0 * m * n * k;
  w.bytes = (m * k + k * n) * static_cast<double>(input_bytes(s.type)) +
            m * n * static_cast<double>(output_bytes(s.type));
  return w;
}

nlohmann::json describe_inputs(dtype t) {
  if (t == dtype::int8)
    return {{"a", describe_fill(fmt::format("u8 in [{},{}]", u8_low, u8_high), stream_a)},
            {"b", describe_fill(fmt::format("s8 in [{},{}]", s8_low, s8_high), stream_b)},
            {"c", "zero-filled before the first repetition; beta = 0"}};
  const std::string range = t == dtype::bf16 ? "[-1,1) rounded to bf16 (nearest even)" : "[-1,1)";
  return {{"a", describe_fill(range, stream_a)},
          {"b", describe_fill(range, stream_b)},
          {"c", "zero-filled before the first repetition; beta = 0"}};
}

namespace {

shape shape_of(const std::string& variant, const problem_params& p) {
  return {parse_dtype(variant, "gemm's variant"),
          p.get_int("m"),
          p.get_int("n"),
          p.get_int("k"),
          p.get("transa") == "t",
          p.get("transb") == "t"};
}

class gemm_workload final : public workload {
 public:
  gemm_workload(std::unique_ptr<backend> b, std::string why)
      : m_backend(std::move(b)), m_why(std::move(why)) {}

  std::string name() const override { return "gemm"; }
  std::string description() const override {
    return fmt::format(
        "matrix product C = A*B, random inputs, checked against a double reference "
        "(backend: {})",
        m_backend ? m_backend->name() : "none built");
  }
  std::vector<variant_info> variants() const override {
    return {{"f32", "f32 inputs and output"},
            {"bf16", "bf16 inputs, f32 accumulation and output"},
            {"int8", "u8 A times s8 B into s32"}};
  }
  std::vector<param_spec> parameters(const std::string&) const override {
    const std::int64_t max_dim = std::numeric_limits<std::int32_t>::max();
    return {{"m", param_type::integer, "1024", "rows of A and C", {}, 1, max_dim},
            {"n", param_type::integer, "1024", "columns of B and C", {}, 1, max_dim},
            {"k", param_type::integer, "1024", "columns of A, rows of B", {}, 1, max_dim},
            {"transa", param_type::choice, "n", "A stored transposed (t) or not (n)", {"n", "t"}},
            {"transb", param_type::choice, "n", "B stored transposed (t) or not (n)", {"n", "t"}}};
  }
  support supported(const std::string& variant, const problem_params&) const override {
    if (!m_backend) return support::no(m_why);
    return m_backend->supported(parse_dtype(variant, "gemm's variant"));
  }
  std::uint64_t footprint_bytes(const std::string& variant,
                                const problem_params& p) const override {
    const shape s = shape_of(variant, p);
    const double total = *work_of(s).bytes;
    return total > 1.8e19 ? UINT64_MAX : static_cast<std::uint64_t>(total);
  }
  std::unique_ptr<problem> create(const std::string& variant, const problem_params& p,
                                  const problem_env& env) const override {
    MLHPC_ASSERT(m_backend != nullptr);
    return m_backend->create(shape_of(variant, p), env);
  }
  std::optional<ceiling_ref> ceiling_of(const std::string& variant,
                                        const problem_params&) const override {
    return ceiling_ref{"flops:" + variant, "flops_per_s"};
  }
  nlohmann::json libraries() const override {
    return m_backend ? m_backend->libraries() : nlohmann::json::object();
  }

 private:
  std::unique_ptr<backend> m_backend;
  std::string m_why;
};

}  // namespace

std::unique_ptr<workload> make_workload(std::unique_ptr<backend> b, std::string why_missing) {
  return std::make_unique<gemm_workload>(std::move(b), std::move(why_missing));
}

}  // namespace mlhpc::gemm
