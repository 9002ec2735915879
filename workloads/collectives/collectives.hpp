#pragma once
// Collectives: allreduce, reduce_scatter, allgather, broadcast and alltoall across the ranks of
// the job, the communication data-parallel and sharded training live on. The problem model
// (sizes, the bus factor, the rank-seeded data and its check) lives here; a backend (MPI today,
// NCCL later) moves the data.
//
// Sizes and bandwidths follow nccl-tests (doc/PERFORMANCE.md): `bytes` is the size S of the
// operation as nccl-tests counts it (allreduce, broadcast: one rank's buffer; allgather: the
// gathered output; reduce_scatter: the input being scattered; alltoall: one rank's send buffer),
// algbw = S / t, busbw = algbw x factor, with factor 2(n-1)/n for allreduce, (n-1)/n for
// reduce_scatter, allgather and alltoall, and 1 for broadcast. Timing is OSU's: per-call latency
// on each rank (the runner batches calls per sample so that a sample lasts at least 1 ms, after
// a warm-up of 100 calls up to 8 KiB and 10 above), then min / median / max / mean over ranks.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "bench/dtype.hpp"
#include "bench/workload.hpp"

namespace mlhpc::collectives {

enum class op { allreduce, reduce_scatter, allgather, broadcast, alltoall };
const char* name_of(op o);
// nccl-tests' bus factor for `n` ranks.
double bus_factor(op o, int n);

// Element counts of one rank's buffers for a size of `count` elements on `n` ranks: the count is
// rounded down to a multiple of n where the operation splits it (as nccl-tests does).
struct buffers {
  std::size_t count = 0;  // elements of the operation's size S after rounding
  std::size_t send = 0;   // elements of one rank's send buffer
  std::size_t recv = 0;   // elements of its receive buffer
};
buffers buffers_of(op o, std::size_t count, int n);

// The element of rank `rank` at index `i` of its send data: a small integer in [-4, 4] from
// splitmix64(seed, rank, i), so that sums over up to 64 ranks are exact in every type (bf16
// holds integers up to 256 exactly) and any misplaced or missing contribution shows.
int element(std::uint64_t seed, int rank, std::size_t i);

// What receive element `j` of rank `rank` must hold after the operation (root 0 for broadcast).
int expected(op o, std::uint64_t seed, int rank, int n, std::size_t j, const buffers& b);

// Float to IEEE binary16 (round to nearest even) and back; bfloat16 is in bench/fill.hpp.
std::uint16_t to_f16(float f);
float from_f16(std::uint16_t h);

struct spec {
  op kind = op::allreduce;
  std::size_t bytes = 0;
  dtype type = dtype::f32;  // f32, f64, bf16, f16
  bool in_place = false;
};

// A backend moves the data of one problem among the ranks of env.comm.
class backend {
 public:
  virtual ~backend() = default;
  // Whether the job's communicator suits it (an MPI launch of 2 ranks or more), or why not.
  virtual support supported_with(const communicator& comm) const = 0;
  virtual std::unique_ptr<problem> create(const spec& s, const problem_env& env) const = 0;
  virtual nlohmann::json libraries() const { return nlohmann::json::object(); }
};

// One workload per operation, variant "mpi". nullptr backend: listed, and every problem is
// skipped with `why_missing`.
std::vector<std::unique_ptr<workload>> make_workloads(std::shared_ptr<const backend> b,
                                                      std::string why_missing);

}  // namespace mlhpc::collectives
