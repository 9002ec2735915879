#include "bench/dtype.hpp"

#include <gtest/gtest.h>

#include <set>
#include <string>

#include "bench/error.hpp"

namespace mlhpc {
namespace {

TEST(Dtype, EveryNameRoundTripsAndNamesAreUnique) {
  std::set<std::string_view> names;
  for (const auto& e : dtype_table()) {
    EXPECT_TRUE(names.insert(e.name).second) << e.name;
    EXPECT_EQ(to_string(e.type), e.name);
    ASSERT_TRUE(dtype_from_string(e.name).has_value()) << e.name;
    EXPECT_EQ(*dtype_from_string(e.name), e.type);
    EXPECT_FALSE(e.description.empty()) << e.name;
  }
  EXPECT_EQ(names.size(), 8u);
}

TEST(Dtype, WidthsAndKindsAreTheFormats) {
  EXPECT_EQ(storage_bytes(dtype::f64), 8u);
  EXPECT_EQ(storage_bytes(dtype::f32), 4u);
  EXPECT_EQ(storage_bytes(dtype::tf32), 4u);  // f32 in memory
  EXPECT_EQ(storage_bytes(dtype::f16), 2u);
  EXPECT_EQ(storage_bytes(dtype::bf16), 2u);
  EXPECT_EQ(storage_bytes(dtype::fp8_e4m3), 1u);
  EXPECT_EQ(storage_bytes(dtype::fp8_e5m2), 1u);
  EXPECT_EQ(storage_bytes(dtype::int8), 1u);
  EXPECT_TRUE(is_integer(dtype::int8));
  EXPECT_FALSE(is_integer(dtype::bf16));
  EXPECT_FALSE(is_integer(dtype::fp8_e4m3));
}

TEST(Dtype, AnUnknownNameIsAUsageErrorNamingItAndTheChoices) {
  EXPECT_FALSE(dtype_from_string("F32").has_value());  // names are exact
  EXPECT_FALSE(dtype_from_string("").has_value());
  try {
    parse_dtype("fp32", "gemm's variant");
    FAIL() << "no usage_error";
  } catch (const usage_error& e) {
    EXPECT_STREQ(e.what(),
                 "gemm's variant: 'fp32' is not a data type; expected one of f64, f32, tf32, f16, "
                 "bf16, fp8_e4m3, fp8_e5m2, int8");
  }
  EXPECT_EQ(parse_dtype("fp8_e5m2", "x"), dtype::fp8_e5m2);
}

}  // namespace
}  // namespace mlhpc
