#include "bench/device.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <map>
#include <string>

#include "bench/error.hpp"

namespace mlhpc {
namespace {

std::string usage_message(const std::function<void()>& f) {
  try {
    f();
  } catch (const usage_error& e) {
    return e.what();
  }
  return "no usage_error";
}

TEST(Device, NamesRoundTripAndBadOnesAreRefusedByName) {
  for (const char* s : {"host", "cuda", "cuda:0", "cuda:7"})
    EXPECT_EQ(parse_device(s).to_string(), s);
  EXPECT_EQ(parse_device("cuda:3"), (device_ref{device_ref::kind::cuda, 3}));
  for (const char* bad :
       {"", "gpu", "cuda:", "cuda:-1", "cuda:x", "cuda:1 ", "CUDA", "cuda:9999999"})
    EXPECT_EQ(usage_message([&] { parse_device(bad); }),
              fmt::format("--device '{}': expected host, cuda (one GPU per local rank) or cuda:N "
                          "(N a GPU ordinal)",
                          bad))
        << bad;
}

TEST(Device, TheLocalRankComesFromTheFirstLauncherVariableThatHoldsOne) {
  std::map<std::string, std::string> env;
  const auto get = [&](const char* k) -> const char* {
    const auto it = env.find(k);
    return it == env.end() ? nullptr : it->second.c_str();
  };
  EXPECT_FALSE(launcher_local_rank(get).has_value());
  env.insert_or_assign("SLURM_LOCALID", std::string("3"));
  ASSERT_TRUE(launcher_local_rank(get).has_value());
  EXPECT_EQ(launcher_local_rank(get)->value, 3);
  EXPECT_EQ(launcher_local_rank(get)->source, "SLURM_LOCALID");
  env.insert_or_assign("OMPI_COMM_WORLD_LOCAL_RANK",
                       std::string("garbage"));  // not an integer: the next variable counts
  EXPECT_EQ(launcher_local_rank(get)->source, "SLURM_LOCALID");
  env.insert_or_assign("OMPI_COMM_WORLD_LOCAL_RANK", std::string("1"));
  EXPECT_EQ(launcher_local_rank(get)->value, 1);
  EXPECT_EQ(launcher_local_rank(get)->source, "OMPI_COMM_WORLD_LOCAL_RANK");
}

TEST(Device, OneGpuPerLocalRankAndExplicitOrdinalsAreChecked) {
  const device_ref cuda{device_ref::kind::cuda, -1};
  const local_rank r5{5, "SLURM_LOCALID"};
  auto c = choose_device(cuda, 4, r5, nullptr);
  EXPECT_EQ(c.device.to_string(), "cuda:1");  // 5 mod 4
  EXPECT_EQ(c.how, "local rank 5 (SLURM_LOCALID) of 4 visible GPU(s)");
  c = choose_device(cuda, 2, std::nullopt, "2,3");
  EXPECT_EQ(c.device.to_string(), "cuda:0");
  EXPECT_EQ(choose_device({}, 0, r5, nullptr).device.to_string(), "host");
  EXPECT_EQ(choose_device(parse_device("cuda:1"), 2, r5, nullptr).how, "--device cuda:1");
  EXPECT_EQ(usage_message([&] { choose_device(parse_device("cuda:2"), 2, r5, "4,5"); }),
            "--device cuda:2: this process sees 2 GPU(s) (CUDA_VISIBLE_DEVICES=4,5), ordinals 0 "
            "to 1");
  EXPECT_EQ(usage_message([&] { choose_device(cuda, 0, r5, nullptr); }),
            "--device cuda: this process sees no GPU");
}

}  // namespace
}  // namespace mlhpc
