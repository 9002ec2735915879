// mlhpc report end to end: a self-contained HTML file that keeps a hostile hostname as text,
// figures when matplotlib is there and a clear note when it is not, and the Markdown artifact
// description.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <unistd.h>
#include <nlohmann/json.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "tests/support/process.hpp"
#include "tests/support/well_formed.hpp"

namespace mlhpc {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using test::mlhpc;

const char* hostile = "<script>alert('owned')</script><img src=x onerror=alert(1)>&amp;";

class ReportCli : public ::testing::Test {
 protected:
  void SetUp() override {
    m_dir = fs::temp_directory_path() / ("mlhpc-report-" + std::to_string(getpid()));
    fs::create_directories(m_dir);
    const auto r = mlhpc({"run",        "-q",
                          "-w",         "peak:f32",
                          "-w",         "gemm:f32",
                          "--set",      "chunks=4",
                          "--set",      "m=128",
                          "--set",      "n=128",
                          "--set",      "k=128",
                          "-r",         "6",
                          "--max-time", "0.1",
                          "--counters", "none",
                          "--out",      path("run.json")});
    ASSERT_EQ(r.status, 0) << r.err;
    json doc = json::parse(test::slurp(path("run.json")));
    doc["context"]["system"]["host"] = hostile;
    doc["context"]["environment"]["OMP_PLACES"] = "<b onmouseover=alert(2)>cores</b>";
    std::ofstream(path("hostile.json")) << doc.dump();
  }
  void TearDown() override { fs::remove_all(m_dir); }
  std::string path(const std::string& n) const { return (m_dir / n).string(); }
  fs::path m_dir;
};

TEST_F(ReportCli, AHostileHostnameStaysText) {
  const auto r = mlhpc({"report", path("hostile.json"), path("run.json"), "-o", path("r.html")});
  ASSERT_EQ(r.status, 0) << r.err;
  const std::string html = test::slurp(path("r.html"));
  std::string why;
  EXPECT_TRUE(test::well_formed(html, &why)) << why;
  EXPECT_EQ(html.find("<script"), std::string::npos);
  EXPECT_EQ(html.find("<img src=x"), std::string::npos);
  EXPECT_EQ(html.find("<b onmouseover"), std::string::npos);
  EXPECT_NE(html.find("&lt;b onmouseover=alert(2)&gt;cores"), std::string::npos);
  EXPECT_NE(html.find("&lt;script&gt;alert(&#39;owned&#39;)&lt;/script&gt;"), std::string::npos);
  EXPECT_NE(html.find("&amp;amp;"), std::string::npos);  // an entity in the data shows as text
  EXPECT_NE(html.find("<h1>mlhpc-bench report</h1>"), std::string::npos);
  EXPECT_NE(html.find("mlhpc run --workload gemm:f32"), std::string::npos);  // repro lines
  // Figures when matplotlib is there (CI installs it), or the reason and the fix when not.
  const bool figures = html.find("data:image/svg+xml;base64,") != std::string::npos;
  EXPECT_TRUE(figures || html.find("No figures: ") != std::string::npos);
}

// Labels that matplotlib would read as markup (mathtext between dollars, a malformed one, a
// legend's hidden "_" prefix) are drawn as plain text: the figures are still there.
TEST_F(ReportCli, LabelsThatLookLikeMarkupStillGetTheirFigures) {
  if (test::run_process({"/usr/bin/python3", "-c", "import matplotlib"}).status != 0)
    GTEST_SKIP() << "no matplotlib for /usr/bin/python3 (python3-matplotlib): no figures to check";
  json doc = json::parse(test::slurp(path("run.json")));
  for (auto& r : doc["results"])
    r["label"] =
        fmt::format("_{} $\\frac{{1}}{{ $x^$ \\undefinedmacro$", r["label"].get<std::string>());
  doc["context"]["system"]["host"] = "$\\frac{node$";
  std::ofstream(path("markup.json")) << doc.dump();
  const auto r = mlhpc({"report", path("markup.json"), path("run.json"), "-o", path("m.html")});
  ASSERT_EQ(r.status, 0) << r.err;
  const std::string html = test::slurp(path("m.html"));
  const auto none = html.find("No figures: ");
  EXPECT_NE(html.find("data:image/svg+xml;base64,"), std::string::npos);
  EXPECT_EQ(none, std::string::npos) << (none == std::string::npos ? "" : html.substr(none, 600));
}

TEST_F(ReportCli, WithoutMatplotlibTheTablesStayAndTheFixIsNamed) {
  setenv("MLHPC_PYTHON", "/nonexistent/python3", 1);
  const auto r = mlhpc({"report", path("run.json"), "-o", path("r.html")});
  unsetenv("MLHPC_PYTHON");
  ASSERT_EQ(r.status, 0) << r.err;
  const std::string html = test::slurp(path("r.html"));
  EXPECT_NE(html.find("No figures: /nonexistent/python3 cannot be started"), std::string::npos)
      << html.substr(html.find("<h2>Figures"));
  EXPECT_NE(html.find("peak:f32"), std::string::npos);
}

TEST_F(ReportCli, MarkdownCarriesTheArtifactDescription) {
  const auto r = mlhpc({"report", path("hostile.json"), "--format", "md", "-o", path("r.md")});
  ASSERT_EQ(r.status, 0) << r.err;
  const std::string md = test::slurp(path("r.md"));
  EXPECT_NE(md.find("### Artifact description"), std::string::npos);
  // SC's artifact-description layout, every line resolved to concrete values.
  for (const char* h : {"#### Hardware\n", "#### Software\n", "#### Compilation\n",
                        "#### How to run\n", "#### Expected results\n", "- Build: git checkout ",
                        "- CPU: ", " GiB total", "- peak:f32 chunks=4: median "})
    EXPECT_NE(md.find(h), std::string::npos) << h;
  EXPECT_NE(md.find("mlhpc run --workload peak:f32"), std::string::npos);
  EXPECT_EQ(md.find("<script>"), std::string::npos) << md.substr(0, 400);
  // The ceilings with the nominal peak beside them, and each result's trust codes.
  EXPECT_NE(md.find("| ceiling | measured | nominal peak | note |"), std::string::npos) << md;
  EXPECT_NE(md.find("| flops:f32 | "), std::string::npos) << md;
  EXPECT_NE(
      md.find(
          "| problem | status | median time (95 % interval) | median rate | % ceiling | trust |"),
      std::string::npos);
}

TEST_F(ReportCli, EachRateIsShownInItsOwnUnit) {
  // stream in byte/s (it also declares flops), int8 in op/s, never flop/s.
  const auto r = mlhpc({"run",        "-q",
                        "-w",         "stream:triad",
                        "-w",         "gemm:int8",
                        "--set",      "array_bytes=1000000",
                        "--set",      "m=64",
                        "--set",      "n=64",
                        "--set",      "k=64",
                        "-r",         "6",
                        "--max-time", "0.1",
                        "--counters", "none",
                        "--out",      path("units.json")});
  ASSERT_EQ(r.status, 0) << r.err;
  const auto md = mlhpc({"report", path("units.json"), "--format", "md", "-o", path("u.md")});
  ASSERT_EQ(md.status, 0) << md.err;
  const std::string text = test::slurp(path("u.md"));
  auto row = [&](const std::string& key) {
    const auto at = text.find("| " + key);  // the row of the results table
    return at == std::string::npos ? std::string() : text.substr(at, text.find('\n', at) - at);
  };
  const std::string stream = row("stream:triad"), gemm = row("gemm:int8");
  ASSERT_FALSE(stream.empty()) << text;
  EXPECT_NE(stream.find("B/s"), std::string::npos) << stream;  // kB/s, MB/s or GB/s
  EXPECT_EQ(stream.find("FLOP/s"), std::string::npos) << stream;
  if (!gemm.empty() && gemm.find("skipped") == std::string::npos) {
    EXPECT_NE(gemm.find("GOP/s"), std::string::npos) << gemm;
    EXPECT_EQ(gemm.find("FLOP/s"), std::string::npos) << gemm;
  }
}

// The report as a reader sees it: rendered by headless Chromium, the DOM it built inspected
// (summary first, figures present and sized, no script, no raw JSON) and a screenshot taken.
TEST_F(ReportCli, RendersInHeadlessChromiumWithSizedFiguresAndNoRawJson) {
  const char* chromium = "/usr/bin/chromium";
  if (!fs::exists(chromium)) GTEST_SKIP() << "no " << chromium << " (Debian package chromium)";
  if (test::run_process({"/usr/bin/python3", "-c", "import matplotlib"}).status != 0)
    GTEST_SKIP() << "no matplotlib for /usr/bin/python3 (python3-matplotlib): no figures to check";
  const auto r = mlhpc({"report", path("run.json"), "-o", path("r.html")});
  ASSERT_EQ(r.status, 0) << r.err;
  const std::string url = "file://" + path("r.html");
  const std::vector<std::string> common = {chromium,         "--headless",
                                           "--no-sandbox",   "--disable-gpu",
                                           "--no-first-run", "--user-data-dir=" + path("profile")};
  auto dom_args = common;
  dom_args.push_back("--dump-dom");
  dom_args.push_back(url);
  const auto dom = test::run_process(dom_args);
  ASSERT_EQ(dom.status, 0) << dom.err;
  const std::string& html = dom.out;
  const auto summary = html.find("<h2 id=\"summary\">"), figures = html.find("<h2 id=\"figures\">"),
             results = html.find("<h2 id=\"results\">"),
             artifact = html.find("<h2 id=\"artifact\">");
  ASSERT_NE(summary, std::string::npos) << html.substr(0, 2000);
  EXPECT_LT(summary, figures);
  EXPECT_LT(figures, results);
  EXPECT_LT(results, artifact);
  // Figures: images with their size from the drawing, each with a caption.
  std::size_t images = 0;
  for (auto at = html.find("<img"); at != std::string::npos; at = html.find("<img", at + 1)) {
    ++images;
    const std::string tag = html.substr(at, html.find('>', at) - at);
    const auto w = tag.find("width=\""), h = tag.find("height=\"");
    ASSERT_NE(w, std::string::npos) << tag.substr(0, 200);
    ASSERT_NE(h, std::string::npos) << tag.substr(0, 200);
    EXPECT_GT(std::atoi(tag.c_str() + w + 7), 300) << tag.substr(0, 200);
    EXPECT_GT(std::atoi(tag.c_str() + h + 8), 200) << tag.substr(0, 200);
  }
  EXPECT_GE(images, 1u) << "the roofline at least";
  EXPECT_NE(html.find("<figcaption>Roofline"), std::string::npos);
  EXPECT_EQ(html.find("<script"), std::string::npos);
  // No raw JSON: neither an object's opening nor a key in quotes reaches the text.
  EXPECT_EQ(html.find("{\""), std::string::npos);
  EXPECT_EQ(html.find("{&quot;"), std::string::npos);
  EXPECT_EQ(html.find("e+1"), std::string::npos) << "rates in human units, not 3.493e+11";
  EXPECT_NE(html.find("GFLOP/s"), std::string::npos);
  EXPECT_NE(html.find(" GiB total"), std::string::npos);
  auto shot_args = common;
  shot_args.push_back("--screenshot=" + path("r.png"));
  shot_args.push_back("--window-size=1280,2000");
  shot_args.push_back(url);
  const auto shot = test::run_process(shot_args);
  ASSERT_EQ(shot.status, 0) << shot.err;
  ASSERT_TRUE(fs::exists(path("r.png")));
  EXPECT_GT(fs::file_size(path("r.png")), 20000u) << "a rendered page, not a blank one";
}

TEST_F(ReportCli, BadInputIsAUsageError) {
  auto r = mlhpc({"report", path("run.json")});
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("expected -o FILE"), std::string::npos) << r.err;
  r = mlhpc({"report", path("run.json"), "--format", "pdf", "-o", path("x")});
  EXPECT_EQ(r.status, 2);
  std::ofstream(path("bad.json")) << "{\"schema_version\": \"1.1.0\", \"results\": [";
  r = mlhpc({"report", path("bad.json"), "-o", path("x.html")});
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("not valid JSON: parse error"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(path("x.html")));
}

}  // namespace
}  // namespace mlhpc
