#pragma once
// How the I/O workload moves bytes: a list of operations on open files, all reads or all writes,
// kept at most `depth` in flight, each one's completion latency (submission to completion)
// recorded in a histogram (from the submitting call's return, as fio's clat; the submission
// latency apart). Two engines: synchronous pread/pwrite (depth 1: one call at a time),
// and io_uring through liburing (depth as asked; registered files, fixed buffers and polled
// completion as options, as fio's `registerfiles`, `fixedbufs` and `hipri`). The engine owns the
// buffers (4 KiB-aligned, so that O_DIRECT files work); a write's buffer is filled by `fill`
// before it is submitted, a read's is handed to `check` when it completes.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "workloads/io/histogram.hpp"

namespace mlhpc::io {

struct io_op {
  std::uint32_t file = 0;    // index into the engine's descriptors
  std::uint64_t offset = 0;  // bytes
  std::uint32_t bytes = 0;
};

// Appends the ops that cover bytes [begin, end) of `file` in calls of at most `chunk` bytes.
void append_chunks(std::vector<io_op>& out, std::uint32_t file, std::uint64_t begin,
                   std::uint64_t end, std::uint32_t chunk);

using fill_fn = std::function<void(const io_op&, std::span<unsigned char>)>;
using check_fn = std::function<void(const io_op&, std::span<const unsigned char>)>;

struct uring_options {
  bool register_files = false;
  bool fixed_buffers = false;
  bool polled = false;  // IORING_SETUP_IOPOLL: busy-polled completions; needs O_DIRECT files
  std::size_t submit_batch = 1;  // ops per submitting call (fio's iodepth_batch_submit)
};

class engine {
 public:
  virtual ~engine() = default;
  // "sync" or "io_uring" with its options, for the result.
  virtual std::string describe() const = 0;
  // Reads every op (each at most the engine's buffer size), at most depth() in flight. Throws
  // runtime_failure on an error or a short transfer, naming the file, offset and error.
  virtual void read(std::span<const io_op> ops, latency_histogram& latency,
                    const check_fn& check = {}) = 0;
  virtual void write(std::span<const io_op> ops, latency_histogram& latency,
                     const fill_fn& fill) = 0;
  virtual int depth() const = 0;
  // Submission latency of every op so far (io_uring: preparation to the submitting call's
  // return, as fio's slat); empty for the synchronous engine, whose call is the whole I/O (its
  // latency, in the caller's histogram, is fio's psync clat).
  virtual const latency_histogram& submission_latency() const {
    static const latency_histogram none;
    return none;
  }
};

// `fds`: the files, opened by the caller (and kept open while the engine lives). `max_bytes`:
// the largest op.
std::unique_ptr<engine> make_sync_engine(std::vector<int> fds, std::size_t max_bytes);
// Throws runtime_failure when this build has no liburing or the kernel refuses the ring (with
// the reason: io_uring disabled by sysctl, seccomp in a container, too old a kernel).
std::unique_ptr<engine> make_uring_engine(std::vector<int> fds, std::size_t max_bytes, int depth,
                                          const uring_options& o);
bool uring_built();

}  // namespace mlhpc::io
