#pragma once
// peak: the machine's measured arithmetic ceiling. Every thread runs independent chains of FMA
// (or dot-product) instructions of one ISA and type; the best rate is the compute ceiling that
// GEMM and convolution results are reported against.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "bench/dtype.hpp"
#include "bench/workload.hpp"

namespace mlhpc::peak {

// One instruction kernel: `chunks` chunks of `chunk_iterations` iterations over `accumulators`
// independent registers. Returns the exact sum of every accumulator lane, which verification
// compares with chunks * chunk_iterations * accumulators * lanes * increment.
struct kernel_info {
  dtype type = dtype::f32;  // f64, f32, bf16, int8
  std::string isa;          // avx512, avx2
  std::string instruction;  // vfmadd231ps, vdpbf16ps, vpdpbusd, ...
  int lanes = 0;            // accumulator lanes per register
  int accumulators = 0;
  double ops_per_lane = 0;  // operations per lane per instruction (2 for FMA)
  double increment = 0;     // value each lane gains per instruction
  bool (*available)() = nullptr;
  double (*run)(std::int64_t chunks) = nullptr;
};
inline constexpr std::int64_t chunk_iterations = 1 << 14;

// Kernels compiled for this architecture (possibly none), best ISA first per type.
const std::vector<kernel_info>& kernels();

std::unique_ptr<workload> make_workload();

}  // namespace mlhpc::peak
