#include "workloads/resnet50/resnet50.hpp"

#include <fmt/format.h>

#include "bench/error.hpp"
#include "workloads/resnet50/trainer.hpp"

namespace mlhpc::resnet50 {

double layer_formula_flops_per_image(const network& n) {
  double macs = 0;
  for (const auto& l : n.convs) {
    const auto& d = l.d;
    macs += static_cast<double>(d.oc * d.ic * d.kh * d.kw * d.oh * d.ow);
  }
  macs += static_cast<double>(n.final_c * n.cfg.classes);
  return 3 * 2 * macs;
}

namespace {

train_options options_of(const problem_params& p, std::uint64_t seed = 0) {
  train_options o;
  o.cfg = {p.get_int("batch"), p.get_int("image"), p.get_int("width"), p.get_int("classes")};
  o.dtype = p.get("dtype");
  o.seed = seed;
  return o;
}

class resnet50_workload final : public workload {
 public:
  resnet50_workload(std::unique_ptr<backend> b, std::string why)
      : m_backend(std::move(b)), m_why(std::move(why)) {}
  std::string name() const override { return "resnet50"; }
  std::string description() const override {
    return fmt::format(
        "ResNet-50 v1.5 training steps (forward, loss, backward, SGD with momentum) on a "
        "fixed synthetic batch; images/s and where the step's time goes (backend: {})",
        m_backend ? m_backend->name() : "none built");
  }
  std::vector<variant_info> variants() const override {
    return {{"train",
             "one replica per rank, each with its own batch; batch norm statistics per batch"}};
  }
  std::vector<param_spec> parameters(const std::string&) const override {
    param_spec batch{"batch", param_type::integer, "32", "images per step (per rank)"};
    param_spec image{"image", param_type::integer, "224",
                     "image height and width in pixels (at least 32, the total stride)"};
    param_spec width{"width", param_type::integer, "64",
                     "channels of the stem (64 is ResNet-50; smaller makes a reduced network "
                     "with the same blocks)"};
    param_spec classes{"classes", param_type::integer, "1000", "outputs of the last layer"};
    classes.min_value = 2;
    return {batch,
            image,
            {"dtype",
             param_type::choice,
             "f32",
             "f32; bf16 mixed precision (bf16 activations and weight copies, f32 master "
             "weights and gradients)",
             {"f32", "bf16"}},
            width,
            classes};
  }
  void check(const std::string&, const problem_params& p) const override {
    (void)build(options_of(p).cfg);  // throws usage_error naming the value
  }
  support supported(const std::string&, const problem_params& p) const override {
    if (!m_backend) return support::no(m_why);
    return m_backend->supported(p.get("dtype"));
  }
  std::uint64_t footprint_bytes(const std::string&, const problem_params& p) const override {
    if (!m_backend) return 0;
    const auto o = options_of(p);
    return m_backend->footprint_bytes(build(o.cfg), o);
  }
  std::unique_ptr<problem> create(const std::string&, const problem_params& p,
                                  const problem_env& env) const override {
    MLHPC_ASSERT(m_backend != nullptr);
    const auto o = options_of(p, env.seed);
    return m_backend->create(build(o.cfg), o, env);
  }
  std::optional<ceiling_ref> ceiling_of(const std::string&,
                                        const problem_params& p) const override {
    return ceiling_ref{"flops:" + p.get("dtype"), "flops_per_s"};
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
  return std::make_unique<resnet50_workload>(std::move(b), std::move(why_missing));
}

}  // namespace mlhpc::resnet50
