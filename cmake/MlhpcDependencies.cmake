# Required dependencies: small, well-kept libraries the harness is built on.
find_package(fmt REQUIRED)
find_package(nlohmann_json 3.10 REQUIRED)
find_package(CLI11 REQUIRED)
find_package(valijson REQUIRED)
find_package(yaml-cpp REQUIRED)
find_package(OpenMP REQUIRED COMPONENTS CXX)
find_package(Threads REQUIRED)
find_package(PkgConfig REQUIRED)
pkg_check_modules(HWLOC REQUIRED IMPORTED_TARGET hwloc)
# --filter: RE2 matches in linear time without recursion (std::regex recursed per character and
# overflowed the stack on long or nested patterns).
pkg_check_modules(RE2 REQUIRED IMPORTED_TARGET re2)

# Optional dependencies, one tri-state option each.
mlhpc_option(DNNL "oneDNN workloads (gemm)")
mlhpc_option(CUDA "CUDA workloads (cuBLAS, cuDNN, NCCL, NVML)")
mlhpc_option(MPI "MPI multi-rank runs")
mlhpc_option(PAPI "PAPI hardware counters")
mlhpc_option(BENCHMARK "Google Benchmark micro-benchmarks in bench/micro")
mlhpc_option(URING "io_uring I/O engine (liburing)")

if(NOT MLHPC_WITH_DNNL STREQUAL "OFF")
  find_package(dnnl QUIET CONFIG)
endif()
mlhpc_feature(DNNL "${dnnl_FOUND}" "oneDNN ${dnnl_VERSION} (libdnnl-dev)")

if(NOT MLHPC_WITH_CUDA STREQUAL "OFF")
  if(NOT CUDAToolkit_ROOT AND EXISTS /usr/local/cuda)
    set(CUDAToolkit_ROOT /usr/local/cuda)
  endif()
  find_package(CUDAToolkit QUIET)
endif()
mlhpc_feature(CUDA "${CUDAToolkit_FOUND}" "CUDA toolkit ${CUDAToolkit_VERSION} (/usr/local/cuda)")
# The CUDA language only where the toolkit was found: device code for sm_80 (A100) and sm_90
# (H100, H200) and sm_90's PTX for later GPUs. nvcc uses its own host compiler, and the project's
# warnings and sanitizers (mlhpc_flags) are limited to C and C++, so nvcc never gets them.
if(MLHPC_HAVE_CUDA)
  set(CMAKE_CUDA_COMPILER ${CUDAToolkit_NVCC_EXECUTABLE})
  if(NOT DEFINED CMAKE_CUDA_ARCHITECTURES)
    set(CMAKE_CUDA_ARCHITECTURES 80-real 90)
  endif()
  set(CMAKE_CUDA_STANDARD 17)
  set(CMAKE_CUDA_STANDARD_REQUIRED ON)
  enable_language(CUDA)
endif()

if(NOT MLHPC_WITH_MPI STREQUAL "OFF")
  find_package(MPI QUIET COMPONENTS C)
endif()
mlhpc_feature(MPI "${MPI_C_FOUND}" "MPI ${MPI_C_VERSION} (libopenmpi-dev)")

if(NOT MLHPC_WITH_PAPI STREQUAL "OFF")
  pkg_check_modules(PAPI QUIET IMPORTED_TARGET papi)
endif()
mlhpc_feature(PAPI "${PAPI_FOUND}" "PAPI ${PAPI_VERSION} (libpapi-dev)")

if(NOT MLHPC_WITH_URING STREQUAL "OFF")
  pkg_check_modules(URING QUIET IMPORTED_TARGET liburing)
endif()
mlhpc_feature(URING "${URING_FOUND}" "liburing ${URING_VERSION} (liburing-dev)")

if(NOT MLHPC_WITH_BENCHMARK STREQUAL "OFF")
  find_package(benchmark QUIET CONFIG)
endif()
mlhpc_feature(BENCHMARK "${benchmark_FOUND}" "Google Benchmark ${benchmark_VERSION} (libbenchmark-dev)")

# The git commit is read at build time (cmake/GitInfo.cmake), so that it never goes stale.
find_package(Git QUIET)
