// counter_session: windows, per-repetition values, statistics, derived metrics and the way a
// failing collector drops out, driven by a scripted collector whose counters are known exactly.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>

#include "bench/counters.hpp"
#include "bench/error.hpp"

namespace mlhpc {
namespace {

using nlohmann::json;

// Counters advance by a known amount per call of advance(); the test plays the workload.
class scripted_collector final : public collector {
 public:
  scripted_collector(std::string name, std::vector<metric_info> ms,
                     std::map<std::string, std::string> unavailable = {})
      : m_name(std::move(name)), m_now(ms.size(), 0.0) {
    m_metrics = std::move(ms);
    m_unavailable = std::move(unavailable);
  }
  std::string name() const override { return m_name; }
  void start() override {
    ++starts;
    if (fail_start) MLHPC_FAIL("scripted start failure");
  }
  std::vector<double> read() override {
    ++reads;
    if (fail_read_after >= 0 && reads > fail_read_after) MLHPC_FAIL("scripted read failure");
    return m_now;
  }
  std::vector<window_value> difference(const std::vector<double>& from,
                                       const std::vector<double>& to) const override {
    std::vector<window_value> out(from.size());
    for (std::size_t i = 0; i < from.size(); ++i) {
      out[i].value = m_metrics[i].kind == metric_kind::counter ? to[i] - from[i] : to[i];
      if (running_fraction) out[i].running_fraction = *running_fraction;
      out[i].counted_s = counted_s;
    }
    return out;
  }
  void stop() noexcept override { ++stops; }

  void advance(const std::vector<double>& by) {
    for (std::size_t i = 0; i < by.size(); ++i)
      m_now[i] = m_metrics[i].kind == metric_kind::counter ? m_now[i] + by[i] : by[i];
  }

  int starts = 0, stops = 0, reads = 0;
  bool fail_start = false;
  int fail_read_after = -1;
  std::optional<double> running_fraction;
  std::optional<double> counted_s;  // the width of every window, where the source stamps it

