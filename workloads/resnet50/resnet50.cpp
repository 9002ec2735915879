#include "workloads/resnet50/resnet50.hpp"

#include <fmt/format.h>

#include "bench/communicator.hpp"
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

train_options options_of(const problem_params& p, std::uint64_t seed = 0, int shard = 0) {
  train_options o;
  o.cfg = {p.get_int("batch"), p.get_int("image"), p.get_int("width"), p.get_int("classes")};
  o.type = parse_dtype(p.get("dtype"), "resnet50's dtype");
  o.seed = seed;
  o.shard = shard;
  return o;
}

// PyTorch DDP's bucket_cap_mb (25) and its first bucket (1 MiB, so that communication starts
// early in the backward pass).
constexpr std::size_t first_bucket_cap = std::size_t{1} << 20;

constexpr const char* data_parallel_name = "data_parallel";

class resnet50_workload final : public workload {
 public:
  resnet50_workload(std::unique_ptr<backend> b, std::string why, allreduce_factory allreduce)
      : m_backend(std::move(b)), m_why(std::move(why)), m_allreduce(std::move(allreduce)) {}
  std::string name() const override { return "resnet50"; }
  std::string description() const override {
    return fmt::format(
        "ResNet-50 v1.5 training steps (forward, loss, backward, SGD with momentum) on a "
        "fixed synthetic batch; images/s and where the step's time goes (backend: {})",
        m_backend ? m_backend->name() : "none built");
  }
  std::vector<variant_info> variants() const override {
    return {
        {"train", "one replica per rank, each with its own batch; batch norm statistics per batch"},
        {data_parallel_name,
         "one replica per rank (its own batch and threads), gradients averaged across the "
         "ranks by bucketed non-blocking allreduce overlapped with the backward pass, as "
         "PyTorch's DDP (2 ranks or more, under mpirun or srun); rates per rank, totals and "
         "scaling efficiency in details"}};
  }
  std::vector<param_spec> parameters(const std::string& variant) const override {
    param_spec batch{"batch", param_type::integer, "32", "images per step (per rank)"};
    param_spec image{"image", param_type::integer, "224",
                     "image height and width in pixels (at least 32, the total stride)"};
    param_spec width{"width", param_type::integer, "64",
                     "channels of the stem (64 is ResNet-50; smaller makes a reduced network "
                     "with the same blocks)"};
    param_spec classes{"classes", param_type::integer, "1000", "outputs of the last layer"};
    classes.min_value = 2;
    // Declared bounds, so that the network's sizes (products of these) stay far inside 64 bits:
    // the plan's memory check then refuses what does not fit, with the value named.
    batch.max_value = 1 << 16;
    image.max_value = 1 << 14;
    width.max_value = 1 << 12;
    classes.max_value = 1 << 24;
    std::vector<param_spec> out = {
        batch,
        image,
        {"dtype",
         param_type::choice,
         "f32",
         "f32; bf16 mixed precision (bf16 activations and weight copies, f32 master "
         "weights and gradients)",
         {"f32", "bf16"}},
        width,
        classes};
    if (variant == data_parallel_name) {
      param_spec bucket{"bucket_mib", param_type::integer, "25",
                        "MiB of gradients per allreduce (PyTorch DDP's bucket_cap_mb; the first "
                        "bucket closes at 1 MiB)"};
      bucket.max_value = 1 << 20;
      out.push_back(bucket);
      param_spec solo{"solo_steps", param_type::integer, "3",
                      "steps rank 0 times alone after the timed ones, the baseline of the "
                      "scaling efficiency (0: none)"};
      solo.min_value = 0;
      solo.max_value = 1 << 20;
      out.push_back(solo);
    }
    return out;
  }
  void check(const std::string&, const problem_params& p) const override {
    (void)build(options_of(p).cfg);  // throws usage_error naming the value
  }
  support supported(const std::string&, const problem_params& p) const override {
    if (!m_backend) return support::no(m_why);
    return m_backend->supported(parse_dtype(p.get("dtype"), "resnet50's dtype"));
  }
  support supported_with(const std::string& variant, const communicator& comm) const override {
    if (variant != data_parallel_name) return support::yes();
    if (!m_backend) return support::no(m_why);
    if (!m_allreduce)
      return support::no(
          "built without MPI (MLHPC_WITH_MPI=OFF or libopenmpi-dev missing at configure time): "
          "the gradients cannot be averaged across ranks");
    if (comm.size() < 2)
      return support::no(fmt::format(
          "data parallelism needs an MPI launch of 2 ranks or more (this job has {}): run it as "
          "'mpirun -np 2 mlhpc run -w resnet50:data_parallel --threads 1' (or srun); on one rank "
          "resnet50:train is the same step",
          comm.size()));
    return support::yes();
  }
  bool collective(const std::string& variant) const override {
    return variant == data_parallel_name;
  }
  std::uint64_t footprint_bytes(const std::string&, const problem_params& p) const override {
    if (!m_backend) return 0;
    const auto o = options_of(p);
    return m_backend->footprint_bytes(build(o.cfg), o);
  }
  std::unique_ptr<problem> create(const std::string& variant, const problem_params& p,
                                  const problem_env& env) const override {
    MLHPC_ASSERT(m_backend != nullptr);
    if (variant != data_parallel_name) {
      const auto o = options_of(p, env.seed);
      return m_backend->create(build(o.cfg), o, env, nullptr);
    }
    auto o = options_of(p, env.seed, env.comm->rank());
    // Goyal et al.'s linear rule on the global batch: the averaged gradient is that of
    // batch x ranks images.
    o.lr = 0.1 * static_cast<double>(o.cfg.batch * env.comm->size()) / 256.0;
    data_parallel_options dp;
    dp.allreduce = m_allreduce;
    dp.bucket_bytes = p.get_scaled<std::size_t>("bucket_mib", 1 << 20, "MiB");
    dp.first_bucket_bytes = std::min(first_bucket_cap, dp.bucket_bytes);
    dp.solo_steps = p.get_as<int>("solo_steps");
    return m_backend->create(build(o.cfg), o, env, &dp);
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
  allreduce_factory m_allreduce;
};

}  // namespace

std::unique_ptr<workload> make_workload(std::unique_ptr<backend> b, std::string why_missing,
                                        allreduce_factory allreduce) {
  return std::make_unique<resnet50_workload>(std::move(b), std::move(why_missing),
                                             std::move(allreduce));
}

}  // namespace mlhpc::resnet50
