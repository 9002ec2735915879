#include "bench/run_settings.hpp"

#include <gtest/gtest.h>

#include <set>

#include "bench/error.hpp"
#include "bench/suite.hpp"
#include "tests/support/scoped_env.hpp"

#include "tests/support/usage.hpp"

namespace mlhpc {
namespace {

using nlohmann::json;

using mlhpc::test::usage_message;

TEST(RunSettings, EveryRowIsOneSettingWithEveryDerivedForm) {
  std::set<std::string_view> keys, options, json_keys;
  const run_config defaults = resolve_settings({}, {}, 3).config;
  const json settings = settings_json(defaults);
  const std::string repro = settings_repro(defaults);
  for (const auto& s : run_setting_table()) {
    EXPECT_TRUE(keys.insert(s.key).second) << s.key;
    EXPECT_TRUE(options.insert(s.option).second) << s.option;
    EXPECT_TRUE(json_keys.insert(s.json_key).second) << s.json_key;
    EXPECT_EQ(s.option.substr(0, 2), "--") << s.option;
    EXPECT_FALSE(s.help.empty()) << s.key;
    EXPECT_EQ(find_run_setting(s.key), &s);
    // The settings JSON holds every row; the repro line every row marked for it.
    EXPECT_TRUE(settings.contains(std::string(s.json_key))) << s.json_key;
    if (s.on_repro_line && s.key != "counter_pass") {
      EXPECT_NE(repro.find(std::string(" ") + std::string(s.option) + " "), std::string::npos)
          << s.option << " in" << repro;
    }
    // A numeric row has the rule that checks it, and the rule names the same option.
    if (s.type == setting_type::integer || s.type == setting_type::real) {
      ASSERT_NE(s.rule, nullptr) << s.key;
      EXPECT_EQ(s.rule->option, s.option);
    }
  }
  EXPECT_EQ(find_run_setting("nope"), nullptr);
  EXPECT_EQ(settings["threads"], 3);  // the computed default
  EXPECT_EQ(settings["timeout_s"], 0.0);
}

TEST(RunSettings, CommandLineBeatsEnvironmentBeatsSuiteBeatsDefault) {
  test::scoped_env threads("MLHPC_THREADS", "5");
  test::scoped_env counters("MLHPC_COUNTERS", nullptr);
  test::scoped_env timeout("MLHPC_TIMEOUT", nullptr);
  const auto r = resolve_settings({{"repetitions", "7"}, {"threads", "2"}},
                                  {{"repetitions", "9"}, {"threads", "4"}, {"warmup", "3"}}, 8);
  EXPECT_EQ(r.config.runner.repetitions, 7);
  EXPECT_EQ(r.config.threads, 2);
  EXPECT_EQ(r.sources.at("threads"), "command line");
  EXPECT_EQ(r.config.runner.warmup, 3);
  EXPECT_EQ(r.sources.at("warmup"), "suite");
  EXPECT_EQ(r.config.runner.max_time_s, 10.0);
  EXPECT_EQ(r.sources.at("max_time"), "default");
  const auto e = resolve_settings({}, {{"threads", "4"}}, 8);
  EXPECT_EQ(e.config.threads, 5);
  EXPECT_EQ(e.sources.at("threads"), "environment MLHPC_THREADS");
}

TEST(RunSettings, BadValuesNameTheSourceTheValueAndWhatWasExpected) {
  const run_setting& timeout = *find_run_setting("timeout");
  EXPECT_EQ(usage_message([&] { (void)check_setting_value(timeout, "-1", "--timeout"); }),
            "--timeout '-1': expected seconds per problem (0: no limit), between 0 and 604800");
  EXPECT_EQ(usage_message(
                [] { (void)check_setting_value(*find_run_setting("counter_pass"), "both", "x"); }),
            "x 'both': expected inline or separate");
  EXPECT_EQ(check_setting_value(*find_run_setting("seed"), "18446744073709551615", "--seed"),
            "18446744073709551615");
  test::scoped_env bad("MLHPC_TIMEOUT", "soon");
  EXPECT_NE(usage_message([] {
              (void)resolve_settings({}, {}, 1);
            }).find("environment MLHPC_TIMEOUT 'soon': expected"),
            std::string::npos);
}

TEST(RunSettings, SuiteFilesTakeEveryKeyOfTheTable) {
  const auto s = parse_suite(
      "settings: {timeout: 30, seed: 7, counter_pass: separate}\nproblems:\n  - workload: gemm\n",
      "t.yaml");
  EXPECT_EQ(s.settings.at("timeout"), "30");
  EXPECT_EQ(s.settings.at("seed"), "7");
  const auto r = resolve_settings({}, s.settings, 1);
  EXPECT_EQ(r.config.timeout_s, 30);
  EXPECT_EQ(r.config.seed, 7u);
  EXPECT_EQ(r.config.counter_pass, "separate");
  EXPECT_NE(settings_repro(r.config).find("--counter-pass separate"), std::string::npos);
}

}  // namespace
}  // namespace mlhpc
