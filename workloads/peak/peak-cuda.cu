// peak@cuda's CUDA-core kernels: independent FMA chains per thread, which the compiler cannot
// merge (each chain starts from a different value and the multiplier and addend are run-time
// arguments). tests/unit/test_peak_cuda_code.cpp reads this object's SASS (cuobjdump
// --dump-sass) and checks that every chain is its own FFMA / DFMA destination register, for
// sm_80 and sm_90, without a GPU. Not yet registered as a backend (issue 24 goes on: the
// workload's @cuda backend, its timing on CUDA events and the tensor-core mma kernels).

namespace mlhpc::peak::cuda {

// Each thread runs `chains` FMA chains for `iterations` steps, acc = acc * a + b, and writes
// the sum of its chains: with a = 1 and b = 1 every step adds exactly 1, so the host can check
// the result exactly (below 2^24 for f32).
template <class T, int chains>
__global__ void fma_chains(T* out, long long iterations, T a, T b) {
  T acc[chains];
#pragma unroll
  for (int c = 0; c < chains; ++c) acc[c] = static_cast<T>(threadIdx.x % 64 + c);
  for (long long i = 0; i < iterations; ++i) {
#pragma unroll
    for (int c = 0; c < chains; ++c) acc[c] = fma(acc[c], a, b);
  }
  T sum = 0;
#pragma unroll
  for (int c = 0; c < chains; ++c) sum += acc[c];
  out[static_cast<long long>(blockIdx.x) * blockDim.x + threadIdx.x] = sum;
}

// The instances peak@cuda uses: 8 chains, enough independent work per thread to cover the
// FMA latency at full occupancy (4 cycles on Ampere and Hopper).
inline constexpr int fma_chain_count = 8;
template __global__ void fma_chains<float, fma_chain_count>(float*, long long, float, float);
template __global__ void fma_chains<double, fma_chain_count>(double*, long long, double, double);

}  // namespace mlhpc::peak::cuda
