#pragma once
// A data set as training reads it: `files` files of `samples_per_file` samples each, packed one
// after another (TFRecord-like), sizes drawn from a normal law when a spread is given (DLIO's
// record_length_stdev), each file padded to whole 4 KiB blocks. The plan is global; under MPI a
// rank owns the files whose index is its rank modulo the ranks (disjoint shares by
// construction) and writes, reads, evicts and verifies only those, in its own scratch directory.
// Every block carries a checksum (blocks.hpp) naming its global file and offset.
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "bench/scratch.hpp"
#include "bench/workload.hpp"
#include "workloads/io/cache.hpp"
#include "workloads/io/engine.hpp"

namespace mlhpc::io {

struct sample_loc {
  std::uint32_t file = 0;  // global file index
  std::uint64_t offset = 0, bytes = 0;
};

struct dataset_plan {
  std::vector<std::uint64_t> file_bytes;  // padded to whole blocks
  std::vector<sample_loc> samples;        // in file order
  std::uint64_t sample_bytes = 0;         // the mean asked for
  std::uint64_t sample_stdev = 0;
};

// Sizes with a spread are drawn from N(mean, stdev) with the seed, clamped to [4 KiB, 3 mean].
dataset_plan plan_dataset(std::uint32_t files, std::uint64_t samples_per_file,
                          std::uint64_t sample_bytes, std::uint64_t sample_stdev,
                          std::uint64_t seed);

// The bytes read for a sample: exactly its bytes (buffered), or the whole 4 KiB blocks that hold
// it (O_DIRECT reads aligned ranges only).
std::uint64_t bytes_read_for(const sample_loc& s, bool direct);

class local_files {
 public:
  local_files(const dataset_plan& plan, int rank, int ranks, scratch_dir& dir, std::uint64_t seed);
  // Creates this rank's files ("data.<global index>"), fills them in 1 MiB calls (checking
  // `stop` between pieces), writes them back and evicts them. Refuses first, with the figures,
  // when the file system would be left under 10 % free.
  void write(const std::function<bool()>& stop);
  // Opens every file of this rank for reading (O_DIRECT or through the page cache).
  void open(bool direct);
  void close();
  const std::vector<int>& fds() const { return m_fds; }

  // Global indices of the samples in this rank's files, in file order.
  const std::vector<std::uint32_t>& own_samples() const { return m_own; }
  const std::vector<std::uint32_t>& own_files() const { return m_files; }
  std::uint64_t own_bytes() const { return m_bytes; }
  // Appends the reads of sample `s` (a global index) in calls of at most `transfer` bytes, file
  // indices local to fds().
  void ops_for(std::uint32_t s, bool direct, std::uint32_t transfer, std::vector<io_op>& out) const;

  // The page cache over this rank's files: every page of small files, about 4096 pages of each
  // large one.
  residency resident() const;
  void evict() const;
  // Reads every block of this rank's files back (O_DIRECT where the file system allows it) and
  // checks each; names the first bad block.
  verification verify() const;

 private:
  const dataset_plan& m_plan;
  scratch_dir& m_dir;
  std::uint64_t m_seed;
  std::vector<std::uint32_t> m_files;  // global indices of the files this rank owns
  std::vector<std::uint32_t> m_local;  // global file -> index in m_files (or ~0u)
  std::vector<std::uint32_t> m_own;
  std::uint64_t m_bytes = 0;
  std::vector<int> m_fds;
};

// Available memory as the kernel estimates it (MemAvailable), 0 when unknown: what the page
// cache could hold.
std::uint64_t cache_capacity_bytes();

}  // namespace mlhpc::io
