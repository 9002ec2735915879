#pragma once
// io: what training reads and writes, measured on files the workload writes itself in a fresh
// scratch directory under --dir (bench/scratch.hpp). Patterns: sequential shard reads, distinct
// random block reads, random samples from many files, many small files, a shuffled epoch read
// by reader threads in batches while a trainer simulates compute (DLIO's accelerator
// utilisation), DLIO's training shapes scaled to the machine, and checkpoint write + fsync +
// evict + restore. Reads bypass the page cache (O_DIRECT) or evict and check the eviction before
// every repetition; a result whose data may have come from memory says so in its status
// ("cached"). Engines: sync pread/pwrite or io_uring (engine.hpp). Completion and submission
// latency percentiles from log-linear histograms (fio's); every block checksummed and verified.
// Under MPI each rank owns the files whose index is its rank modulo the ranks.
#include <memory>

#include "bench/workload.hpp"

namespace mlhpc::io {

std::unique_ptr<workload> make_workload();

}  // namespace mlhpc::io
