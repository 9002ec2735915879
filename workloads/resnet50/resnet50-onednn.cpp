#include "workloads/resnet50/resnet50-onednn.hpp"

#include <fmt/format.h>

#include <cmath>

#include "workloads/onednn/onednn.hpp"
#include "workloads/resnet50/trainer.hpp"

namespace mlhpc::resnet50 {

namespace {

class onednn_step final : public problem {
 public:
  onednn_step(network n, train_options o, int threads)
      : m_net(std::move(n)), m_opt(std::move(o)), m_threads(threads) {}

  void setup() override {
    m_trainer = std::make_unique<trainer>(m_net, m_opt);
    m_trainer->allocate();
  }
  work_model work() const override {
    work_model w;
    w.flops = layer_formula_flops_per_image(m_net) * static_cast<double>(m_net.cfg.batch);
    w.items = static_cast<double>(m_net.cfg.batch);
    w.item_unit = "images";
    return w;
  }
  void run() override {
    m_trainer->step();
    m_last = m_trainer->last_loss();
    if (m_steps++ == 0) m_first = m_last;
  }
  // The loss on the fixed batch must fall: the step really trains. Then, outside the timed
  // steps, one step with every op timed alone says where the time goes.
  verification verify() override {
    // Two profiled steps; the first pays for the profile's own first use, the second is kept.
    (void)m_trainer->profile_step();
    m_profile = m_trainer->profile_step();
    verification v;
    v.metric = "loss_last_over_first";
    v.tolerance = 1.0;
    const int n = m_steps;
    if (n < loss_check_steps) {
      v.status = verification::state::not_applicable;
      v.detail =
          fmt::format("{} steps ran; the falling loss is checked from {} steps on the same batch",
                      n, loss_check_steps);
      return v;
    }
    const double last = m_last;
    v.error = last / m_first;
    const bool finite = std::isfinite(m_first) && std::isfinite(last);
    v.status = finite && last < m_first ? verification::state::passed : verification::state::failed;
    v.detail = fmt::format(
        "cross-entropy on the fixed batch: {:.4f} at the first step, {:.4f} after {} steps "
        "(must fall and stay finite)",
        m_first, last, n);
    return v;
  }
  void teardown() override { m_trainer.reset(); }
  nlohmann::json details() const override {
    nlohmann::json d = m_trainer ? m_trainer->details() : nlohmann::json::object();
    const double per_image = layer_formula_flops_per_image(m_net);
    d["flops"] = {
        {"layer_formula_gflop_per_image", per_image / 1e9},
        {"executed_gflop_per_image", training_flops_per_image(m_net) / 1e9},
        {"model",
         "rates use the layer formula: 3 x the forward's 2 x multiply-adds, every kernel tap "
         "counted and conv1's input gradient included (24.5 GFLOP at 224^2); the step "
         "executes executed_gflop_per_image (taps on padding skipped, no gradient of the "
         "images)"}};
    d["parameters"] = parameter_count(m_net);
    d["batch_norm"] =
        "training mode: statistics of each step's batch (on each rank its own, as PyTorch's "
        "DDP without SyncBatchNorm); running statistics are not kept";
    d["optimizer"] = "SGD, momentum, weight decay on every parameter (torch.optim.SGD)";
    d["data"] = "one synthetic batch from the seed (uniform [-1,1) images, uniform labels)";
    if (m_steps > 0) d["loss"] = {{"first", m_first}, {"last", m_last}, {"steps", m_steps}};
    if (m_profile) {
      nlohmann::json kinds = nlohmann::json::object();
      for (const auto& [k, s] : m_profile->seconds_by_kind) kinds[k] = s;
      d["profile"] = {
          {"how",
           "the second of two untimed steps after the timed ones, each primitive or kernel "
           "timed alone (a stream wait after each)"},
          {"seconds_by_kind", kinds},
          {"step_s", m_profile->step_s},
          {"reorders_per_step", m_profile->reorders},
          {"ops_per_step", m_profile->ops},
          {"page_faults_per_step", m_profile->page_faults},
          {"cpu_utilization", m_profile->cpu_s / (m_profile->step_s * m_threads)}};
    }
    return d;
  }

 private:
  network m_net;
  train_options m_opt;
  int m_threads = 1;
  std::unique_ptr<trainer> m_trainer;
  int m_steps = 0;
  float m_first = 0, m_last = 0;  // the loss of the first and of the latest step
  std::optional<step_profile> m_profile;
};

class onednn_backend final : public backend {
 public:
  std::string name() const override { return "onednn"; }
  support supported(const std::string& dtype) const override {
    return onednn::native_type(dtype, "training");
  }
  std::uint64_t footprint_bytes(const network& n, const train_options& o) const override {
    return trainer(n, o).arena_bytes();
  }
  std::unique_ptr<problem> create(const network& n, const train_options& o,
                                  const problem_env& env) const override {
    return std::make_unique<onednn_step>(n, o, env.threads);
  }
  nlohmann::json libraries() const override { return onednn::libraries(); }
};

}  // namespace

std::unique_ptr<backend> make_onednn_backend() {
  return std::make_unique<onednn_backend>();
}

}  // namespace mlhpc::resnet50
