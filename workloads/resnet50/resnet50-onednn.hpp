#pragma once
// The oneDNN backend of resnet50 (trainer.hpp), built when MLHPC_WITH_DNNL is enabled.
#include <memory>

#include "workloads/resnet50/resnet50.hpp"

namespace mlhpc::resnet50 {

std::unique_ptr<backend> make_onednn_backend();

}  // namespace mlhpc::resnet50
