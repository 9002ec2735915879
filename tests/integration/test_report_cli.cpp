// mlhpc report end to end: a self-contained HTML file that keeps a hostile hostname as text,
// figures when matplotlib is there and a clear note when it is not, and the Markdown artifact
// description.
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
  EXPECT_NE(md.find("- Hardware: "), std::string::npos);
  EXPECT_NE(md.find("- Build: "), std::string::npos);
  EXPECT_NE(md.find("mlhpc run --workload peak:f32"), std::string::npos);
  EXPECT_EQ(md.find("<script>"), std::string::npos) << md.substr(0, 400);
  // The ceilings with the nominal peak beside them, and each result's trust codes.
  EXPECT_NE(md.find("| ceiling | measured | nominal peak | note |"), std::string::npos) << md;
  EXPECT_NE(md.find("| flops:f32 | "), std::string::npos) << md;
  EXPECT_NE(md.find("| problem | status | median | rate | % ceiling | trust |"), std::string::npos);
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
  EXPECT_NE(stream.find("byte/s"), std::string::npos) << stream;
  EXPECT_EQ(stream.find("flop/s"), std::string::npos) << stream;
  if (!gemm.empty() && gemm.find("skipped") == std::string::npos) {
    EXPECT_NE(gemm.find("op/s"), std::string::npos) << gemm;
    EXPECT_EQ(gemm.find("flop/s"), std::string::npos) << gemm;
  }
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
