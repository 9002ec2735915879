#pragma once
// The gradient sum of the data-parallel step over MPI (built with MLHPC_WITH_MPI).
#include <memory>

#include "workloads/resnet50/data_parallel.hpp"

namespace mlhpc::resnet50 {

// From the runner's communicator, which must be the MPI one (throws runtime_failure otherwise).
std::unique_ptr<gradient_allreduce> make_mpi_allreduce(communicator& comm);

}  // namespace mlhpc::resnet50
