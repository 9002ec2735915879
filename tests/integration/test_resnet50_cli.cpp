// resnet50 through the driver: a small network's steps end to end, and bad parameters.
#include <gtest/gtest.h>

#include <filesystem>

#include "bench/result_file.hpp"
#include "tests/support/features.hpp"
#include "tests/support/process.hpp"

namespace mlhpc {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using test::mlhpc;

TEST(ResNet50Cli, BadParametersAreUsageErrorsNamingTheValue) {
  const auto out = fs::temp_directory_path() / "mlhpc-resnet50-never.json";
  struct bad {
    const char* set;
    const char* message;
  };
  for (const bad& b : {bad{"batch=0", "parameter batch=0: expected an integer between 1 and 65536"},
                       bad{"image=16",
                           "image=16: expected at least 32 pixels, the network's "
                           "total stride"},
                       bad{"dtype=f64", "parameter dtype='f64': expected one of f32, bf16"}}) {
    const auto r = mlhpc({"run", "-w", "resnet50", "--set", b.set, "--out", out.string()});
    EXPECT_EQ(r.status, 2) << b.set;
    EXPECT_NE(r.err.find(b.message), std::string::npos) << r.err;
  }
  EXPECT_FALSE(fs::exists(out));
}

TEST(ResNet50Cli, AStepTooLargeForMemoryIsRefusedBeforeAllocating) {
  MLHPC_SKIP_WITHOUT_DNNL();
  const auto out = fs::temp_directory_path() / "mlhpc-resnet50-never.json";
  // 60 000 images of 224^2: the planned arena (activations, gradients, weights, scratchpad)
  // is terabytes; the plan refuses it with the figures, nothing runs.
  const auto r = mlhpc({"run", "-w", "resnet50", "--set", "batch=60000", "--out", out.string()});
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("its buffers need"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("TiB but only"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(out));
}

TEST(ResNet50Cli, ASmallNetworksStepsAreMeasuredProfiledAndVerified) {
  MLHPC_SKIP_WITHOUT_DNNL();
  const auto out = fs::temp_directory_path() / "mlhpc-resnet50-small.json";
  const auto r = mlhpc({"run", "-q", "-w", "resnet50:train", "--set", "batch=4", "--set",
                        "image=64", "--set", "width=16", "--set", "classes=10", "-r", "8",
                        "--counters", "none", "--out", out.string()});
  ASSERT_EQ(r.status, 0) << r.err;
  const json doc = json::parse(test::slurp(out.string()));
  fs::remove(out);
  EXPECT_TRUE(validate_result(doc).empty());
  ASSERT_EQ(doc["results"].size(), 1U);
  const auto& res = doc["results"][0];
  EXPECT_EQ(res["status"], "ok");
  EXPECT_EQ(res["verification"]["status"], "passed") << res["verification"].dump();
  EXPECT_EQ(res["work"]["items"], 4);
  EXPECT_EQ(res["work"]["item_unit"], "images");
  EXPECT_GT(res["rates"]["items_per_s"]["median"].get<double>(), 0);
  const auto& prof = res["details"]["profile"];
  EXPECT_EQ(prof["reorders_per_step"], 0);
  EXPECT_GT(prof["seconds_by_kind"]["conv_fwd"].get<double>(), 0);
  EXPECT_GT(prof["seconds_by_kind"]["update"].get<double>(), 0);
  EXPECT_LT(res["details"]["loss"]["last"].get<double>(),
            res["details"]["loss"]["first"].get<double>());
}

// Without an MPI launch the data-parallel variant is skipped with the command to use, and no
// rate is printed for it (nothing was measured).
TEST(ResNet50Cli, DataParallelWithoutALauncherIsSkippedWithTheCommandToUse) {
  const auto out = fs::temp_directory_path() / "mlhpc-resnet50-dp.json";
  const auto r = mlhpc({"run", "-q", "-w", "resnet50:data_parallel", "--set", "image=32", "--set",
                        "width=8", "--out", out.string()});
  ASSERT_EQ(r.status, 0) << r.err;
  const json doc = json::parse(test::slurp(out.string()));
  fs::remove(out);
  EXPECT_TRUE(validate_result(doc).empty());
  const auto& res = doc["results"][0];
  EXPECT_EQ(res["status"], "skipped");
  const std::string reason = res["reason"];
  if (!test::build::have_dnnl)
    EXPECT_NE(reason.find("without oneDNN"), std::string::npos) << reason;
  else
    EXPECT_TRUE(reason.find("mpirun -np 2 mlhpc run -w resnet50:data_parallel") !=
                    std::string::npos ||
                reason.find("built without MPI") != std::string::npos)
        << reason;
  EXPECT_FALSE(res.contains("rates"));
}

}  // namespace
}  // namespace mlhpc
