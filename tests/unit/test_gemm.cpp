#include "workloads/gemm/gemm.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace mlhpc::gemm {
namespace {

TEST(GemmWork, FlopsAndMinimumBytes) {
  const auto w = work_of({dtype::f32, 2048, 2048, 2048, false, false});
  EXPECT_DOUBLE_EQ(*w.flops, 2.0 * 2048 * 2048 * 2048);
  EXPECT_DOUBLE_EQ(*w.bytes, 3.0 * 2048 * 2048 * 4);
  const auto b = work_of({dtype::bf16, 100, 30, 7, true, false});
  EXPECT_DOUBLE_EQ(*b.flops, 2.0 * 100 * 30 * 7);
  EXPECT_DOUBLE_EQ(*b.bytes, (100.0 * 7 + 7 * 30) * 2 + 100.0 * 30 * 4);
  const auto i = work_of({dtype::int8, 5, 6, 7, false, true});
  EXPECT_DOUBLE_EQ(*i.bytes, (5.0 * 7 + 7 * 6) * 1 + 5.0 * 6 * 4);
}

TEST(Bf16, RoundsToNearestEven) {
  EXPECT_EQ(from_bf16(to_bf16(1.0f)), 1.0f);
  EXPECT_EQ(from_bf16(to_bf16(-0.5f)), -0.5f);
  // 1 + 2^-8 is exactly half-way between 1 and 1 + 2^-7: ties go to the even mantissa (1).
  EXPECT_EQ(from_bf16(to_bf16(1.0f + 0x1.0p-8f)), 1.0f);
  EXPECT_EQ(from_bf16(to_bf16(1.0f + 0x1.8p-8f)), 1.0f + 0x1.0p-7f);
}

struct small_product {
  shape s;
  std::vector<float> a, b, c;
  explicit small_product(shape sh) : s(std::move(sh)) {
    a.resize(static_cast<std::size_t>(s.m * s.k));
    b.resize(static_cast<std::size_t>(s.k * s.n));
    c.assign(static_cast<std::size_t>(s.m * s.n), 0.0f);
    fill_uniform(std::span<float>(a), 1, stream_a, -1, 1);
    fill_uniform(std::span<float>(b), 1, stream_b, -1, 1);
    for (std::int64_t i = 0; i < s.m; ++i)
      for (std::int64_t j = 0; j < s.n; ++j) {
        float acc = 0;
        for (std::int64_t p = 0; p < s.k; ++p) acc += A(i, p) * B(p, j);
        c[static_cast<std::size_t>(i * s.n + j)] = acc;
      }
  }
  float A(std::int64_t i, std::int64_t p) const {
    return a[static_cast<std::size_t>(s.transa ? p * s.m + i : i * s.k + p)];
  }
  float B(std::int64_t p, std::int64_t j) const {
    return b[static_cast<std::size_t>(s.transb ? j * s.k + p : p * s.n + j)];
  }
  verification verify() const {
    return check(
        s, [&](auto i, auto p) { return double(A(i, p)); },
        [&](auto p, auto j) { return double(B(p, j)); },
        [&](auto i, auto j) { return double(c[static_cast<std::size_t>(i * s.n + j)]); }, 1);
  }
};

TEST(GemmCheck, AnF32ProductPassesOnOddTransposedShapes) {
  for (bool ta : {false, true})
    for (bool tb : {false, true}) {
      small_product p({dtype::f32, 17, 23, 31, ta, tb});
      const auto v = p.verify();
      EXPECT_EQ(v.status, verification::state::passed) << v.detail;
      EXPECT_LE(*v.error, *v.tolerance);
      EXPECT_EQ(v.metric, "max_normalized_error");
    }
}

TEST(GemmCheck, AnInjectedErrorFails) {
  small_product p({dtype::f32, 17, 23, 31, false, true});
  p.c[5 * 23 + 7] += 0.01f;
  const auto v = p.verify();
  EXPECT_EQ(v.status, verification::state::failed);
  EXPECT_NE(v.detail.find("worst at (5, 7)"), std::string::npos) << v.detail;
}

TEST(GemmCheck, LargeProblemsAreSampledAndStillCatchAWrongRow) {
  // M N K above 2^26: a seeded sample plus the corners; a corrupt last row is caught at a corner.
  shape s{dtype::f32, 512, 512, 512, false, false};
  const auto v = check(
      s, [](auto, auto) { return 1.0; }, [](auto, auto) { return 0.5; },
      [&](auto i, auto) { return i == 511 ? 255.0 : 256.0; }, 3);
  EXPECT_EQ(v.status, verification::state::failed);
  EXPECT_NE(v.detail.find("seeded sample plus corners"), std::string::npos) << v.detail;
}

TEST(GemmCheck, Int8MustBeExact) {
  shape s{dtype::int8, 3, 3, 4, false, false};
  auto ok = check(
      s, [](auto i, auto p) { return double(i + p); }, [](auto p, auto j) { return double(p - j); },
      [](auto i, auto j) {
        double r = 0;
        for (int p = 0; p < 4; ++p) r += double(i + p) * double(p - j);
        return r;
      },
      1);
  EXPECT_EQ(ok.status, verification::state::passed);
  EXPECT_EQ(*ok.tolerance, 0.0);
  auto bad = check(
      s, [](auto i, auto p) { return double(i + p); }, [](auto p, auto j) { return double(p - j); },
      [](auto i, auto j) {
        double r = 0;
        for (int p = 0; p < 4; ++p) r += double(i + p) * double(p - j);
        return r + (i == 2 && j == 1 ? 1 : 0);
      },
      1);
  EXPECT_EQ(bad.status, verification::state::failed);
  EXPECT_EQ(*bad.error, 1.0);
}

}  // namespace
}  // namespace mlhpc::gemm
