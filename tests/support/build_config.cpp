#include "tests/support/build_config.hpp"

namespace mlhpc::test::build {

const char* const mlhpc_bin = MLHPC_BIN;
const char* const fault_bin = MLHPC_FAULT_BIN;
const char* const mpirun = MLHPC_MPIRUN;
const char* const fake_nvml = MLHPC_FAKE_NVML;
const char* const test_dir = MLHPC_TEST_DIR;
const bool have_dnnl = MLHPC_TEST_HAVE_DNNL != 0;
const char* const peak_cuda_object = MLHPC_PEAK_CUDA_OBJECT;
const char* const peak_cuda_ptx = MLHPC_PEAK_CUDA_PTX;
const char* const cuobjdump = MLHPC_CUOBJDUMP;

}  // namespace mlhpc::test::build
