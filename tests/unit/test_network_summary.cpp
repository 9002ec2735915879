// The synthetic whole-network summary from per-layer conv results, computed from the result
// document alone: counts weight the layers, the first layer's bwd_data is left out, a missing or
// failed pass makes a total unavailable rather than smaller, and the measured resnet50 steps of
// the same batch and dtype are placed beside it.
#include "reports/network_summary.hpp"

#include <gtest/gtest.h>

namespace mlhpc {
namespace {

using nlohmann::json;

const std::string kList = "toy";
const std::string kStem = "mb8ic3ih32oc16oh16kh3sh2ph1n\"stem\"",
                  kBody = "mb8ic16ih16oc16oh16kh3ph1";

// A conv result from line `line` of the two-line list (lines 2 and 3).
json result(const std::string& problem, const std::string& pass, int count, int line, double median,
            const std::string& status = "ok") {
  json r = {{"workload", "conv"},
            {"status", status},
            {"parameters",
             {{"problem", problem},
              {"pass", pass},
              {"dtype", "f32"},
              {"layout", "nchw"},
              {"count", count}}},
            {"work", {{"items", 8}, {"item_unit", "images"}}},
            {"shape_list", {{"list", kList}, {"line", line}, {"lines", {2, 3}}}}};
  if (status == "ok")
    r["statistics"] = {{"median_s", median}};
  else
    r["reason"] = "out of memory";
  return r;
}

json full_network() {
  json results = json::array();
  for (const auto& [pass, t] :
       {std::pair{"fwd_training", 1.0}, {"bwd_data", 10.0}, {"bwd_weights", 2.0}})
    results.push_back(result(kStem, pass, 1, 2, t));
  for (const auto& [pass, t] :
       {std::pair{"fwd_training", 0.5}, {"bwd_data", 0.25}, {"bwd_weights", 0.75}})
    results.push_back(result(kBody, pass, 3, 3, t));
  return results;
}

TEST(NetworkSummary, LayerTimesWeightedByTheirCountsGiveTheStep) {
  const auto s = network_summary("resnet50", kList, full_network());
  EXPECT_EQ(s["layers"], 2);
  EXPECT_EQ(s["layers_expected"], 2);
  EXPECT_EQ(s["convolutions"], 4);
  EXPECT_EQ(s["batch"], 8);
  EXPECT_DOUBLE_EQ(s["forward_s"].get<double>(), 1.0 + 3 * 0.5);
  // The first layer's bwd_data (10 s) is left out: its input is the images.
  EXPECT_DOUBLE_EQ(s["training_step_s"].get<double>(), (1.0 + 2.0) + 3 * (0.5 + 0.25 + 0.75));
  EXPECT_DOUBLE_EQ(s["training_images_per_s"].get<double>(), 8 / 7.5);
  EXPECT_FALSE(s.contains("unavailable"));
  EXPECT_FALSE(s.contains("measured_steps"));  // no resnet50 result in the document
  EXPECT_TRUE(network_summary("resnet50", "other_list", full_network()).is_null());
}

TEST(NetworkSummary, ASubsetOfTheLayersGivesNoTotal) {
  // A partial or interrupted run: the first layer only. Its time is no network's time.
  json results = json::array();
  for (const char* pass : {"fwd_training", "bwd_data", "bwd_weights"})
    results.push_back(result(kStem, pass, 1, 2, 1.0));
  const auto s = network_summary("resnet50", kList, results);
  EXPECT_EQ(s["layers"], 2);
  EXPECT_FALSE(s.contains("forward_s")) << s.dump(1);
  EXPECT_FALSE(s.contains("training_step_s"));
  EXPECT_NE(s["unavailable"]["forward_s"].get<std::string>().find(
                "line 3 of the list fwd_training (not run)"),
            std::string::npos)
      << s.dump(1);
  // An interrupted layer counts as missing too.
  for (const char* pass : {"fwd_training", "bwd_data", "bwd_weights"})
    results.push_back(
        result(kBody, pass, 3, 3, 0.5, std::string(pass) == "bwd_data" ? "interrupted" : "ok"));
  const auto t = network_summary("resnet50", kList, results);
  EXPECT_TRUE(t.contains("forward_s"));
  EXPECT_NE(
      t["unavailable"]["training_step_s"].get<std::string>().find(kBody + " bwd_data (interrupted"),
      std::string::npos)
      << t.dump(1);
}

TEST(NetworkSummary, AMissingPassMakesTheTotalUnavailableNotSmaller) {
  json results = json::array();
  for (const char* pass : {"fwd_training", "bwd_data", "bwd_weights"})
    results.push_back(result(kStem, pass, 1, 2, 0.5));
  results.push_back(result(kBody, "fwd_training", 2, 3, 0.5));
  results.push_back(result(kBody, "bwd_weights", 2, 3, 0.5, "failed"));
  const auto s = network_summary("resnet50", kList, results);
  EXPECT_DOUBLE_EQ(s["forward_s"].get<double>(), 0.5 + 2 * 0.5);
  EXPECT_FALSE(s.contains("training_step_s"));
  EXPECT_NE(s["unavailable"]["training_step_s"].get<std::string>().find("bwd_weights (failed"),
            std::string::npos)
      << s.dump(1);
}

TEST(NetworkSummary, TheMeasuredStepsOfTheSameBatchAndTypeStandBesideIt) {
  json results = full_network();
  auto step = [](int batch, const std::string& dtype, int image, double median) {
    return json{
        {"workload", "resnet50"},
        {"variant", "train"},
        {"status", "ok"},
        {"canonical", "batch=" + std::to_string(batch)},
        {"parameters",
         {{"batch", batch}, {"image", image}, {"dtype", dtype}, {"width", 64}, {"classes", 1000}}},
        {"statistics", {{"median_s", median}}},
        {"details",
         {{"profile",
           {{"step_s", 10.0},
            {"seconds_by_kind",
             {{"conv_fwd", 2.0},
              {"conv_bwd_data", 3.0},
              {"conv_bwd_weights", 3.5},
              {"batch_norm", 1.0}}}}}}}};
  };
  results.push_back(step(8, "f32", 224, 10.0));  // the one that matches
  results.push_back(step(8, "bf16", 224, 5.0));  // another type
  results.push_back(step(4, "f32", 224, 5.0));   // another batch
  results.push_back(step(8, "f32", 64, 1.0));    // a reduced network
  const auto s = network_summary("resnet50", kList, results);
  ASSERT_EQ(s["measured_steps"].size(), 1u) << s.dump(1);
  const auto& m = s["measured_steps"][0];
  EXPECT_DOUBLE_EQ(m["step_s"].get<double>(), 10.0);
  EXPECT_DOUBLE_EQ(m["images_per_s"].get<double>(), 0.8);
  EXPECT_DOUBLE_EQ(m["synthetic_share"].get<double>(), 7.5 / 10.0);
  EXPECT_DOUBLE_EQ(m["profiled_convolution_s"].get<double>(), 8.5);
  EXPECT_DOUBLE_EQ(m["profiled_convolution_share"].get<double>(), 0.85);
}

}  // namespace
}  // namespace mlhpc
