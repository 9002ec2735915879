#pragma once
// The oneDNN backend of gemm (matmul primitive), built when MLHPC_WITH_DNNL is enabled.
#include <memory>

#include "workloads/gemm/gemm.hpp"

namespace mlhpc::gemm {
std::unique_ptr<backend> make_onednn_backend();
}
