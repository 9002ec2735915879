// The comparison statistics against known values, the verdict rules on constructed samples, and
// the renderings (JUnit XML well-formed, markup escaped).
#include <gtest/gtest.h>

#include <limits>

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "bench/fill.hpp"
#include "reports/compare.hpp"
#include "reports/report.hpp"
#include "reports/statistics.hpp"
#include "tests/support/well_formed.hpp"

namespace mlhpc::reports {
namespace {

using nlohmann::json;

TEST(MannWhitney, ExactSmallSamplesMatchKnownValues) {
  // Completely separated samples of 5: U = 0, p = 2 / C(10, 5) = 2/252 (scipy: 0.007937).
  const std::vector<double> a = {1, 2, 3, 4, 5}, b = {6, 7, 8, 9, 10};
  const auto r = mann_whitney_u(a, b);
  EXPECT_TRUE(r.exact);
  EXPECT_DOUBLE_EQ(r.u, 0);
  EXPECT_NEAR(r.p_value, 2.0 / 252.0, 1e-12);
  // Interleaved samples of 3: U = 3, p = 2 * P(U <= 3) = 2 * 7/20 = 0.7.
  const std::vector<double> c = {1, 3, 5}, d = {2, 4, 6};
  EXPECT_DOUBLE_EQ(mann_whitney_u(c, d).u, 3);
  EXPECT_NEAR(mann_whitney_u(c, d).p_value, 0.7, 1e-12);
  // Symmetric in the order of the samples.
  EXPECT_NEAR(mann_whitney_u(b, a).p_value, 2.0 / 252.0, 1e-12);
}

TEST(MannWhitney, NormalApproximationWithTiesMatchesScipy) {
  // scipy.stats.mannwhitneyu(x, y, method="asymptotic"): U = 40.5, p = 0.0664 (tie-corrected,
  // continuity-corrected). By hand: x = 0..3 and y = 1..4, three of each; ties in groups of
  // 3, 6, 6, 6, 3.
  std::vector<double> x, y;
  for (int i = 0; i < 12; ++i) x.push_back(i % 4);        // 0 1 2 3 0 1 2 3 ...
  for (int i = 0; i < 12; ++i) y.push_back(i % 4 + 1.0);  // 1 2 3 4 ...
  const auto r = mann_whitney_u(x, y);
  EXPECT_FALSE(r.exact);
  EXPECT_DOUBLE_EQ(r.u, 40.5);
  // Mean n1 n2 / 2 = 72; variance n1 n2 / 12 * (N + 1 - sum(t^3 - t) / (N (N - 1))).
  const double var = 144.0 / 12 * (25 - (2 * (27 - 3) + 3 * (216 - 6)) / (24.0 * 23));
  const double z = (std::fabs(40.5 - 72.0) - 0.5) / std::sqrt(var);
  EXPECT_NEAR(r.p_value, std::erfc(z / std::sqrt(2.0)), 1e-12);
  EXPECT_NEAR(r.p_value, 0.0664, 1e-4);
  // Everything tied: no evidence at all.
  const std::vector<double> same(10, 1.0);
  EXPECT_DOUBLE_EQ(mann_whitney_u(same, same).p_value, 1.0);
}

TEST(Bootstrap, ConstantSamplesGiveAPointIntervalAndTheSeedFixesTheResult) {
  const std::vector<double> x(20, 2.0), y(20, 2.2);
  const auto r = bootstrap_median_ratio(x, y, 500, 0.95, 9);
  EXPECT_DOUBLE_EQ(r.ratio, 1.1);
  EXPECT_DOUBLE_EQ(r.low, 1.1);
  EXPECT_DOUBLE_EQ(r.high, 1.1);
  std::vector<double> a, b;
  for (int i = 0; i < 30; ++i) {
    a.push_back(1 + 0.01 * ((i * 7) % 13));
    b.push_back(1.2 + 0.01 * ((i * 5) % 11));
  }
  const auto r1 = bootstrap_median_ratio(a, b, 1000, 0.95, 4);
  const auto r2 = bootstrap_median_ratio(a, b, 1000, 0.95, 4);
  EXPECT_DOUBLE_EQ(r1.low, r2.low);
  EXPECT_DOUBLE_EQ(r1.high, r2.high);
  EXPECT_LT(r1.low, r1.ratio);
  EXPECT_GT(r1.high, r1.ratio);
  EXPECT_GT(r1.low, 1.1);  // medians 1.06 vs 1.25: clearly apart
}

// Above direct_resampling_limit a resample's median is drawn as an order statistic of the sorted
// samples. It is the same bootstrap distribution, so its interval agrees with one built by
// resampling value by value (computed here), within the Monte Carlo error of 2000 resamples.
TEST(Bootstrap, OrderStatisticMediansAgreeWithResamplingValueByValue) {
  const std::size_t n = direct_resampling_limit + 1001;
  std::vector<double> x(n), y(n);
  for (std::size_t i = 0; i < n; ++i) {
    x[i] = 1.0 + 0.1 * unit_random(5, 1, i) + 0.3 * std::pow(unit_random(5, 2, i), 8);
    y[i] = 1.01 * (1.0 + 0.1 * unit_random(5, 3, i) + 0.3 * std::pow(unit_random(5, 4, i), 8));
  }
  const auto fast = bootstrap_median_ratio(x, y, 2000, 0.95, 1);
  EXPECT_STREQ(fast.method, order_statistic_method);
  auto median = [](std::vector<double> v) {
    std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(v.size() / 2), v.end());
    return v[v.size() / 2];  // n is odd
  };
  std::vector<double> ratios, bx(n), by(n);
  std::uint64_t draw = 0;
  for (int b = 0; b < 2000; ++b) {
    for (auto& v : bx) v = x[static_cast<std::size_t>(unit_random(9, 9, draw++) * n) % n];
    for (auto& v : by) v = y[static_cast<std::size_t>(unit_random(9, 9, draw++) * n) % n];
    ratios.push_back(median(by) / median(bx));
  }
  std::sort(ratios.begin(), ratios.end());
  const double low = ratios[49], high = ratios[1949];
  const double width = high - low;
  EXPECT_GT(width, 0);
  EXPECT_NEAR(fast.low, low, 0.15 * width) << fast.low << " " << low;
  EXPECT_NEAR(fast.high, high, 0.15 * width) << fast.high << " " << high;
  EXPECT_NEAR(fast.ratio, median(y) / median(x), 1e-12);
  // Below the limit the bootstrap resamples value by value, as before.
  EXPECT_STREQ(bootstrap_median_ratio({x.data(), 100}, {y.data(), 100}).method, direct_method);
}

TEST(RobustZ, TheOddNodeStandsOut) {
  const std::vector<double> v = {100, 101, 99, 100, 102, 98, 60};
  const auto z = robust_z(v);
  EXPECT_LT(z[6], -3.5);
  for (int i = 0; i < 6; ++i) EXPECT_LT(std::fabs(z[static_cast<std::size_t>(i)]), 2.0);
  EXPECT_NEAR(geometric_mean(std::vector<double>{1, 4}), 2.0, 1e-12);
}

// Leave one out: against the others' median and MAD alone. With three values the judged one no
// longer sets the spread it is judged by (0.85 among 0.01 and 0.15: z 3.4 with it, 7.4 without).
TEST(RobustZ, AgainstTheOthersAloneTheJudgedValueSetsNoSpread) {
  const std::vector<double> all = {0.01, 0.15, 0.85}, others = {0.01, 0.15};
  EXPECT_LT(robust_z(all)[2], 3.5);
  const auto s = robust_z_against(0.85, others);
  EXPECT_DOUBLE_EQ(s.median, 0.08);
  EXPECT_NEAR(s.z, 0.77 / (1.4826 * 0.07), 1e-9);
  EXPECT_EQ(robust_z_against(0.5, std::vector<double>{0.2, 0.2}).z,
            std::numeric_limits<double>::infinity());
  EXPECT_EQ(robust_z_against(0.2, std::vector<double>{0.2, 0.2}).z, 0.0);
}

// A minimal result document with one ok result per key and the given samples.
json doc_with(const std::vector<double>& samples, const std::string& host = "a") {
  json r = {{"key", "peak:f32 chunks=4"},
            {"workload", "peak"},
            {"status", "ok"},
            {"measurement", {{"samples_s", samples}}},
            {"statistics", {{"median_s", samples[samples.size() / 2]}}}};
  return {{"schema_version", "1.1.0"},
          {"run", {{"threads", 2}}},
          {"context", {{"system", {{"host", host}}}}},
          {"results", json::array({r})}};
}

std::vector<double> noisy(int n, double scale) {
  std::vector<double> v;
  for (int i = 0; i < n; ++i) v.push_back(scale * (1 + 0.002 * ((i * 7) % 11)));
  return v;
}

TEST(Compare, VerdictsFollowSignificanceAndTheThreshold) {
  compare_options opt;
  auto verdict = [&](const json& a, const json& b) {
    return compare(a, "a", b, "b", opt)["pairs"][0]["verdict"].get<std::string>();
  };
  EXPECT_EQ(verdict(doc_with(noisy(20, 1.0)), doc_with(noisy(20, 1.10))), "regressed");
  EXPECT_EQ(verdict(doc_with(noisy(20, 1.0)), doc_with(noisy(20, 0.90))), "improved");
  EXPECT_EQ(verdict(doc_with(noisy(20, 1.0)), doc_with(noisy(20, 1.0))), "unchanged");
  // Significant but smaller than the threshold: unchanged.
  EXPECT_EQ(verdict(doc_with(noisy(20, 1.0)), doc_with(noisy(20, 1.02))), "unchanged");
  // Too few samples on a side: inconclusive, whatever the difference.
  EXPECT_EQ(verdict(doc_with(noisy(4, 1.0)), doc_with(noisy(20, 1.5))), "inconclusive");
  // An interval that straddles the threshold: inconclusive.
  std::vector<double> wide;
  for (int i = 0; i < 12; ++i) wide.push_back(i % 2 == 0 ? 1.0 : 1.12);
  EXPECT_EQ(verdict(doc_with(noisy(12, 1.0)), doc_with(wide)), "inconclusive");
}

TEST(Compare, FewSamplesWarnAndAnotherSystemIsSaidAtTheTop) {
  const json c = compare(doc_with(noisy(6, 1.0), "node1"), "a", doc_with(noisy(6, 1.0), "node2"),
                         "b", compare_options{});
  EXPECT_EQ(c["pairs"][0]["warnings"].size(), 2U);
  ASSERT_EQ(c["context_differences"].size(), 1U);
  EXPECT_EQ(c["context_differences"][0]["what"], "host");
  const std::string text = format_console({c});
  EXPECT_NE(text.find("WARNING: the two runs differ"), std::string::npos) << text;
  EXPECT_NE(text.find("host: node1 -> node2"), std::string::npos) << text;
}

TEST(Compare, JunitIsWellFormedAndEscapesMarkup) {
  json a = doc_with(noisy(20, 1.0)), b = doc_with(noisy(20, 1.2));
  a["results"][0]["key"] = b["results"][0]["key"] = "gemm:f32 <script>alert('x')</script> & \"q\"";
  const json c = compare(a, "base.json", b, "new<1>.json", compare_options{});
  const std::string xml = format_junit({c});
  std::string why;
  EXPECT_TRUE(test::well_formed(xml, &why)) << why << "\n" << xml;
  EXPECT_EQ(xml.find("<script>"), std::string::npos);
  EXPECT_NE(xml.find("&lt;script&gt;"), std::string::npos);
  EXPECT_NE(xml.find("failures=\"1\""), std::string::npos) << xml;
  const std::string md = format_markdown({c});
  EXPECT_EQ(md.find("<script>"), std::string::npos) << md;
  EXPECT_NE(md.find("**regressed**"), std::string::npos);
}

TEST(HierarchicalBootstrap, ConstantRoundsGiveTheirRatioAndPairingCancelsSharedDrift) {
  // Rounds drift by a factor 2 between them, on both sides alike; new is 10 % slower in each.
  const std::vector<std::vector<double>> base = {{1, 1, 1}, {2, 2, 2}, {4, 4, 4}};
  const std::vector<std::vector<double>> neu = {{1.1, 1.1, 1.1}, {2.2, 2.2, 2.2}, {4.4, 4.4, 4.4}};
  const auto paired = hierarchical_bootstrap_ratio(base, neu, true, 500, 0.95, 3);
  EXPECT_NEAR(paired.ratio, 1.1, 1e-12);
  EXPECT_NEAR(paired.low, 1.1, 1e-12);  // the drift cancels round by round
  EXPECT_NEAR(paired.high, 1.1, 1e-12);
  ASSERT_EQ(paired.group_ratios.size(), 3U);
  EXPECT_NEAR(paired.group_ratios[2], 1.1, 1e-12);
  // Unpaired, the same drift widens the interval: runs are drawn apart on each side.
  const auto unpaired = hierarchical_bootstrap_ratio(base, neu, false, 500, 0.95, 3);
  EXPECT_NEAR(unpaired.ratio, 1.1, 1e-12);
  EXPECT_LT(unpaired.low, 0.8);
  EXPECT_GT(unpaired.high, 1.5);
  // The seed fixes the result.
  const auto again = hierarchical_bootstrap_ratio(base, neu, false, 500, 0.95, 3);
  EXPECT_DOUBLE_EQ(again.low, unpaired.low);
  EXPECT_DOUBLE_EQ(again.high, unpaired.high);
}

// One run of a round: a result per key with samples around `scale` and the declared work.
json run_doc(double scale, double work = 1e9, const std::string& status = "ok") {
  json r = {{"key", "gemm:f32 m=1"},
            {"pairing_key", "gemm:f32 m=1"},
            {"workload", "gemm"},
            {"status", status},
            {"work", {{"flops", work}}}};
  if (status == "ok") {
    r["measurement"] = {{"samples_s", noisy(12, scale)}};
    r["statistics"] = {{"median_s", scale}};
  }
  return {{"schema_version", "1.4.0"}, {"run", {{"threads", 2}}}, {"results", json::array({r})}};
}

std::string group_verdict(const std::vector<double>& base_scales,
                          const std::vector<double>& new_scales, double threshold = 0.03) {
  std::vector<json> base, neu;
  std::vector<std::string> bp, np;
  for (const double s : base_scales) {
    base.push_back(run_doc(s));
    bp.push_back("b.json");
  }
  for (const double s : new_scales) {
    neu.push_back(run_doc(s));
    np.push_back("n.json");
  }
  compare_options opt;
  opt.threshold = threshold;
  return compare_groups(base, bp, neu, np, true, opt)["pairs"][0]["verdict"];
}

TEST(CompareGroups, RoundsDecideByTheOrderStatisticIntervalOfTheMedianRoundRatio) {
  // Nine rounds drifting by 30 %, new 10 % slower in each: regressed.
  const std::vector<double> drift = {1.0, 1.3, 0.9, 1.1, 1.2, 1.0, 0.8, 1.25, 1.05};
  std::vector<double> slower, same;
  for (const double d : drift) slower.push_back(d * 1.10), same.push_back(d);
  EXPECT_EQ(group_verdict(drift, slower), "regressed");
  EXPECT_EQ(group_verdict(drift, same), "unchanged");
  // One disrupted round (new 50 % slow in round 4) cannot make an A/A regressed, nor hide a
  // real slowdown with 9 rounds (the interval drops the extreme ratio on each side).
  auto disrupted = same;
  disrupted[3] *= 1.5;
  EXPECT_NE(group_verdict(drift, disrupted), "regressed");
  auto slower_disrupted = slower;
  slower_disrupted[3] *= 0.7;
  EXPECT_EQ(group_verdict(drift, slower_disrupted), "regressed");
  // Five rounds: no 95 % distribution-free interval of a median exists; inconclusive.
  const std::vector<double> five(drift.begin(), drift.begin() + 5);
  const std::vector<double> five_slow(slower.begin(), slower.begin() + 5);
  EXPECT_EQ(group_verdict(five, five_slow), "inconclusive");
  // A change below the threshold is not a regression.
  std::vector<double> slightly;
  for (const double d : drift) slightly.push_back(d * 1.01);
  EXPECT_EQ(group_verdict(drift, slightly), "unchanged");
}

TEST(CompareGroups, WorkDifferencesAreNormalisedAndStatusesAreHonest) {
  // peak calibrates its repetition per run: twice the work in twice the time is no change.
  std::vector<json> base, neu;
  for (int i = 0; i < 6; ++i) {
    base.push_back(run_doc(1.0, 1e9));
    neu.push_back(run_doc(2.0, 2e9));
  }
  const std::vector<std::string> paths(6, "f.json");
  const json c = compare_groups(base, paths, neu, paths, true, compare_options{});
  EXPECT_EQ(c["pairs"][0]["verdict"], "unchanged") << c.dump(1);
  EXPECT_NEAR(c["pairs"][0]["time_ratio"].get<double>(), 1.0, 1e-12);
  // An interrupted new run is not a regression; a failed one is.
  auto interrupted = neu;
  interrupted[2] = run_doc(1.0, 1e9, "interrupted");
  EXPECT_EQ(compare_groups(base, paths, interrupted, paths, true,
                           compare_options{})["pairs"][0]["verdict"],
            "inconclusive");
  auto failed = neu;
  failed[2] = run_doc(1.0, 1e9, "failed");
  EXPECT_EQ(
      compare_groups(base, paths, failed, paths, true, compare_options{})["pairs"][0]["verdict"],
      "regressed");
}

TEST(Compare, PairsByTheKeyWithoutSummaryWeightsAndInterruptedIsNotARegression) {
  json a = doc_with(noisy(20, 1.0)), b = doc_with(noisy(20, 1.0));
  a["results"][0]["key"] = "conv:2d problem=x pass=fwd_training count=3";
  b["results"][0]["key"] = "conv:2d problem=x pass=fwd_training count=1";
  a["results"][0]["pairing_key"] = b["results"][0]["pairing_key"] =
      "conv:2d problem=x pass=fwd_training";
  const json c = compare(a, "a", b, "b", compare_options{});
  ASSERT_EQ(c["pairs"].size(), 1U);
  EXPECT_EQ(c["pairs"][0]["verdict"], "unchanged");
  b["results"][0]["status"] = "interrupted";
  EXPECT_EQ(compare(a, "a", b, "b", compare_options{})["pairs"][0]["verdict"], "inconclusive");
  // Without pairing keys (older files), the keys differ and nothing pairs.
  a["results"][0].erase("pairing_key");
  b["results"][0].erase("pairing_key");
  EXPECT_TRUE(compare(a, "a", b, "b", compare_options{})["pairs"].empty());
}

TEST(Fleet, AnOutlierNeedsAnEffectAsWellAsARobustZ) {
  // A tight fleet: one node 1 % slower has a huge z but no effect worth a sysadmin's time.
  std::vector<json> docs;
  std::vector<std::string> paths;
  const std::vector<double> medians = {1.000, 1.0001, 0.9999, 1.0002, 0.9998, 1.010};
  for (std::size_t i = 0; i < medians.size(); ++i) {
    docs.push_back(doc_with(noisy(10, medians[i]), fmt::format("node{}", i)));
    docs.back()["results"][0]["statistics"]["median_s"] = medians[i];
    paths.push_back(fmt::format("n{}.json", i));
  }
  json f = compare_fleet(docs, paths);
  EXPECT_TRUE(f["metrics"][0]["outliers"].empty()) << f.dump(1);
  EXPECT_GT(std::fabs(f["metrics"][0]["nodes"][5]["robust_z"].get<double>()), 3.5);
  // 20 % slower: named.
  docs[5]["results"][0]["statistics"]["median_s"] = 1.2;
  f = compare_fleet(docs, paths);
  ASSERT_EQ(f["metrics"][0]["outliers"].size(), 1U);
  EXPECT_EQ(f["slow_nodes"][0]["node"], "node5");
  // Two nodes: the reason no outlier can be named is given.
  const json two = compare_fleet({docs[0], docs[5]}, {"a", "b"});
  EXPECT_NE(two["metrics"][0]["note"].get<std::string>().find("midpoint"), std::string::npos);
  EXPECT_NE(format_fleet_console(two).find("fewer than 3 nodes"), std::string::npos);
}

// Names from result files (host names, keys, context values) cannot start a line of their own
// in the fleet or the comparison output, nor carry an escape sequence: a newline, a carriage
// return or ESC is shown escaped, in the console and in Markdown.
TEST(Fleet, NamesFromFilesAreEscapedInEveryTable) {
  std::vector<json> docs;
  std::vector<std::string> paths;
  const std::vector<double> medians = {1.0, 1.0, 1.0, 1.0, 1.5};
  const std::string evil = "node4\nslow node: node0\r\x1b[31m";
  for (std::size_t i = 0; i < medians.size(); ++i) {
    docs.push_back(doc_with(noisy(10, medians[i]), i == 4 ? evil : fmt::format("node{}", i)));
    docs.back()["results"][0]["statistics"]["median_s"] = medians[i];
    paths.push_back(fmt::format("n{}.json", i));
  }
  const json f = compare_fleet(docs, paths);
  ASSERT_EQ(f["slow_nodes"].size(), 1U) << f.dump(1);
  for (const std::string& out : {format_fleet_console(f), format_fleet_markdown(f)}) {
    EXPECT_EQ(out.find('\r'), std::string::npos) << out;
    EXPECT_EQ(out.find('\x1b'), std::string::npos) << out;
    EXPECT_EQ(out.find("\nslow node: node0"), std::string::npos) << out;
    EXPECT_NE(out.find("node4\\"), std::string::npos) << out;  // its LF shown escaped
  }
  // compare: the host differs between the files, so the warning block names both.
  json a = doc_with(noisy(20, 1.0), "node0"), b = doc_with(noisy(20, 1.0), evil);
  b["results"][0]["key"] = a["results"][0]["key"] = "peak:f32\nregressed";
  const json c = compare(a, "a.json", b, "b\n.json", compare_options{});
  for (const std::string& out : {format_console({c}), format_markdown({c})}) {
    EXPECT_EQ(out.find('\r'), std::string::npos) << out;
    EXPECT_EQ(out.find('\x1b'), std::string::npos) << out;
    EXPECT_EQ(out.find("\nslow node"), std::string::npos) << out;
    EXPECT_EQ(out.find("\nregressed"), std::string::npos) << out;
    EXPECT_EQ(out.find("\n.json"), std::string::npos) << out;
  }
}

TEST(Report, FiguresCoverRooflineSweepsAndComparisons) {
  json doc = {{"ceilings", {{"flops:f32", {{"value", 6e11}}}, {"bytes:memory", {{"value", 6e10}}}}},
              {"run", {{"threads", 2}}},
              {"results", json::array()}};
  for (int m : {64, 128, 256, 512}) {
    const double t = 1e-3 * m / 64;
    doc["results"].push_back(
        {{"key", fmt::format("gemm:f32 m={} n=256", m)},
         {"workload", "gemm"},
         {"variant", "f32"},
         {"status", "ok"},
         {"parameters", {{"m", m}, {"n", 256}}},
         {"work", {{"flops", 2.0 * m * 256 * 256}, {"bytes", 4.0 * (m * 256 + 256 * 256)}}},
         {"rates", {{"flops_per_s", {{"median", 2.0 * m * 256 * 256 / t}}}}},
         {"measurement",
          {{"samples_s", {t * 0.98, t * 0.99, t, t, t * 1.01, t * 1.02, t, t * 0.995}}}},
         {"statistics",
          {{"median_s", t}, {"median_ci95_s", {{"low", t * 0.98}, {"high", t * 1.02}}}}}});
  }
  const json one = figure_spec({doc}, {"a"});
  EXPECT_EQ(one["roofline_0"]["points"].size(), 4U);
  EXPECT_EQ(one["roofline_0"]["ceilings"]["bytes_per_s"], 6e10);
  ASSERT_TRUE(one.contains("series")) << one.dump(1);
  EXPECT_EQ(one["series"]["lines"][0]["x"], json::array({64, 128, 256, 512}));
  EXPECT_EQ(one["series"]["lines"][0]["xlabel"], "m");
  EXPECT_FALSE(one.contains("comparison"));
  json other = doc;
  other["run"]["threads"] = 1;
  const json two = figure_spec({doc, other}, {"a", "b"});
  // The second file against the first: time ratios with their intervals and verdicts.
  ASSERT_TRUE(two.contains("comparison")) << two.dump(1);
  ASSERT_EQ(two["comparison"]["series"].size(), 1U);
  const auto& s = two["comparison"]["series"][0];
  EXPECT_EQ(s["labels"].size(), 4U);
  EXPECT_DOUBLE_EQ(s["values"][0].get<double>(), 1.0);  // the same samples
  EXPECT_LE(s["low"][0].get<double>(), 1.0);
  EXPECT_GE(s["high"][0].get<double>(), 1.0);
  EXPECT_EQ(s["verdicts"][0], "unchanged");
  EXPECT_EQ(html_escape("<a href='x'>&</a>"), "&lt;a href=&#39;x&#39;&gt;&amp;&lt;/a&gt;");
}

// Collectives: bus bandwidth against the message size, one line per collective and type (not a
// generic sweep); a ResNet-50 step's profile as a breakdown by kind.
TEST(Report, BusBandwidthAgainstSizeAndTheStepsBreakdown) {
  json doc = {{"run", {{"threads", 1}}}, {"results", json::array()}};
  for (double bytes : {1024.0, 65536.0, 1048576.0})
    doc["results"].push_back({{"key", fmt::format("allreduce:mpi bytes={}", bytes)},
                              {"workload", "allreduce"},
                              {"variant", "mpi"},
                              {"status", "ok"},
                              {"parameters", {{"bytes", bytes}, {"dtype", "f32"}}},
                              {"rates", {{"bus_bytes_per_s", {{"median", bytes * 1e3}}}}}});
  doc["results"].push_back(
      {{"key", "resnet50:train batch=16"},
       {"label", "resnet50:train batch=16"},
       {"workload", "resnet50"},
       {"variant", "train"},
       {"status", "ok"},
       {"parameters", {{"batch", 16}}},
       {"details",
        {{"profile",
          {{"step_s", 2.3}, {"seconds_by_kind", {{"conv_fwd", 0.6}, {"batch_norm", 0.15}}}}}}}});
  const json spec = figure_spec({doc}, {"a"});
  ASSERT_TRUE(spec.contains("busbw_0")) << spec.dump(1);
  ASSERT_EQ(spec["busbw_0"]["lines"].size(), 1u);
  EXPECT_EQ(spec["busbw_0"]["lines"][0]["name"], "allreduce f32");
  EXPECT_EQ(spec["busbw_0"]["lines"][0]["x"], json::array({1024.0, 65536.0, 1048576.0}));
  EXPECT_DOUBLE_EQ(spec["busbw_0"]["lines"][0]["y"][2].get<double>(), 1048576.0 * 1e3 / 1e9);
  EXPECT_FALSE(spec.contains("series")) << "collectives are not drawn twice";
  bool breakdown = false;
  for (const auto& [k, v] : spec.items())
    if (v["kind"] == "breakdown") {
      breakdown = true;
      EXPECT_EQ(v["labels"], json::array({"batch_norm", "conv_fwd"}));
      EXPECT_DOUBLE_EQ(v["values"][1].get<double>(), 600.0);  // ms
    }
  EXPECT_TRUE(breakdown) << spec.dump(1);
}

}  // namespace
}  // namespace mlhpc::reports
