// conv through the driver: problem lines on the command line, batch files, and bad lines.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "bench/result_file.hpp"
#include "reports/network_summary.hpp"
#include "tests/support/features.hpp"
#include "tests/support/process.hpp"

namespace mlhpc {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using test::mlhpc;

TEST(ConvCli, BadProblemLinesAreUsageErrorsThatPointAtTheField) {
  const auto out = fs::temp_directory_path() / "mlhpc-conv-never.json";
  const auto r = mlhpc({"run", "-w", "conv", "--set", "problem=mb32ic64ih56oc64oh56kh3ph1q7",
                        "--out", out.string()});
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("problem 'mb32ic64ih56oc64oh56kh3ph1q7': unknown field at position 27"),
            std::string::npos)
      << r.err;
  EXPECT_FALSE(fs::exists(out));
  const auto g = mlhpc(
      {"run", "-w", "conv", "--set", "problem=g3ic64ih56oc64oh56kh3ph1", "--out", out.string()});
  EXPECT_EQ(g.status, 2);
  EXPECT_NE(g.err.find("ic 64 is not divisible by g 3"), std::string::npos) << g.err;
}

TEST(ConvCli, ATrainingStepOfOneLayerIsThreeVerifiedPasses) {
  MLHPC_SKIP_WITHOUT_DNNL();
  const auto out = fs::temp_directory_path() / "mlhpc-conv-step.json";
  // Written non-canonically: the result keys carry the canonical line.
  const auto r =
      mlhpc({"run", "-q", "-w", "conv", "--set", "problem=mb4_ic16ih14iw14_oc32oh7kh3sh2ph1pw1",
             "-r", "6", "--max-time", "0.2", "--counters", "none", "--out", out.string()});
  ASSERT_EQ(r.status, 0) << r.err;
  const json doc = json::parse(test::slurp(out.string()));
  fs::remove(out);
  EXPECT_TRUE(validate_result(doc).empty());
  ASSERT_EQ(doc["results"].size(), 3U);
  std::vector<std::string> passes;
  for (const auto& res : doc["results"]) {
    passes.push_back(res["parameters"]["pass"]);
    EXPECT_EQ(res["parameters"]["problem"], "mb4ic16ih14oc32oh7kh3sh2ph1");
    EXPECT_EQ(res["status"], "ok");
    EXPECT_EQ(res["verification"]["status"], "passed");
    EXPECT_FALSE(res["details"]["implementation"].get<std::string>().empty());
    EXPECT_TRUE(res["details"]["tensors"].is_object());
    // 20 of the 21 taps per axis fall inside the input (the first output's first tap is on the
    // padding); benchdnn counts 2 * 4 * 32 * 16 * 20 * 20.
    EXPECT_DOUBLE_EQ(res["work"]["flops"].get<double>(), 2.0 * 4 * 32 * 16 * 20 * 20);
  }
  EXPECT_EQ(passes, (std::vector<std::string>{"fwd_training", "bwd_data", "bwd_weights"}));
}

TEST(ConvCli, UnknownNetworksAreUsageErrors) {
  const auto r = mlhpc({"run", "-w", "conv", "--set", "network=resnet5", "--dry-run"});
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("--set network=resnet5: unknown network for conv (expected one of: "
                       "resnet50, resnet50_v1, resnet50_v1_5)"),
            std::string::npos)
      << r.err;
  const auto ok = mlhpc({"run", "-w", "conv", "--set", "network=resnet50", "--dry-run"});
  EXPECT_NE(ok.out.find("69 problem(s)"), std::string::npos) << ok.out;
}

// A layer list's results carry their line and the list's lines, so the synthetic network
// summary needs nothing but the result document.
TEST(ConvCli, AListsResultsAloneGiveTheNetworkSummary) {
  MLHPC_SKIP_WITHOUT_DNNL();
  const auto dir = fs::temp_directory_path() / "mlhpc-conv-list";
  fs::create_directories(dir);
  const auto list = (dir / "toy.shapes").string();
  {
    std::ofstream f(list);
    f << "# two layers\nproblem=mb2ic3ih16oc8oh8kh3sh2ph1n\"stem\" count=1\n\n"
         "problem=mb2ic8ih8oc8oh8kh3ph1 count=3\n";
  }
  const auto out = (dir / "r.json").string();
  const auto r = mlhpc({"run", "-q", "-w", "conv", "--set", "shapes=" + list, "-r", "6",
                        "--max-time", "0.1", "--counters", "none", "--out", out});
  ASSERT_EQ(r.status, 0) << r.err;
  const json doc = json::parse(test::slurp(out));
  EXPECT_TRUE(validate_result(doc).empty());
  ASSERT_EQ(doc["results"].size(), 6u);
  for (const auto& res : doc["results"])
    EXPECT_EQ(res["shape_list"]["lines"], json::array({2, 4})) << res["shape_list"].dump();
  const auto s = network_summary("toy", list, doc["results"]);
  EXPECT_EQ(s["layers"], 2);
  EXPECT_EQ(s["layers_expected"], 2);
  EXPECT_EQ(s["convolutions"], 4);
  EXPECT_EQ(s["batch"], 2);
  double step = 0;
  for (const auto& res : doc["results"]) {
    const double c = res["parameters"]["count"];
    const std::string pass = res["parameters"]["pass"];
    if (pass == "bwd_data" && res["shape_list"]["line"] == 2) continue;  // reads the images
    step += c * res["statistics"]["median_s"].get<double>();
  }
  EXPECT_NEAR(s["training_step_s"].get<double>(), step, 1e-12 * step);
  fs::remove_all(dir);
}

TEST(ConvCli, BatchFilesListTheNetworks) {
  auto r = mlhpc({"run", "-w", "conv", "--set", "shapes=resnet50_v1_5", "--dry-run"});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("69 problem(s)"), std::string::npos) << r.out;  // 23 layers x 3 passes
  EXPECT_NE(r.out.find("problem=mb32ic3ih224oc64oh112kh7sh2ph3n\"conv1\""), std::string::npos);
  r = mlhpc({"run", "-w", "conv", "--set", "shapes=resnet50_v1", "--set", "pass=fwd_inference",
             "--dry-run"});
  EXPECT_NE(r.out.find("20 problem(s)"), std::string::npos) << r.out;
  r = mlhpc({"run", "-w", "conv", "--set", "shapes=deepbench_train", "--set", "pass=bwd_data",
             "--dry-run"});
  EXPECT_NE(r.out.find("90 problem(s)"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace mlhpc
