#pragma once
// The ResNet-50 training step on oneDNN primitives (built with MLHPC_WITH_DNNL). Engineered as
// the fast CPU implementations are, not as a framework is:
// - memory formats are chosen once, by the first convolution that sees a tensor, and every later
//   primitive is created with that format (no reorder in a step: `reorders_per_step` counts the
//   reorder primitives in the step's program and is 0 by construction, checked by tests);
// - batch normalisation is fused with the ReLU that follows it (`fuse_norm_relu`, its workspace
//   is the ReLU's mask); the residual sum is one binary primitive with a ReLU post-op; its
//   backward (the two gradients summed and masked by the block's ReLU) is one pass of our own;
// - one arena holds every tensor (activations, gradients, weights and their copies, workspaces,
//   the user-mode scratchpad shared by all primitives); it is allocated and touched before the
//   first step, so a step takes no page fault;
// - parameters live in f32 in the layout their gradient comes in (conv backward-weights' choice);
//   the SGD update writes the copies the forward and backward-data primitives read (their own
//   layouts, bf16 in mixed precision) in the same pass, through index tables built once;
// - loss, update and element-wise passes run on every thread (OpenMP).
#include <nlohmann/json.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "bench/dtype.hpp"
#include "workloads/resnet50/network.hpp"

namespace mlhpc::resnet50 {

struct train_options {
  config cfg;
  dtype type = dtype::f32;  // f32, or bf16: bf16 activations and weights copies, f32 master
  std::uint64_t seed = 0;
  // Which rank's batch this replica trains on (data parallel): the images and labels are drawn
  // from (seed, shard), the initial weights from the seed alone, so replicas start identical.
  int shard = 0;
  // SGD with momentum and weight decay as torch.optim.SGD (decay on every parameter, as
  // torchvision's reference recipe without --norm-weight-decay). The default learning rate is
  // Goyal et al.'s 0.1 x batch / 256.
  double lr = -1;  // < 0: 0.1 * batch / 256
  double momentum = 0.9;
  double weight_decay = 1e-4;
};

// Time of one step by kind of work, measured in a separate pass (each op timed alone).
struct step_profile {
  std::vector<std::pair<std::string, double>> seconds_by_kind;  // in a fixed order
  double step_s = 0;                                            // wall time of the profiled step
  double cpu_s = 0;      // user + system CPU time of the process during it
  long page_faults = 0;  // minor + major faults during the step
  int reorders = 0;      // reorder primitives executed in the step
  int ops = 0;           // primitives and kernels executed in the step
  struct op_time {
    std::string kind, name;
    double seconds = 0;
  };
  std::vector<op_time> per_op;  // every op of the step, in order
};

// A parameter or its gradient in plain layout (OIHW for conv weights, [classes][C] for the
// fully connected ones; scale then shift for batch
// norm), as double, for tests and the reference check.
struct plain_tensor {
  std::string name;
  std::vector<std::int64_t> dims;
  std::vector<double> values;
};

// Called after each parameter's gradient is complete, in the order the backward pass finishes
// them; the data-parallel driver starts their allreduce there.
using gradient_ready = std::function<void(int param)>;

// Where one parameter's gradient lies in the gradient region, in floats from its start.
struct gradient_span {
  int param = -1;
  std::size_t offset = 0, count = 0;
};

class trainer {
 public:
  // Plans the step (primitive descriptors, the arena's layout) without allocating the arena.
  trainer(const network& net, const train_options& opt);
  ~trainer();
  trainer(const trainer&) = delete;
  trainer& operator=(const trainer&) = delete;

  // Bytes of the arena the plan needs (what allocate() will take).
  std::uint64_t arena_bytes() const;
  // Allocates and touches the arena, creates the primitives, initialises the weights (Kaiming
  // normal for convolutions as torchvision, BN scale 1 and shift 0, the fully connected layer
  // uniform in +-1/sqrt(fan_in)) and a synthetic batch (seeded images, labels).
  void allocate();

  // One training step: forward, loss, backward, then the update (unless `update` is false: the
  // gradients stay for inspection).
  void step(bool update = true);
  // Averages gradients across ranks between the backward pass and the update: set by the
  // data-parallel driver. `ready` is called as each gradient completes; `finish` before the
  // update must leave every gradient averaged.
  void set_gradient_hooks(gradient_ready ready, std::function<void()> finish);
  // A factor the update multiplies every gradient by (1 / ranks after an allreduce's sum).
  void set_gradient_scale(float scale);
  // Every parameter's gradient, f32, in one contiguous region (valid after allocate()), in the
  // order the backward pass completes them: consecutive gradients are one range of memory.
  // Alignment gaps between them hold zeros, as do the padding of blocked layouts.
  std::span<float> gradient_region();
  // The parameters' places in that region, in completion order.
  std::vector<gradient_span> gradient_spans() const;
  // FNV-1a over the bytes of every master weight: equal on every rank of a data-parallel job
  // exactly when the replicas hold the same weights.
  std::uint64_t weights_fingerprint() const;
  // One step with every op timed alone, plus the process's page faults and CPU time.
  step_profile profile_step();

  float last_loss() const;
  int parameter_count() const;

  std::vector<plain_tensor> gradients() const;
  std::vector<plain_tensor> parameters() const;
  // The synthetic batch: images NCHW and labels.
  plain_tensor images() const;
  std::vector<int> labels() const;
  // A saved activation by name ("res5b.out", "bn5b_branch2a.out"), NCHW, for tests.
  plain_tensor activation(const std::string& name) const;

  // The implementation oneDNN chose for each primitive kind ({"conv_fwd": ["jit:avx512_core"]}),
  // the layouts and sizes, for the result's details.
  nlohmann::json details() const;

  class impl;

 private:
  std::unique_ptr<impl> m;
};

// Kinds of work in the order a profile lists them.
const std::vector<std::string>& op_kinds();

}  // namespace mlhpc::resnet50
