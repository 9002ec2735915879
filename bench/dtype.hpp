#pragma once
// Data types of the suite: one enum and one name table (bench/dtype.cpp), so that a type's name,
// width and kind are written once (STYLE.md, trap 1). Workloads parse a type once, at the edge,
// and compare enums afterwards.
#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace mlhpc {

enum class dtype {
  f64,
  f32,
  tf32,  // f32 storage, 10-bit mantissa in the tensor cores' products (NVIDIA A100 whitepaper)
  f16,
  bf16,
  fp8_e4m3,  // OCP 8-bit floating point, 4 exponent and 3 mantissa bits
  fp8_e5m2,  // OCP 8-bit floating point, 5 exponent and 2 mantissa bits
  int8,
};

struct dtype_info {
  dtype type;
  std::string_view name;         // as written on the command line and in results
  std::size_t storage_bytes;     // bytes an element occupies in memory
  bool integer;                  // rates are ops/s, not flop/s
  std::string_view description;  // for `mlhpc list` and errors
};

// Every type, in the enum's order.
std::span<const dtype_info> dtype_table();
const dtype_info& info(dtype t);
std::string_view to_string(dtype t);
std::size_t storage_bytes(dtype t);
bool is_integer(dtype t);
// nullopt for a name the table does not hold.
std::optional<dtype> dtype_from_string(std::string_view name);
// Throws usage_error naming `name`, what it was given for (`what`, e.g. "gemm's variant") and the
// names expected.
dtype parse_dtype(std::string_view name, std::string_view what);

}  // namespace mlhpc
