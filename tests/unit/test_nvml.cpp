// The NVML collector loads its library at run time: against a stand-in library
// (tests/support/fake_nvml.cpp) with known power, and where no library exists.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <map>
#include <thread>

#include "bench/counters.hpp"
#include "profilers/nvml/nvml.hpp"
#include "tests/support/build_config.hpp"
#include "tests/support/scoped_env.hpp"

namespace mlhpc::profilers {
namespace {

using nlohmann::json;

using test::scoped_env;

TEST(Nvml, MissingLibraryIsUnavailableWithTheReason) {
  scoped_env env("MLHPC_NVML_LIBRARY", "/nonexistent/libnvidia-ml.so.1");
  auto c = make_nvml_collector({"energy"});
  EXPECT_TRUE(c->metrics().empty());
  EXPECT_NE(c->unavailable_reason().find("no NVIDIA driver"), std::string::npos);
  EXPECT_EQ(c->unavailable().count("gpu-energy"), 1U);
}

TEST(Nvml, InitFailureIsDecoded) {
  scoped_env lib("MLHPC_NVML_LIBRARY", test::build::fake_nvml);
  scoped_env fail("FAKE_NVML_INIT_ERROR", "9");
  auto c = make_nvml_collector({"nvml"});
  EXPECT_TRUE(c->metrics().empty());
  EXPECT_NE(c->unavailable_reason().find("Driver Not Loaded"), std::string::npos);
}

TEST(Nvml, EnergyClocksTemperatureAndThrottleReasonsPerGpu) {
  scoped_env lib("MLHPC_NVML_LIBRARY", test::build::fake_nvml);
  auto c = make_nvml_collector({"nvml"});
  std::vector<std::string> names;
  for (const auto& m : c->metrics()) names.push_back(m.name);
  ASSERT_EQ(names.size(), 12U);
  EXPECT_EQ(names[0], "gpu0:energy");
  EXPECT_EQ(names[6], "gpu1:energy");
  // The counter's step was measured (10 ms in the stand-in) and recorded.
  EXPECT_NEAR(c->metrics()[0].update_interval_s, 0.01, 0.008);
  EXPECT_TRUE(c->describe()["energy_update_interval_s"].contains("gpu0"));
  EXPECT_EQ(c->describe()["driver_version"], "999.99-fake");

  // Through the session: windows of at least 100 steps, energy at 300 W and 150 W.
  counter_setup setup;
  setup.collectors = {c.get()};
  counter_session s(setup);
  s.start();
  // The stand-in's energy advances with the wall clock, so what is expected follows the time each
  // window really took (a busy host oversleeps), not the 0.5 s asked for.
  std::vector<double> took;
  for (int i = 0; i < 3; ++i) {
    s.before_sample();
    const auto t0 = std::chrono::steady_clock::now();
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    took.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    s.after_sample(took.back(), 5);
  }
  s.stop();
  std::sort(took.begin(), took.end());
  const double rep_s = took[1] / 5;  // the median window's time per repetition
  work_model w;
  w.flops = 1e12;
  const json j = s.to_json(w, "inline");
  const double e0 = j["values"]["gpu0:energy"]["statistics"]["median"];  // per repetition
  EXPECT_NEAR(e0, 300.0 * rep_s, 300.0 * rep_s * 0.15) << j.dump(1);
  EXPECT_EQ(j["values"]["gpu0:sm-clock"]["values"][0], 1.98e9);
  EXPECT_EQ(j["values"]["gpu1:temperature"]["values"][0], 41.0);
  EXPECT_EQ(j["values"]["gpu0:power"]["values"][0], 300.0);
  EXPECT_EQ(j["values"]["gpu0:throttle"]["set_bits"], json::array({"sw_power_cap"}));
  const double joules = 450.0 * rep_s;
  EXPECT_NEAR(j["derived"]["gpu_joules"]["value"].get<double>(), joules, joules * 0.15);
  EXPECT_NEAR(j["derived"]["average_watts"]["value"].get<double>(), 450.0, 450.0 * 0.15);
  EXPECT_NEAR(j["derived"]["gflop_per_joule"]["value"].get<double>(), 1000.0 / joules,
              1000.0 / joules * 0.15);
}

TEST(Nvml, OnlyWhatWasAskedFor) {
  scoped_env lib("MLHPC_NVML_LIBRARY", test::build::fake_nvml);
  auto c = make_nvml_collector({"energy"});
  std::vector<std::string> names;
  for (const auto& m : c->metrics()) names.push_back(m.name);
  EXPECT_EQ(names,
            (std::vector<std::string>{"gpu0:energy", "gpu0:power", "gpu1:energy", "gpu1:power"}));
}

}  // namespace
}  // namespace mlhpc::profilers
