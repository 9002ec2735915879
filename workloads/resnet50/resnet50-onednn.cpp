#include "workloads/resnet50/resnet50-onednn.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <sstream>

#include "bench/communicator.hpp"
#include "bench/error.hpp"
#include "bench/stats.hpp"

#include "workloads/onednn/onednn.hpp"
#include "workloads/resnet50/trainer.hpp"

namespace mlhpc::resnet50 {

namespace {

// The `n` ops of the profiled step that took longest, slowest first.
nlohmann::json slowest_ops(const step_profile& p, std::size_t n) {
  auto ops = p.per_op;
  std::sort(ops.begin(), ops.end(),
            [](const auto& x, const auto& y) { return x.seconds > y.seconds; });
  nlohmann::json out = nlohmann::json::array();
  for (std::size_t i = 0; i < std::min(n, ops.size()); ++i)
    out.push_back({{"kind", ops[i].kind}, {"name", ops[i].name}, {"seconds", ops[i].seconds}});
  return out;
}

class onednn_step final : public problem {
 public:
  onednn_step(network n, train_options o, const problem_env& env, const data_parallel_options* dp)
      : m_net(std::move(n)), m_opt(std::move(o)), m_threads(env.threads), m_comm(env.comm) {
    if (dp != nullptr) m_dp = *dp;
  }

