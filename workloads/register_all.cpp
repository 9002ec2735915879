// The one place workloads are registered (explicitly: static initialisers in static libraries
// are dropped by the linker). A backend that was not built still registers its workload, whose
// problems are then skipped with the reason.
#include "bench/registry.hpp"
#include "workloads/collectives/collectives.hpp"
#include "workloads/conv/conv.hpp"
#include "workloads/gemm/gemm.hpp"
#include "workloads/io/io.hpp"
#include "workloads/peak/peak.hpp"
#include "workloads/resnet50/resnet50.hpp"
#include "workloads/stream/stream.hpp"
#if MLHPC_HAVE_MPI
#include "workloads/collectives/collectives-mpi.hpp"
#include "workloads/resnet50/allreduce-mpi.hpp"
#endif
#if MLHPC_HAVE_DNNL
#include "workloads/conv/conv-onednn.hpp"
#include "workloads/gemm/gemm-onednn.hpp"
#include "workloads/resnet50/resnet50-onednn.hpp"
#endif

namespace mlhpc {

namespace {

// The data-parallel ResNet-50 step's gradient sum: MPI where it was built.
resnet50::allreduce_factory resnet50_allreduce() {
#if MLHPC_HAVE_MPI
  return &resnet50::make_mpi_allreduce;
#else
  return {};
#endif
}

}  // namespace

void register_all(registry& r) {
  r.add(peak::make_workload());
  r.add(stream::make_workload());
  r.add(io::make_workload());
#if MLHPC_HAVE_DNNL
  r.add(gemm::make_workload(gemm::make_onednn_backend(), ""));
  r.add(conv::make_workload(conv::make_onednn_backend(), ""));
  r.add(resnet50::make_workload(resnet50::make_onednn_backend(), "", resnet50_allreduce()));
#else
  r.add(gemm::make_workload(nullptr,
                            "built without oneDNN (MLHPC_WITH_DNNL=OFF or libdnnl-dev "
                            "missing at configure time)"));
  r.add(conv::make_workload(nullptr,
                            "built without oneDNN (MLHPC_WITH_DNNL=OFF or libdnnl-dev "
                            "missing at configure time)"));
  r.add(resnet50::make_workload(nullptr,
                                "built without oneDNN (MLHPC_WITH_DNNL=OFF or libdnnl-dev "
                                "missing at configure time)",
                                resnet50_allreduce()));
#endif
#if MLHPC_HAVE_MPI
  for (auto& w : collectives::make_workloads(collectives::make_mpi_backend(), ""))
    r.add(std::move(w));
#else
  for (auto& w : collectives::make_workloads(
           nullptr,
           "built without MPI (MLHPC_WITH_MPI=OFF or libopenmpi-dev missing at "
           "configure time)"))
    r.add(std::move(w));
#endif
}

}  // namespace mlhpc
