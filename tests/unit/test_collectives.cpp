#include "workloads/collectives/collectives.hpp"

#include <gtest/gtest.h>

#include <cmath>

#include "bench/fill.hpp"

namespace mlhpc::collectives {
namespace {

TEST(Collectives, BusFactorsAreNcclTests) {
  EXPECT_DOUBLE_EQ(bus_factor(op::allreduce, 2), 1.0);
  EXPECT_DOUBLE_EQ(bus_factor(op::allreduce, 4), 1.5);
  EXPECT_DOUBLE_EQ(bus_factor(op::reduce_scatter, 4), 0.75);
  EXPECT_DOUBLE_EQ(bus_factor(op::allgather, 3), 2.0 / 3);
  EXPECT_DOUBLE_EQ(bus_factor(op::alltoall, 8), 7.0 / 8);
  EXPECT_DOUBLE_EQ(bus_factor(op::broadcast, 16), 1.0);
}

TEST(Collectives, BuffersSplitAndRoundAsNcclTests) {
  const auto ar = buffers_of(op::allreduce, 1001, 3);
  EXPECT_EQ(ar.count, 1001u);
  EXPECT_EQ(ar.send, 1001u);
  EXPECT_EQ(ar.recv, 1001u);
  const auto rs = buffers_of(op::reduce_scatter, 1001, 3);  // rounded down to 999
  EXPECT_EQ(rs.count, 999u);
  EXPECT_EQ(rs.send, 999u);
  EXPECT_EQ(rs.recv, 333u);
  const auto ag = buffers_of(op::allgather, 12, 4);
  EXPECT_EQ(ag.send, 3u);
  EXPECT_EQ(ag.recv, 12u);
  const auto a2a = buffers_of(op::alltoall, 12, 4);
  EXPECT_EQ(a2a.send, 12u);
  EXPECT_EQ(a2a.recv, 12u);
}

// The expected output is what each operation's definition gives from the ranks' send data.
TEST(Collectives, ExpectedValuesFollowEachDefinition) {
  const std::uint64_t seed = 42;
  const int n = 3;
  const auto b = buffers_of(op::alltoall, 9, n);  // chunks of 3
  // alltoall: rank 1's block s holds rank s's chunk 1.
  for (std::size_t j = 0; j < 9; ++j)
    EXPECT_EQ(expected(op::alltoall, seed, 1, n, j, b),
              element(seed, static_cast<int>(j / 3), 3 + j % 3));
  const auto ag = buffers_of(op::allgather, 9, n);
  for (std::size_t j = 0; j < 9; ++j)
    EXPECT_EQ(expected(op::allgather, seed, 2, n, j, ag),
              element(seed, static_cast<int>(j / 3), j % 3));
  const auto rs = buffers_of(op::reduce_scatter, 9, n);
  EXPECT_EQ(expected(op::reduce_scatter, seed, 2, n, 1, rs),
            element(seed, 0, 7) + element(seed, 1, 7) + element(seed, 2, 7));
  const auto ar = buffers_of(op::allreduce, 5, n);
  EXPECT_EQ(expected(op::allreduce, seed, 0, n, 4, ar),
            element(seed, 0, 4) + element(seed, 1, 4) + element(seed, 2, 4));
  EXPECT_EQ(expected(op::broadcast, seed, 2, n, 4, ar), element(seed, 0, 4));
}

TEST(Collectives, ElementsAreSmallRankSeededIntegers) {
  int distinct_ranks = 0, seen[9] = {};
  for (std::size_t i = 0; i < 1000; ++i) {
    const int v = element(7, 0, i);
    ASSERT_GE(v, -4);
    ASSERT_LE(v, 4);
    ++seen[v + 4];
    distinct_ranks += element(7, 0, i) != element(7, 1, i);
  }
  for (int c : seen) EXPECT_GT(c, 50);  // every value occurs: the data is not trivial
  EXPECT_GT(distinct_ranks, 700);       // and differs between ranks
}

TEST(Collectives, HalfPrecisionRoundTripsAndRoundsToNearestEven) {
  for (int v = -256; v <= 256; ++v) EXPECT_EQ(from_f16(to_f16(static_cast<float>(v))), v);
  EXPECT_EQ(to_f16(1.0f), 0x3c00);
  EXPECT_EQ(to_f16(-2.0f), 0xc000);
  EXPECT_EQ(to_f16(65504.0f), 0x7bff);               // the largest half
  EXPECT_EQ(to_f16(1e6f), 0x7c00);                   // overflow: infinity
  EXPECT_EQ(to_f16(std::ldexp(1.0f, -24)), 0x0001);  // the smallest subnormal
  EXPECT_FLOAT_EQ(from_f16(0x0001), std::ldexp(1.0f, -24));
  EXPECT_EQ(to_f16(1.0f + std::ldexp(1.0f, -11)), 0x3c00);  // a tie rounds to even
  EXPECT_EQ(to_f16(1.0f + 3 * std::ldexp(1.0f, -11)), 0x3c02);
  EXPECT_TRUE(std::isnan(from_f16(to_f16(NAN))));
  for (int v = -256; v <= 256; ++v) EXPECT_EQ(from_bf16(to_bf16(static_cast<float>(v))), v);
}

}  // namespace
}  // namespace mlhpc::collectives
