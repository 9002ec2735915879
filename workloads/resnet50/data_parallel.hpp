#pragma once
// Data parallelism for the training step, as PyTorch's DistributedDataParallel does it: every
// rank is a replica with its own batch and threads; the gradients are summed across ranks in
// buckets of consecutive gradients, each bucket's non-blocking allreduce started as soon as its
// last gradient completes in the backward pass (so communication overlaps the rest of it), and
// progressed between the backward pass's operations; the update waits for all of them and
// divides by the number of ranks. Batch norm statistics stay per rank (DDP without
// SyncBatchNorm). No MPI header here: the sum is a `gradient_allreduce`, whose MPI
// implementation is allreduce-mpi.cpp.
#include <cstddef>
#include <functional>
#include <memory>
#include <span>
#include <vector>

#include "workloads/resnet50/trainer.hpp"

namespace mlhpc {
class communicator;
}

namespace mlhpc::resnet50 {

// Sums float buffers across the ranks of a job, in place, without blocking.
class gradient_allreduce {
 public:
  virtual ~gradient_allreduce() = default;
  virtual int ranks() const = 0;
  // Starts the sum of `data` over all ranks into `data` on every rank. Every rank starts the
  // same sums in the same order.
  virtual void start(std::span<float> data) = 0;
  // Lets the sums in flight advance (a non-blocking collective moves only inside MPI calls
  // where no progress thread runs).
  virtual void progress() = 0;
  // Returns when every sum started is complete.
  virtual void wait_all() = 0;
  // Every rank reaches this point before any leaves it, sleeping while it waits (polls every
  // millisecond), so that waiting ranks leave their cores to a rank that works alone (an MPI
  // barrier spins, and a spinning core slows its neighbour where cores share a physical core).
  virtual void sleeping_barrier() = 0;
  // The library and the operation, for the result ("MPI_Iallreduce (Open MPI 4.1.4)").
  virtual std::string describe() const = 0;
};

// Makes the job's allreduce from the runner's communicator (MPI: allreduce-mpi.cpp); throws
// runtime_failure when the communicator cannot carry it.
using allreduce_factory = std::function<std::unique_ptr<gradient_allreduce>(communicator&)>;

// A run of consecutive gradients (in completion order) sent as one allreduce.
struct bucket {
  std::size_t offset = 0, count = 0;  // floats, in the gradient region
  std::vector<int> params;            // in completion order; the last completes the bucket
};

// Groups the gradients, in completion order, into buckets of at least `bucket_bytes` (the last
// may be smaller), the first one closed at `first_bucket_bytes` so that communication starts
// early, as DDP does (its defaults: 25 MiB, and 1 MiB for the first). Each bucket spans from
// its first gradient's offset to its last one's end (alignment gaps included: zeros).
std::vector<bucket> make_buckets(const std::vector<gradient_span>& spans, std::size_t bucket_bytes,
                                 std::size_t first_bucket_bytes);

// The per-step driver of the sums: the trainer's gradient hooks call ready() and finish(); the
// update then divides by ranks() (trainer::set_gradient_scale).
class gradient_averager {
 public:
  gradient_averager(std::unique_ptr<gradient_allreduce> sum, std::size_t bucket_bytes,
                    std::size_t first_bucket_bytes);
  // Plans the buckets over `region`, whose gradients lie at `spans` (in completion order).
  void attach(std::span<float> region, const std::vector<gradient_span>& spans);
  const std::vector<bucket>& buckets() const { return m_buckets; }
  int ranks() const;
  std::string describe() const;
  // A parameter's gradient is complete: starts every bucket now complete, in order, and
  // progresses the sums in flight.
  void ready(int param);
  // Before the update: waits for every sum (all buckets must have started).
  void finish();
  void sleeping_barrier() { m_sum->sleeping_barrier(); }
  // Seconds the last step's update waited for the sums to finish (what overlap did not hide).
  double last_wait_s() const { return m_last_wait_s; }

 private:
  std::unique_ptr<gradient_allreduce> m_sum;
  std::size_t m_bucket_bytes, m_first_bucket_bytes;
  std::span<float> m_region;
  std::vector<bucket> m_buckets;
  std::vector<int> m_bucket_of;  // param -> bucket
  std::vector<int> m_remaining;  // per bucket: gradients not yet complete in this step
  int m_next = 0;                // the next bucket to start (they start in order)
  double m_last_wait_s = 0;
};

}  // namespace mlhpc::resnet50
