#include "bench/dtype.hpp"

#include <array>

#include <fmt/format.h>

#include "bench/error.hpp"

namespace mlhpc {

namespace {

constexpr std::array<dtype_info, 8> k_table = {{
    {dtype::f64, "f64", 8, false, "IEEE 754 binary64"},
    {dtype::f32, "f32", 4, false, "IEEE 754 binary32"},
    {dtype::tf32, "tf32", 4, false, "TensorFloat-32: f32 storage, 10-bit mantissa products"},
    {dtype::f16, "f16", 2, false, "IEEE 754 binary16"},
    {dtype::bf16, "bf16", 2, false, "bfloat16: f32's exponent, 7-bit mantissa"},
    {dtype::fp8_e4m3, "fp8_e4m3", 1, false, "OCP FP8, 4-bit exponent, 3-bit mantissa"},
    {dtype::fp8_e5m2, "fp8_e5m2", 1, false, "OCP FP8, 5-bit exponent, 2-bit mantissa"},
    {dtype::int8, "int8", 1, true, "8-bit integers (u8 or s8) into s32"},
}};

// The table's order is the enum's: info() indexes it.
constexpr bool in_enum_order() {
  for (std::size_t i = 0; i < k_table.size(); ++i)
    if (static_cast<std::size_t>(k_table[i].type) != i) return false;
  return true;
}
static_assert(in_enum_order(), "k_table must list the types in the enum's order");

}  // namespace

std::span<const dtype_info> dtype_table() {
  return k_table;
}

const dtype_info& info(dtype t) {
  const auto i = static_cast<std::size_t>(t);
  MLHPC_ASSERT(i < k_table.size());
  return k_table[i];
}

std::string_view to_string(dtype t) {
  return info(t).name;
}
std::size_t storage_bytes(dtype t) {
  return info(t).storage_bytes;
}
bool is_integer(dtype t) {
  return info(t).integer;
}

std::optional<dtype> dtype_from_string(std::string_view name) {
  for (const auto& e : k_table)
    if (e.name == name) return e.type;
  return std::nullopt;
}

dtype parse_dtype(std::string_view name, std::string_view what) {
  if (auto t = dtype_from_string(name)) return *t;
  std::string names;
  for (const auto& e : k_table) names += fmt::format("{}{}", names.empty() ? "" : ", ", e.name);
  throw usage_error(
      fmt::format("{}: '{}' is not a data type; expected one of {}", what, name, names));
}

}  // namespace mlhpc
