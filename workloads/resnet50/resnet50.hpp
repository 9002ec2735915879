#pragma once
// resnet50: whole training steps of ResNet-50 v1.5 (forward, loss, backward, SGD update) on a
// fixed synthetic batch; images/s, the step's time by kind of work, and the step's flops as a
// share of the measured peak. The network is network.hpp's; a backend runs it (trainer.hpp for
// oneDNN).
#include <memory>
#include <string>

#include "bench/dtype.hpp"
#include "bench/workload.hpp"
#include "workloads/resnet50/data_parallel.hpp"
#include "workloads/resnet50/network.hpp"

namespace mlhpc::resnet50 {

struct train_options;

// The data_parallel variant's settings (null for `train`).
struct data_parallel_options {
  allreduce_factory allreduce;  // the job's gradient sum (MPI); empty in a build without MPI
  std::size_t bucket_bytes = 0, first_bucket_bytes = 0;
  int solo_steps = 0;  // steps rank 0 times alone, for the scaling efficiency
};

class backend {
 public:
  virtual ~backend() = default;
  virtual std::string name() const = 0;
  virtual support supported(dtype t) const = 0;
  // Bytes the step's arena will take (planned without allocating it).
  virtual std::uint64_t footprint_bytes(const network& n, const train_options& o) const = 0;
  // `dp` is null for one replica per rank (`train`).
  virtual std::unique_ptr<problem> create(const network& n, const train_options& o,
                                          const problem_env& env,
                                          const data_parallel_options* dp) const = 0;
  virtual nlohmann::json libraries() const = 0;
};

// `allreduce` makes the data-parallel variant's gradient sum; empty where MPI was not built (that
// variant then runs on one rank only).
std::unique_ptr<workload> make_workload(std::unique_ptr<backend> b, std::string why_missing,
                                        allreduce_factory allreduce);

// The step's flops per image by the layer formula (the usual training accounting, 3 x the
// forward's 2 x multiply-adds, every kernel tap counted, conv1's input gradient included:
// 24.5 GFLOP at 224^2), which images/s is converted to GFLOP/s with.
double layer_formula_flops_per_image(const network& n);

// Steps the loss check needs before it means something.
inline constexpr int loss_check_steps = 5;

}  // namespace mlhpc::resnet50
