#pragma once
// What the build under test is and where its files are, compiled into one small translation unit
// (build_config.cpp, the only test source whose compile line names the build tree or its options).
// Every other test source compiles the same in each configuration, so that a compiler cache
// shares them between the Release and the no-oneDNN builds (scripts/test.sh).
namespace mlhpc::test::build {

extern const char* const mlhpc_bin;         // the `mlhpc` driver
extern const char* const fault_bin;         // the driver with a workload that fails on purpose
extern const char* const mpirun;            // the MPI launcher, "" where none was found
extern const char* const fake_nvml;         // the stand-in libnvidia-ml.so
extern const char* const test_dir;          // tests/ in the source tree
extern const bool have_dnnl;                // oneDNN workloads were built (MLHPC_WITH_DNNL)
extern const char* const peak_cuda_object;  // peak@cuda's kernels (object file), "" without CUDA
extern const char* const peak_cuda_ptx;     // the same kernels as PTX for sm_90, "" without CUDA
extern const char* const cuobjdump;         // the toolkit's SASS reader, "" without it

}  // namespace mlhpc::test::build
