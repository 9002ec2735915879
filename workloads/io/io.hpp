#pragma once
// io: what training reads, measured on files the workload writes itself in a fresh scratch
// directory under --dir (bench/scratch.hpp): sequential shard reads and random sample reads with
// O_DIRECT (the page cache never answers), through the sync or io_uring engine at a queue depth;
// bandwidth, IOPS, and completion-latency percentiles from a log-linear histogram (fio's). Every
// block carries a checksum that verification reads back.
#include <memory>

#include "bench/workload.hpp"

namespace mlhpc::io {

std::unique_ptr<workload> make_workload();

}  // namespace mlhpc::io