 private:
  std::string m_name;
  std::vector<double> m_now;
};

metric_info counter(std::string name, std::string unit = "count", double step = 0) {
  metric_info m;
  m.name = std::move(name);
  m.unit = std::move(unit);
  m.update_interval_s = step;
  return m;
}

// One sample of `seconds` over `reps` repetitions; the collector's counters advance by `by`
// inside the timed region.
void sample(counter_session& s, scripted_collector& c, double seconds, long long reps,
            const std::vector<double>& by) {
  s.before_sample();
  c.advance(by);
  s.after_sample(seconds, reps);
}

TEST(Counters, PerRepetitionValuesStatisticsAndDerivedRatios) {
  scripted_collector perf(
      "perf_event", {counter("cycles"), counter("instructions"), counter("task-clock", "second"),
                     counter("cache-references"), counter("cache-misses")});
  counter_setup setup;
  setup.collectors = {&perf};
  counter_session s(setup);
  s.start();
  // Two repetitions per sample: 2e9 cycles, 3e9 instructions, 1 s of thread time each.
  sample(s, perf, 0.5, 2, {4e9, 6e9, 2.0, 100, 10});
  sample(s, perf, 0.5, 2, {4e9, 6e9, 2.0, 100, 30});
  sample(s, perf, 0.5, 2, {4e9, 6e9, 2.0, 100, 20});
  s.stop();
  EXPECT_EQ(perf.starts, 1);
  EXPECT_EQ(perf.stops, 1);
  work_model w;
  w.flops = 1e9;
  const json j = s.to_json(w, "inline");
  EXPECT_EQ(j["pass"], "inline");
  const auto& cycles = j["values"]["cycles"];
  EXPECT_EQ(cycles["values"], json::array({2e9, 2e9, 2e9}));
  EXPECT_DOUBLE_EQ(cycles["statistics"]["median"].get<double>(), 2e9);
  EXPECT_EQ(cycles["repetitions"], 6);
  EXPECT_EQ(j["values"]["cache-misses"]["values"], json::array({5.0, 15.0, 10.0}));
  EXPECT_DOUBLE_EQ(j["derived"]["ipc"]["value"].get<double>(), 1.5);
  EXPECT_DOUBLE_EQ(j["derived"]["ghz_effective"]["value"].get<double>(), 2.0);
  EXPECT_DOUBLE_EQ(j["derived"]["cache_miss_rate"]["value"].get<double>(), 60.0 / 300.0);
  EXPECT_FALSE(j["values"]["task-clock"].contains("counted_s"));  // this source stamps none
  // task-clock 6 s over 1.5 timed seconds: four threads busy.
  EXPECT_DOUBLE_EQ(j["derived"]["busy_threads"]["value"].get<double>(), 4.0);
  EXPECT_FALSE(j.contains("derived_unavailable")) << j.dump(1);
  EXPECT_FALSE(j["values"]["cycles"].contains("scaled"));
}

TEST(Counters, BusyThreadsIsTakenOverTheCountedWindowsWhereTheSourceStampsThem) {
  scripted_collector perf("perf_event", {counter("task-clock", "second")});
  perf.counted_s = 0.55;  // each 0.5 s sample counted over 0.55 s (reads outside the timing)
  counter_setup setup;
  setup.collectors = {&perf};
  counter_session s(setup);
  s.start();
  sample(s, perf, 0.5, 1, {1.1});
  sample(s, perf, 0.5, 1, {1.1});
  s.stop();
  const json j = s.to_json(work_model{}, "inline");
  EXPECT_EQ(j["values"]["task-clock"]["counted_s"], json::array({0.55, 0.55}));
  // 2.2 s of thread time over 1.1 counted seconds: two threads, not the 2.2 over timed seconds.
  EXPECT_DOUBLE_EQ(j["derived"]["busy_threads"]["value"].get<double>(), 2.0);
  EXPECT_NE(j["derived"]["busy_threads"]["formula"].get<std::string>().find("counted"),
            std::string::npos);
}

TEST(Counters, MultiplexedCountsAreMarkedAndUnscheduledOnesAreNullNotZero) {
  scripted_collector perf("perf_event", {counter("cycles")});
  counter_setup setup;
  setup.collectors = {&perf};
  counter_session s(setup);
  s.start();
  perf.running_fraction = 0.5;
  sample(s, perf, 0.1, 1, {10});
  perf.running_fraction = 0.0;
  sample(s, perf, 0.1, 1, {10});
  s.stop();
  const json j = s.to_json({}, "inline");
  const auto& c = j["values"]["cycles"];
  EXPECT_EQ(c["scaled"], true);
  EXPECT_DOUBLE_EQ(c["running_fraction_min"].get<double>(), 0.5);
  ASSERT_EQ(c["values"].size(), 2U);
  EXPECT_EQ(c["values"][0], 10.0);
  EXPECT_TRUE(c["values"][1].is_null());
  EXPECT_EQ(c["statistics"]["n"], 1);
}

TEST(Counters, CoarseEnergyIsReadOverWindowsOfSamplesAndTheShortLastWindowIsMerged) {
  // 1 ms update steps: a window must last 0.1 s. Samples of 0.03 s each, 2 repetitions.
  scripted_collector rapl("rapl", {counter("energy:package-0", "joule", 1e-3),
                                   counter("energy:package-0/dram", "joule", 1e-3),
                                   counter("energy:psys", "joule", 1e-3)});
  counter_setup setup;
  setup.collectors = {&rapl};
  counter_session s(setup);
  s.start();
  for (int i = 0; i < 9; ++i) sample(s, rapl, 0.03, 2, {3.0, 0.6, 6.0});  // 100 W, 20 W, 200 W
  s.stop();
  work_model w;
  w.flops = 2e9;
  w.items = 64;
  w.item_unit = "image";
  const json j = s.to_json(w, "inline");
  const auto& win = j["windows"]["rapl"];
  // Windows of 4 samples (0.12 s >= 0.1 s); the ninth sample alone is too short and joins the
  // second window.
  EXPECT_EQ(win["samples"], json::array({4, 5}));
  EXPECT_EQ(win["repetitions"], json::array({8, 10}));
  EXPECT_EQ(win["last_window_merged"], true);
  EXPECT_TRUE(win.contains("note"));
  // The merged window counts from its own first reading: 5 samples of 3 J over 10 repetitions.
  EXPECT_EQ(j["values"]["energy:package-0"]["values"], json::array({1.5, 1.5}));
  // Package plus DRAM; psys contains the package and is not added.
  EXPECT_DOUBLE_EQ(j["derived"]["joules"]["value"].get<double>(), 1.5 + 0.3);
  EXPECT_DOUBLE_EQ(j["derived"]["cpu_joules"]["value"].get<double>(), 1.8);
  EXPECT_NEAR(j["derived"]["average_watts"]["value"].get<double>(), 120.0, 1e-9);
  EXPECT_NEAR(j["derived"]["gflop_per_joule"]["value"].get<double>(), 2.0 / 1.8, 1e-12);
  EXPECT_NEAR(j["derived"]["joules_per_item"]["value"].get<double>(), 1.8 / 64, 1e-12);
  EXPECT_EQ(j["derived"]["joules_per_item"]["unit"], "joule per image");
}

TEST(Counters, AMeasurementShorterThanOneWindowKeepsItsOnlyWindowAndSaysSo) {
  scripted_collector rapl("rapl", {counter("energy:package-0", "joule", 1e-3)});
  counter_setup setup;
  setup.collectors = {&rapl};
  counter_session s(setup);
  s.start();
  sample(s, rapl, 0.01, 1, {1.0});
  sample(s, rapl, 0.01, 1, {1.0});
  s.stop();
  const json j = s.to_json({}, "inline");
  EXPECT_EQ(j["windows"]["rapl"]["samples"], json::array({2}));
  EXPECT_NE(j["windows"]["rapl"]["short_window"].get<std::string>().find("--min-time"),
            std::string::npos);
  EXPECT_EQ(j["values"]["energy:package-0"]["values"], json::array({1.0}));
}

TEST(Counters, GaugesAreLevelsAtTheWindowEndWithTheirBitsNamed) {
  metric_info clock = counter("gpu0:sm-clock", "hertz");
  clock.kind = metric_kind::gauge;
  metric_info throttle = counter("gpu0:throttle", "bitmask");
  throttle.kind = metric_kind::gauge;
  throttle.bits = {{0, "gpu_idle"}, {2, "sw_power_cap"}, {6, "hw_thermal_slowdown"}};
  scripted_collector nvml("nvml", {clock, throttle});
  counter_setup setup;
  setup.collectors = {&nvml};
  counter_session s(setup);
  s.start();
  sample(s, nvml, 0.1, 1, {1.98e9, 4});
  sample(s, nvml, 0.1, 1, {1.75e9, 64});
  s.stop();
  const json j = s.to_json({}, "inline");
  EXPECT_EQ(j["values"]["gpu0:sm-clock"]["values"], json::array({1.98e9, 1.75e9}));
  EXPECT_EQ(j["values"]["gpu0:sm-clock"]["per"], "window end");
  EXPECT_FALSE(j["values"]["gpu0:sm-clock"].contains("total"));
  EXPECT_EQ(j["values"]["gpu0:throttle"]["set_bits"],
            json::array({"sw_power_cap", "hw_thermal_slowdown"}));
}

TEST(Counters, CountedFlopsAreComparedWithTheDeclaredWorkAndFlaggedBeyondTenPercent) {
  scripted_collector perf("perf_event", {counter("fp-ops")});
  counter_setup setup;
  setup.collectors = {&perf};
  counter_session s(setup);
  s.start();
  sample(s, perf, 0.1, 1, {0.5e9});  // half of the declared work: Zen 5 (likwid#767)
  s.stop();
  work_model w;
  w.flops = 1e9;
  json j = s.to_json(w, "inline");
  EXPECT_DOUBLE_EQ(j["derived"]["fp_work_ratio"]["value"].get<double>(), 0.5);
  EXPECT_EQ(j["derived"]["fp_work_ratio"]["flagged"], true);
  w.flops = 0.52e9;
  j = s.to_json(w, "inline");
  EXPECT_EQ(j["derived"]["fp_work_ratio"]["flagged"], false);
}

TEST(Counters, UnavailableMetricsCarryTheirReasonAndDerivedOnesSayWhatTheyNeed) {
  scripted_collector perf("perf_event", {counter("task-clock", "second")},
                          {{"cycles", "no PMU in this VM"}, {"instructions", "no PMU in this VM"}});
  scripted_collector rapl("rapl", {}, {{"energy", "no RAPL here"}});
  counter_setup setup;
  setup.collectors = {&rapl, &perf};
  counter_session s(setup);
  s.start();
  sample(s, perf, 0.1, 1, {0.1});
  s.stop();
  const json j = s.to_json({}, "inline");
  EXPECT_EQ(j["unavailable"]["cycles"], "perf_event: no PMU in this VM");
  EXPECT_EQ(j["unavailable"]["energy"], "rapl: no RAPL here");
  EXPECT_FALSE(j["values"].contains("cycles"));  // never a 0 for what was not measured
  EXPECT_NE(j["derived_unavailable"]["ipc"].get<std::string>().find("no PMU in this VM"),
            std::string::npos);
  EXPECT_NE(j["derived_unavailable"]["joules"].get<std::string>().find("no RAPL here"),
            std::string::npos);
  // Not requested at all: no claim either way.
  EXPECT_FALSE(j["derived_unavailable"].contains("l1d_miss_rate"));
}

TEST(Counters, ACollectorThatFailsDropsOutWithOneLogLineAndTheOthersGoOn) {
  scripted_collector bad("papi", {counter("PAPI_TOT_INS")});
  scripted_collector good("perf_event", {counter("task-clock", "second")});
  bad.fail_read_after = 3;
  std::vector<std::string> lines;
  counter_setup setup;
  setup.collectors = {&bad, &good};
  setup.log = [&](const std::string& l) { lines.push_back(l); };
  {
    counter_session s(setup);
    s.start();
    for (int i = 0; i < 4; ++i) sample(s, good, 0.1, 1, {0.1});
    s.stop();
    const json j = s.to_json({}, "inline");
    EXPECT_EQ(j["values"]["task-clock"]["statistics"]["n"], 4);
    EXPECT_NE(j["unavailable"]["PAPI_TOT_INS"].get<std::string>().find("scripted read failure"),
              std::string::npos);
  }
  ASSERT_EQ(lines.size(), 1U);
  EXPECT_NE(lines[0].find("papi failed"), std::string::npos);
  EXPECT_EQ(setup.collectors.size(), 1U);  // gone for the next problems too
  EXPECT_TRUE(setup.failed.count("papi"));
  EXPECT_EQ(bad.stops, 1);

  // The context says so.
  const json ctx = collectors_context({&bad, &good}, setup.failed);
  EXPECT_EQ(ctx["papi"]["status"], "unavailable");
  EXPECT_EQ(ctx["perf_event"]["status"], "available");
}

TEST(Counters, AFailingStartDropsTheCollectorBeforeTheFirstSample) {
  scripted_collector bad("nvml", {counter("gpu0:energy", "joule")});
  bad.fail_start = true;
  counter_setup setup;
  setup.collectors = {&bad};
  counter_session s(setup);
  s.start();
  sample(s, bad, 0.1, 1, {1});
  s.stop();
  EXPECT_EQ(bad.reads, 0);
  EXPECT_TRUE(setup.collectors.empty());
}

}  // namespace
}  // namespace mlhpc
