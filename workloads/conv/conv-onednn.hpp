#pragma once
// The oneDNN backend of conv, built when MLHPC_WITH_DNNL is enabled.
#include <memory>
#include <vector>

#include "workloads/conv/conv.hpp"

namespace mlhpc::conv {

std::unique_ptr<backend> make_onednn_backend();

// One pass run once through the same problem the workload times, with its tensors in plain
// layout as double (src NCHW, weights OIHW, dst NCHW; the pass's output is `output`). For tests
// of verification, including an injected error.
struct plain_run {
  std::vector<double> src, wei, dst, output;
  verification verified;
};
plain_run run_once(const desc& d, pass p, dtype t, const std::string& layout, std::uint64_t seed);

}  // namespace mlhpc::conv
