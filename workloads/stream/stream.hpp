#pragma once
// stream: McCalpin's copy, scale, add and triad on double arrays at least 4x the last-level
// cache, all threads; the memory bandwidth ceiling. Bytes per element as STREAM counts them
// (no write-allocate): copy 16, scale 16, add 24, triad 24 (McCalpin, stream.c).
#include <memory>

#include "bench/workload.hpp"

namespace mlhpc::stream {
std::unique_ptr<workload> make_workload();
}