  void setup() override {
    m_trainer = std::make_unique<trainer>(m_net, m_opt);
    m_trainer->allocate();
    if (m_dp) {  // 2 ranks or more (the workload's supported_with)
      MLHPC_ASSERT(m_dp->allreduce);
      m_avg = std::make_unique<gradient_averager>(m_dp->allreduce(*m_comm), m_dp->bucket_bytes,
                                                  m_dp->first_bucket_bytes);
      m_avg->attach(m_trainer->gradient_region(), m_trainer->gradient_spans());
      hooks(true);
    }
  }
  work_model work() const override {
    work_model w;
    w.flops = layer_formula_flops_per_image(m_net) * static_cast<double>(m_net.cfg.batch);
    w.items = static_cast<double>(m_net.cfg.batch);
    w.item_unit = "images";
    return w;
  }
  void run() override { train_step(true); }
  // The loss on the fixed batch must fall: the step really trains. Then, outside the timed
  // steps, one step with every op timed alone says where the time goes.
  verification verify() override {
    // The loss check reads the first loss_check_steps steps, whatever number the time allowed
    // (warm-up and timed steps are the same sequence from the same seed): a short run tops them
    // up here, untimed (on every rank alike: a collective's ranks ran the same steps). Its
    // verdict is then the same for a seed on a quiet or a busy machine; comparing the latest
    // step with the first made it depend on how many steps the time allowed.
    while (m_steps < loss_check_steps) train_step(false);
    // Two profiled steps; the first pays for the profile's own first use, the second is kept.
    (void)m_trainer->profile_step();
    m_profile = m_trainer->profile_step();
    if (m_dp) data_parallel_checks();
    verification v;
    v.metric = "loss_last_over_first";
    v.tolerance = 1.0;
    const int n = loss_check_steps;
    // One replica: its own loss; data parallel: the mean over ranks (the objective the averaged
    // gradient descends), the same number on every rank.
    const std::vector<double>& losses = m_dp ? m_mean_checked : m_checked;
    MLHPC_ASSERT(losses.size() == static_cast<std::size_t>(n));
    const double first = losses.front(), last = losses.back();
    v.error = last / first;
    if (m_dp && m_differing > 0) {
      v.metric = "ranks_whose_weights_differ_from_rank_0";
      v.tolerance = 0;
      v.error = static_cast<double>(m_differing);
      v.status = verification::state::failed;
      v.detail = fmt::format(
          "after {} steps the replicas' weights differ (FNV-1a of the master weights by rank: "
          "{}): the gradients were not averaged identically",
          m_steps, fmt::join(m_fingerprints, ", "));
      return v;
    }
    const bool finite = std::isfinite(first) && std::isfinite(last);
    v.status = finite && last < first ? verification::state::passed : verification::state::failed;
    v.detail = fmt::format(
        "cross-entropy on the fixed batch{}: {:.4f} at the first step, {:.4f} at step {} (must "
        "fall and stay finite; the first {} steps from the seed, whatever number ran){}",
        m_dp ? fmt::format(" (mean over the {} ranks' batches)", m_comm->size()) : std::string(),
        first, last, n, n,
        m_dp ? fmt::format("; the weights are identical on all {} ranks", m_comm->size())
             : std::string());
    return v;
  }
  void teardown() override {
    m_avg.reset();
    m_trainer.reset();
  }
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
    if (m_steps > 0)
      d["loss"] = {
          {"first", m_first}, {"last", m_last}, {"steps", m_steps}, {"checked_steps", m_checked}};
    if (m_dp) d["data_parallel"] = data_parallel_json();
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
          {"slowest_ops", slowest_ops(*m_profile, 15)},
          {"cpu_utilization", m_profile->cpu_s / (m_profile->step_s * m_threads)}};
    }
    return d;
  }

 private:
  void hooks(bool on) {
    if (on) {
      m_trainer->set_gradient_hooks([this](int p) { m_avg->ready(p); },
                                    [this] { m_avg->finish(); });
      m_trainer->set_gradient_scale(1.f / static_cast<float>(m_avg->ranks()));
    } else {
      m_trainer->set_gradient_hooks({}, {});
      m_trainer->set_gradient_scale(1.f);
    }
  }

  // After the timed steps, on every rank at once: whether the replicas hold the same weights,
  // each rank's first loss (its own batch), and rank 0's steps alone for the scaling efficiency.
  void data_parallel_checks() {
    const auto fps = m_comm->allgather(fmt::format("{:016x}", m_trainer->weights_fingerprint()));
    m_fingerprints = fps;
    m_differing = static_cast<int>(std::count_if(
        fps.begin(), fps.end(), [&](const std::string& f) { return f != fps.front(); }));
    m_first_by_rank.clear();
    for (const auto& t : m_comm->allgather(fmt::format("{:.9g}", m_first)))
      m_first_by_rank.push_back(std::stod(t));
    // The averaged gradient descends the mean of the ranks' losses, not any one rank's (whose
    // own batch may see its loss rise for a few steps while the mean falls): the loss check
    // reads the mean over ranks of each checked step.
    m_mean_checked.assign(m_checked.size(), 0.0);
    for (const auto& t : m_comm->allgather(fmt::format("{:.9g}", fmt::join(m_checked, " ")))) {
      std::istringstream in(t);
      for (double& m : m_mean_checked) {
        double x = 0;
        in >> x;
        m += x / m_comm->size();
      }
    }
    if (m_dp->solo_steps == 0) return;
    // Rank 0 alone, without the allreduce and without the update (so that the replicas stay
    // identical); the others wait at a barrier, asleep.
    m_solo_s.clear();
    if (m_comm->rank() == 0) {
      hooks(false);
      for (int i = 0; i < m_dp->solo_steps; ++i) {
        const auto t0 = std::chrono::steady_clock::now();
        m_trainer->step(false);
        m_solo_s.push_back(
            std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
      }
      hooks(true);
    }
    m_avg->sleeping_barrier();
  }

  nlohmann::json data_parallel_json() const {
    const int ranks = m_comm->size();
    const double batch = static_cast<double>(m_net.cfg.batch);
    nlohmann::json j = {
        {"ranks", ranks},
        {"threads_per_rank", m_threads},
        {"rank", m_comm->rank()},
        {"images_per_step_per_rank", m_net.cfg.batch},
        {"images_per_step_total", m_net.cfg.batch * ranks},
        {"data", "each rank its own synthetic batch, from (seed, rank)"},
        {"batch_norm",
         "statistics per rank (PyTorch DDP without SyncBatchNorm); the gradients of its scale "
         "and shift are averaged like every other"}};
    if (!m_step_s.empty()) {
      const double med = summarize(m_step_s).median;
      j["step_s"] = {
          {"median", med},
          {"samples", m_step_s},
          {"how", "this rank's timed steps, allreduce included, as the problem saw them"}};
      j["images_per_s_per_rank"] = batch / med;
      j["images_per_s_total"] = batch * ranks / med;
    }
    if (m_avg) {
      nlohmann::json sizes = nlohmann::json::array();
      for (const auto& b : m_avg->buckets()) sizes.push_back(b.count * sizeof(float));
      const auto region = m_trainer ? m_trainer->gradient_region().size() * sizeof(float) : 0;
      nlohmann::json c = {
          {"allreduce", m_avg->describe()},
          {"gradient_bytes", region},
          {"buckets", m_avg->buckets().size()},
          {"bucket_bytes", sizes},
          {"bucket_cap_bytes", m_dp->bucket_bytes},
          {"first_bucket_cap_bytes", m_dp->first_bucket_bytes},
          {"overlap",
           "each bucket's sum starts when its last gradient completes; MPI_Testall runs after "
           "every gradient; the update waits for all (wait_s)"}};
      if (!m_wait_s.empty()) {
        const double w = summarize(m_wait_s).median;
        c["wait_s"] = {{"median", w}, {"samples", m_wait_s}};
        if (!m_step_s.empty()) c["wait_share_of_step"] = w / summarize(m_step_s).median;
      }
      j["communication"] = c;
      if (m_dp->solo_steps == 0) {
        j["scaling_efficiency"] = {{"unavailable", "solo_steps=0: no one-rank baseline was timed"}};
      } else if (m_comm->rank() != 0 || m_solo_s.empty()) {
        j["scaling_efficiency"] = {{"unavailable", "the one-rank baseline is timed on rank 0"}};
      } else if (!m_step_s.empty()) {
        const double solo = summarize(m_solo_s).median;
        const double total = batch * ranks / summarize(m_step_s).median;
        j["solo"] = {
            {"rank", 0},
            {"step_s", m_solo_s},
            {"images_per_s", batch / solo},
            {"how",
             "rank 0 alone with the same threads after the timed steps, the others "
             "asleep in a barrier; forward, loss and backward without the allreduce and without "
             "the update (so that the replicas stay identical; the update is "
             "profile.seconds_by_kind.update of the step)"}};
        j["scaling_efficiency"] = {
            {"value", total / (ranks * batch / solo)},
            {"definition",
             "total images/s over ranks x the images/s of one rank alone with the same threads "
             "(Horovod's and DDP's weak-scaling efficiency)"}};
      }
    }
    j["weights"] = {{"identical_on_all_ranks", m_differing == 0},
                    {"fnv1a64_by_rank", m_fingerprints}};
    j["first_loss_by_rank"] = m_first_by_rank;
    j["checked_loss_mean_over_ranks"] = m_mean_checked;
    return j;
  }

  network m_net;
  train_options m_opt;
  int m_threads = 1;
  communicator* m_comm = nullptr;
  std::optional<data_parallel_options> m_dp;
  std::vector<double> m_step_s, m_wait_s, m_solo_s, m_first_by_rank;
  std::vector<std::string> m_fingerprints;
  int m_differing = 0;  // ranks whose weights differ from rank 0's
  std::unique_ptr<trainer> m_trainer;
  std::unique_ptr<gradient_averager> m_avg;  // after the trainer: it goes first
  // One training step; timed ones (run()) feed the step statistics of data parallelism.
  void train_step(bool timed) {
    const auto t0 = std::chrono::steady_clock::now();
    m_trainer->step();
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    m_last = m_trainer->last_loss();
    if (m_steps++ == 0) m_first = m_last;
    if (m_checked.size() < static_cast<std::size_t>(loss_check_steps)) m_checked.push_back(m_last);
    if (m_dp && timed) {
      m_step_s.push_back(s);
      if (m_avg) m_wait_s.push_back(m_avg->last_wait_s());
    }
  }
  std::vector<double> m_checked;       // the losses of the first loss_check_steps steps
  std::vector<double> m_mean_checked;  // data parallel: their mean over the ranks
  int m_steps = 0;
  float m_first = 0, m_last = 0;  // the loss of the first and of the latest step
  std::optional<step_profile> m_profile;
};

class onednn_backend final : public backend {
 public:
  std::string name() const override { return "onednn"; }
  support supported(dtype t) const override { return onednn::native_type(t, "training"); }
  std::uint64_t footprint_bytes(const network& n, const train_options& o) const override {
    return trainer(n, o).arena_bytes();
  }
  std::unique_ptr<problem> create(const network& n, const train_options& o, const problem_env& env,
                                  const data_parallel_options* dp) const override {
    return std::make_unique<onednn_step>(n, o, env, dp);
  }
  nlohmann::json libraries() const override { return onednn::libraries(); }
};

}  // namespace

std::unique_ptr<backend> make_onednn_backend() {
  return std::make_unique<onednn_backend>();
}

}  // namespace mlhpc::resnet50
