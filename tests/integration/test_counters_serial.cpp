// Software events against time on this machine, run alone (RUN_SERIAL): task-clock over the
// timed samples is the measured time times the threads of a compute-bound workload.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <filesystem>
#include <thread>
#include <vector>

#include "tests/support/process.hpp"

namespace mlhpc {
namespace {

using nlohmann::json;

// task-clock / sample time per sample, median over the samples.
double busy_threads(int threads) {
  const auto out = std::filesystem::temp_directory_path() /
                   ("mlhpc-serial-" + std::to_string(threads) + ".json");
  const auto r =
      test::mlhpc({"run", "-q", "-w", "peak:f32", "-r", "10", "--max-time", "2", "--threads",
                   std::to_string(threads), "--counters", "task-clock", "--out", out.string()});
  EXPECT_EQ(r.status, 0) << r.err;
  const json doc = json::parse(test::slurp(out.string()));
  if (std::getenv("KEEP") == nullptr) std::filesystem::remove(out);
  const auto& res = doc["results"][0];
  if (!res["counters"]["values"].contains("task-clock")) return -1;
  const auto& tc = res["counters"]["values"]["task-clock"]["values"];
  const auto& s = res["measurement"]["samples_s"];
  std::vector<double> ratio;
  for (std::size_t i = 0; i < s.size(); ++i)
    ratio.push_back(tc[i].get<double>() / s[i].get<double>());
  std::sort(ratio.begin(), ratio.end());
  return ratio[ratio.size() / 2];
}

TEST(CountersSerial, TaskClockIsTheMeasuredTimeTimesTheThreads) {
  const double one = busy_threads(1);
  if (one < 0) GTEST_SKIP() << "perf_event is closed here";
  EXPECT_NEAR(one, 1.0, 0.1);
  if (std::thread::hardware_concurrency() < 2) GTEST_SKIP() << "one CPU";
  // Each counted window is a little wider than its timed sample (reading a counter of a thread
  // on the other CPU interrupts it: ~50 us in this VM against ~20 ms samples).
  EXPECT_NEAR(busy_threads(2), 2.0, 0.25);
}

}  // namespace
}  // namespace mlhpc
