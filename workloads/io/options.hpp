#pragma once
// io's parameters, parsed once per problem into one struct (every variant's subset), and DLIO's
// training shapes (dlio_benchmark configs/workload/*.yaml) with the one factor that scales them
// to the machine.
#include <cstdint>
#include <string>
#include <vector>

#include "bench/params.hpp"
#include "workloads/io/engine.hpp"

namespace mlhpc::io {

inline constexpr std::uint64_t mib = std::uint64_t{1} << 20;

// Options as parsed from the parameters (every variant's subset).
struct io_options {
  std::string variant;
  std::string engine = "io_uring";
  int depth = 1;
  bool direct = true;
  uring_options uring;
  std::uint32_t transfer = 0;  // bytes per read call
  // Data set (global).
  std::uint32_t files = 1;
  std::uint64_t samples_per_file = 1, sample_bytes = 0, sample_stdev = 0;
  std::uint64_t ops = 0;  // random variants: samples per repetition
  // Epoch.
  std::uint32_t batch = 1;
  int readers = 1;
  double compute_s = 0;
  int steps = 4;
  int prefetch = 2;
  double au_line = 0.90;
  std::string dlio_source;
  double data_bytes = 0;  // dlio: the size the case is scaled to
  // Checkpoint.
  std::uint64_t checkpoint_bytes = 0;
  double full_bytes = 0;  // the unscaled case's size
};

// `variant` as given; a dlio case becomes the epoch or checkpoint problem it describes.
io_options options_of(const std::string& variant, const problem_params& p);
// The case shrunk to `data_bytes` by one factor s: about f*sqrt(s) files holding N*s samples
// (both counts shrink, so a small data set still has many files and many samples per file), at
// least one batch per rank and one file per rank. Record sizes, batch, readers and compute
// time are the case's own. Nothing for a problem that is not a scaled epoch case.
void scale_case(io_options& o, int ranks);
// The names `case` accepts.
std::vector<std::string> dlio_names();

}  // namespace mlhpc::io
