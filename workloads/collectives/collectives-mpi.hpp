#pragma once
#include <memory>

#include "workloads/collectives/collectives.hpp"

namespace mlhpc::collectives {
// The MPI backend (built with MLHPC_WITH_MPI).
std::shared_ptr<const backend> make_mpi_backend();
}  // namespace mlhpc::collectives
