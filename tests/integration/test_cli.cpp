// The driver end to end: every bad input gets one clear message naming the value, exit status 2,
// and leaves nothing behind; good input writes a valid result file.
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

class Cli : public ::testing::Test {
 protected:
  void SetUp() override {
    m_dir = fs::temp_directory_path() /
            ("mlhpc-cli-" +
             std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()));
    fs::remove_all(m_dir);
    fs::create_directories(m_dir);
  }
  void TearDown() override { fs::remove_all(m_dir); }
  std::string path(const std::string& name) const { return (m_dir / name).string(); }
  // Exit 2, the message on stderr, nothing on stdout, and the output file never created.
  void expect_usage_error(std::vector<std::string> args, const std::string& message) {
    const std::string out = path("never.json");
    args.insert(args.end(), {"--out", out});
    const auto r = mlhpc(args);
    EXPECT_EQ(r.status, 2) << r.err;
    EXPECT_NE(r.err.find(message), std::string::npos) << "stderr was: " << r.err;
    EXPECT_EQ(r.out, "");
    EXPECT_FALSE(fs::exists(out));
  }
  fs::path m_dir;
};

TEST_F(Cli, UnknownWorkloadAndVariant) {
  expect_usage_error(
      {"run", "--workload", "gemmm"},
      "unknown workload 'gemmm' (did you mean 'gemm'?) (expected one of: peak, stream, io, gemm, "
      "conv, resnet50, allreduce, reduce_scatter, allgather, broadcast, alltoall; see 'mlhpc "
      "list')");
  expect_usage_error({"run", "--workload", "gemm:f23"},
                     "unknown variant 'f23' of workload gemm (did you mean 'f32'?) (expected one "
                     "of: f32, bf16, int8)");
  expect_usage_error({"run", "--workload", "xyzzy"}, "unknown workload 'xyzzy' (expected");
}

// A mistyped option names the nearest one and the subcommand's own help, exit 2.
TEST_F(Cli, AMistypedOptionSuggestsTheNearestAndTheSubcommandsHelp) {
  const auto r = mlhpc({"run", "-w", "gemm", "--sett", "m=1"});
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("(did you mean '--set'?)\n(see 'mlhpc run --help')"), std::string::npos)
      << r.err;
  const auto c = mlhpc({"compare", "--treshold", "0.1", "a.json", "b.json"});
  EXPECT_EQ(c.status, 2);
  EXPECT_NE(c.err.find("(did you mean '--threshold'?)\n(see 'mlhpc compare --help')"),
            std::string::npos)
      << c.err;
  const auto s = mlhpc({"reprot", "x.json"});
  EXPECT_EQ(s.status, 2);
  EXPECT_NE(s.err.find("(did you mean 'report'?)"), std::string::npos) << s.err;
  const auto b = mlhpc({"run", "-w", "peak:f32", "--bind", "sockets"});
  EXPECT_EQ(b.status, 2);
  EXPECT_NE(b.err.find("--bind: sockets not in {cores,none}"), std::string::npos) << b.err;
}

// Size suffixes and ranges through the command line, and a bad range refused with exit 2.
TEST_F(Cli, RangesAndSuffixesExpandAndABadRangeIsUsageError) {
  const auto r = mlhpc({"run", "-w", "allreduce", "--set", "bytes=8:1G:x2", "--dry-run"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("  28  allreduce:mpi bytes=1073741824 "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("28 problem(s)"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("estimated time: about"), std::string::npos) << r.out;
  const auto k = mlhpc({"run", "-w", "gemm:f32", "--set", "m=1k", "--dry-run"});
  EXPECT_NE(k.out.find("gemm:f32 m=1024 "), std::string::npos) << k.out;
  expect_usage_error({"run", "-w", "gemm:f32", "--set", "m=64:8", "--dry-run"},
                     "parameter m='64:8': the start 64 is above the end 8; expected a range");
  expect_usage_error({"run", "-w", "gemm:f32", "--set", "m=1G:2G:x1", "--dry-run"},
                     "the factor 1 must be at least 2");
}

// --filter keeps the matching problems; one that matches nothing, or a bad expression, is exit 2.
TEST_F(Cli, FilterSelectsProblemsByRegex) {
  const auto r = mlhpc({"run", "--suite", "quick", "--filter", "^gemm:(bf16|int8)", "--dry-run"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("2 problem(s)"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("peak:"), std::string::npos) << r.out;
  expect_usage_error({"run", "--suite", "quick", "--filter", "nothing-like-this", "--dry-run"},
                     "--filter 'nothing-like-this': matches none of the 20 planned problems");
  expect_usage_error({"run", "--suite", "quick", "--filter", "(", "--dry-run"},
                     "--filter '(': not a regular expression");
}

TEST_F(Cli, UnknownAndMalformedParameters) {
  expect_usage_error({"run", "-w", "gemm", "--set", "q=1"},
                     "unknown parameter 'q' in --set q=1 (the workloads given take: m, n, k, "
                     "transa, transb; see 'mlhpc list')");
  expect_usage_error({"run", "-w", "gemm", "--set", "m"}, "--set 'm': expected key=value");
  expect_usage_error({"run", "-w", "gemm", "--set", "m=abc"},
                     "parameter m='abc': expected an integer");
  expect_usage_error({"run", "-w", "gemm", "--set", "transa=x"},
                     "parameter transa='x': expected one of n, t");
}

TEST_F(Cli, ZeroAndNegativeSizes) {
  expect_usage_error({"run", "-w", "gemm", "--set", "m=0"},
                     "parameter m=0: expected an integer between 1 and 2147483647");
  expect_usage_error({"run", "-w", "gemm:f32", "--set", "k=-8"},
                     "parameter k=-8: expected an integer between 1 and 2147483647");
  expect_usage_error({"run", "-w", "stream:copy", "--set", "array_bytes=0"},
                     "parameter array_bytes=0: expected an integer between 4096 and");
}

TEST_F(Cli, BuffersLargerThanMemory) {
  expect_usage_error({"run", "-w", "gemm:f32", "--set", "m=2000000", "--set", "n=2000000"},
                     "gemm:f32 m=2000000 n=2000000 k=1024 transa=n transb=n: its buffers need");
  expect_usage_error({"run", "-w", "stream:triad", "--set", "array_bytes=70368744177664"},
                     "of memory is available (MemAvailable); expected smaller sizes");
}

TEST_F(Cli, BadRunnerSettings) {
  expect_usage_error({"run", "-w", "peak:f32", "--repetitions", "0"},
                     "--repetitions '0': expected a whole number of timed samples, between 1 and "
                     "100000");
  expect_usage_error({"run", "-w", "peak:f32", "--ci-target", "2"},
                     "--ci-target '2': expected a fraction (0.01 = 1 %), more than 0 and less "
                     "than 1");
  expect_usage_error({"run", "-w", "peak:f32", "--max-time", "0"},
                     "--max-time '0': expected seconds, more than 0 and at most 86400");
  expect_usage_error({"run", "-w", "peak:f32", "--threads", "0"},
                     "--threads '0': expected a whole number of threads, between 1 and 4096");
  expect_usage_error({"run", "-w", "peak:f32", "--repetitions", "many"},
                     "mlhpc: error: --repetitions 'many': expected a whole number");
  expect_usage_error({"run"}, "nothing to run: expected --workload NAME[:VARIANT] or --suite FILE");
  expect_usage_error({"run", "-w", "peak", "--bogus"},
                     "The following argument was not expected: --bogus");
}

TEST_F(Cli, UnreadableAndMalformedSuites) {
  expect_usage_error({"run", "--suite", path("absent.yaml")}, "absent.yaml': no such file");
  { std::ofstream(path("bad.yaml")) << "problems:\n  - workload: [gemm\n"; }
  expect_usage_error({"run", "--suite", path("bad.yaml")}, "column 1: malformed YAML");
  { std::ofstream(path("unknown.yaml")) << "problems:\n  - workload: gemm\n    set: {z: 1}\n"; }
  expect_usage_error({"run", "--suite", path("unknown.yaml")},
                     "unknown parameter 'z' for workload gemm:f32 (suite");
}

TEST_F(Cli, UnwritableOutput) {
  const auto r = mlhpc({"run", "-w", "peak:f32", "--out", "/etc/hostname/sub/r.json"});
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("--out '/etc/hostname/sub/r.json': '/etc/hostname' is a regular file, not "
                       "a directory"),
            std::string::npos)
      << r.err;
  const auto d = mlhpc({"run", "-w", "peak:f32", "--out", m_dir.string()});
  EXPECT_EQ(d.status, 2);
  EXPECT_NE(d.err.find("is a directory; expected a file name"), std::string::npos) << d.err;
}

TEST_F(Cli, UnknownShapeList) {
  expect_usage_error({"run", "-w", "gemm:f32", "--set", "shapes=nope"},
                     "shapes=nope: no such shape list for workload gemm (expected one of: "
                     "deepbench_train");
}

TEST_F(Cli, DryRunExpandsSweepsAndShapeLists) {
  const auto r =
      mlhpc({"run", "-w", "gemm", "--set", "m=64,128", "--set", "transb=n,t", "--dry-run"});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("12 problem(s)"), std::string::npos) << r.out;  // 3 types x 2 x 2
  EXPECT_NE(r.out.find("gemm:int8 m=128 n=1024 k=1024 transa=n transb=t"), std::string::npos);
  const auto d = mlhpc({"run", "-w", "gemm:f32", "--set", "shapes=deepbench_train", "--dry-run"});
  EXPECT_EQ(d.status, 0) << d.err;
  EXPECT_NE(d.out.find("40 problem(s)"), std::string::npos) << d.out;
  EXPECT_NE(d.out.find("gemm:f32 m=35 n=8457 k=4096"), std::string::npos) << d.out;
  const auto q = mlhpc({"run", "--suite", "quick", "--dry-run"});
  EXPECT_EQ(q.status, 0) << q.err;
  EXPECT_NE(q.out.find("peak:f32"), std::string::npos);
}

TEST_F(Cli, ListSaysWhatRunsHere) {
  const auto r = mlhpc({"list"});
  EXPECT_EQ(r.status, 0);
  for (const char* s : {"gemm:bf16", "peak:int8", "stream:triad", "can run here", "deepbench_train",
                        "default 1024", "suites (--suite NAME): ci, quick"})
    EXPECT_NE(r.out.find(s), std::string::npos) << s;
}

// mlhpc accept on one rank: the verdicts in the file and on the terminal, the exit status, the
// thresholds checked before anything runs.
TEST_F(Cli, AcceptWritesVerdictsAndExitsOneWhenTheNodeFails) {
  const auto dry = mlhpc({"accept", "--dry-run"});
  ASSERT_EQ(dry.status, 0) << dry.err;
  for (const char* w : {"peak:f32", "stream:triad", "gemm:f32", "conv:2d", "resnet50:train",
                        "io:seq_read", "io:rand_read", "allreduce:mpi", "estimated time"})
    EXPECT_NE(dry.out.find(w), std::string::npos) << w << "\n" << dry.out;
  const std::vector<std::string> quick = {"--filter", "^peak:f32",  "-r",   "6", "--max-time",
                                          "0.2",      "--counters", "none", "-q"};
  auto with = [&](std::vector<std::string> a, const std::string& out) {
    a.insert(a.begin(), "accept");
    a.insert(a.end(), quick.begin(), quick.end());
    a.push_back("-o");
    a.push_back(path(out));
    return mlhpc(a);
  };
  // Thresholds no node can miss: a pass, exit 0.
  const auto ok = with({"--nominal-warn", "0.02", "--nominal-fail", "0.01"}, "ok.json");
  ASSERT_EQ(ok.status, 0) << ok.err << ok.out << test::slurp(path("ok.json"));
  const json d = json::parse(test::slurp(path("ok.json")));
  EXPECT_TRUE(validate_result(d).empty());
  // The ratio passes; a noisy timing on a shared machine may add a warning, never a failure.
  EXPECT_NE(d["acceptance"]["verdict"], "fail");
  EXPECT_EQ(d["acceptance"]["checks"][0]["judgements"][0]["against"], "nominal peak (flops:f32)");
  EXPECT_EQ(d["acceptance"]["checks"][0]["judgements"][0]["verdict"], "pass");
  EXPECT_NE(ok.out.find(" peak:f32 "), std::string::npos) << ok.out;
  EXPECT_NE(ok.out.find("node "), std::string::npos) << ok.out;
  // Thresholds at the nominal peak itself: a failure, exit 1, the file kept, unless the best
  // sample reached the nominal peak (the clock's 2 % margin allows up to 102 %; a loaded host's
  // busy and quiet moments give 99-102 %): the verdict follows the ratio either way.
  const auto bad = with({"--nominal-warn", "1", "--nominal-fail", "1"}, "bad.json");
  const json bd = json::parse(test::slurp(path("bad.json")));
  const double ratio = bd["acceptance"]["checks"][0]["judgements"][0]["ratio"].get<double>();
  if (ratio < 1) {
    EXPECT_EQ(bad.status, 1) << bad.err;
    EXPECT_EQ(bd["acceptance"]["verdict"], "fail");
    EXPECT_NE(bad.out.find(": FAIL ("), std::string::npos) << bad.out;
  } else {
    EXPECT_EQ(bd["acceptance"]["checks"][0]["judgements"][0]["verdict"], "pass") << bad.out;
  }
  // Bad input before anything runs: exit 2, no file.
  expect_usage_error({"accept", "--ceiling-warn", "0.5", "--ceiling-fail", "0.6"},
                     "--ceiling-fail 0.6 is above --ceiling-warn 0.5");
  expect_usage_error({"accept", "--memory-channels", "8"},
                     "--memory-channels and --memory-mts: expected both");
  expect_usage_error({"accept", "--nominal-warn", "1.5"}, "--nominal-warn");
  expect_usage_error({"accept", "--reference", path("missing.json")}, "missing.json");
  // An output that is one of the references is refused before anything runs; the reference
  // stays as it was.
  const std::string before = test::slurp(path("ok.json"));
  const auto same = mlhpc({"accept", "--reference", path("ok.json"), "-o", path("ok.json")});
  EXPECT_EQ(same.status, 2) << same.err;
  EXPECT_NE(same.err.find("is also an input of this command"), std::string::npos) << same.err;
  EXPECT_EQ(test::slurp(path("ok.json")), before);
}

// The end-of-run table as data on stdout (CSV or JSON) and nothing else there; --bind recorded
// with the binding OpenMP then had; a dry run's estimate from an earlier run beside --out.
TEST_F(Cli, TableFormatsBindingAndTheEstimateFromHistory) {
  // peak runs in every build (gemm needs oneDNN).
  const std::vector<std::string> tiny = {"run",      "-w",         "peak:f32", "--set",
                                         "chunks=4", "-r",         "6",        "--max-time",
                                         "0.1",      "--counters", "none",     "-q"};
  auto run = [&](std::vector<std::string> extra) {
    std::vector<std::string> a = tiny;
    a.insert(a.end(), extra.begin(), extra.end());
    return mlhpc(a);
  };
  const auto csv = run({"--format", "csv", "--bind", "cores", "-o", path("c.json")});
  ASSERT_EQ(csv.status, 0) << csv.err;
  EXPECT_EQ(csv.out.rfind("key,label,workload,variant,status,median_s,", 0), 0u) << csv.out;
  EXPECT_NE(csv.out.find("\r\npeak:f32 isa=auto chunks=4,peak:f32 chunks=4,peak,f32,ok,"),
            std::string::npos)
      << csv.out;
  EXPECT_NE(csv.err.find("results: "), std::string::npos) << csv.err;
  const json doc = json::parse(test::slurp(path("c.json")));
  EXPECT_EQ(doc["run"]["bind"]["mode"], "cores");
  EXPECT_EQ(doc["run"]["bind"]["OMP_PROC_BIND"], "close");
  EXPECT_EQ(doc["run"]["bind"]["OMP_PLACES"], "cores");
  EXPECT_EQ(doc["context"]["affinity"]["pinned"], true) << doc["context"]["affinity"].dump();
  EXPECT_EQ(doc["results"][0]["label"], "peak:f32 chunks=4");
  const auto js = run({"--format", "json", "--bind", "none", "-o", path("j.json")});
  ASSERT_EQ(js.status, 0) << js.err;
  const json rows = json::parse(js.out);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0]["status"], "ok");
  EXPECT_GT(rows[0]["median_s"].get<double>(), 0);
  EXPECT_EQ(json::parse(test::slurp(path("j.json")))["run"]["bind"]["OMP_PROC_BIND"], "false");
  const auto both = mlhpc({"run", "-w", "peak:f32", "--format", "csv", "--out", "-"});
  EXPECT_EQ(both.status, 2);
  EXPECT_NE(both.err.find("--format csv with --out -: both would go to standard output"),
            std::string::npos)
      << both.err;
  EXPECT_EQ(both.out, "");
  // The problem ran in c.json and j.json beside --out: the dry run counts it as long as it took.
  std::vector<std::string> dry = tiny;
  dry.insert(dry.end(), {"--dry-run", "-o", path("next.json")});
  const auto d = mlhpc(dry);
  ASSERT_EQ(d.status, 0) << d.err;
  EXPECT_NE(d.out.find("estimated time: about 1 s (1 problem as long as their last run in "),
            std::string::npos)
      << d.out;
}

TEST_F(Cli, SysinfoIsJson) {
  const auto r = mlhpc({"sysinfo", "--json"});
  EXPECT_EQ(r.status, 0);
  const auto j = json::parse(r.out);
  // Without --json: readable fields, no JSON.
  const auto text = mlhpc({"sysinfo"});
  EXPECT_EQ(text.status, 0);
  for (const char* f : {"  cpu ", "  memory ", " GiB total", "  libraries ", "  tool "})
    EXPECT_NE(text.out.find(f), std::string::npos) << f << "\n" << text.out;
  EXPECT_EQ(text.out.find('{'), std::string::npos) << text.out;
  // list --json: every workload with its variants and whether it can run here.
  const auto l = mlhpc({"list", "--json"});
  ASSERT_EQ(l.status, 0) << l.err;
  const auto lj = json::parse(l.out);
  bool gemm = false;
  for (const auto& w : lj["workloads"]) gemm = gemm || w["name"] == "gemm";
  EXPECT_TRUE(gemm);
  EXPECT_TRUE(lj["workloads"][0]["variants"][0].contains("can_run_here"));
  // --version: the commit and the libraries.
  const auto v = mlhpc({"--version"});
  EXPECT_EQ(v.status, 0);
  EXPECT_NE(v.out.find("commit "), std::string::npos) << v.out;
  EXPECT_NE(v.out.find("libraries: "), std::string::npos) << v.out;
  EXPECT_TRUE(j["system"]["cpu"].contains("flags"));
  EXPECT_TRUE(j["libraries"].contains("hwloc"));
  EXPECT_TRUE(j["tool"].contains("git_commit"));
}

TEST_F(Cli, ValidateSaysWhereAFileIsWrong) {
  std::ofstream(path("bad.json")) << R"({"schema_version": "1.0.0", "results": []})";
  const auto r = mlhpc({"validate", path("bad.json")});
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("invalid at /"), std::string::npos) << r.err;
  std::ofstream(path("trunc.json")) << R"({"schema_version": "1.0)";
  const auto t = mlhpc({"validate", path("trunc.json")});
  EXPECT_EQ(t.status, 1);
  EXPECT_NE(t.err.find("invalid: not valid JSON: parse error"), std::string::npos) << t.err;
  const auto u = mlhpc({"validate", path("absent.json")});
  EXPECT_EQ(u.status, 2);
  const std::string golden = std::string(test::build::test_dir) + "/golden/result-v1.json";
  const auto g = mlhpc({"validate", golden});
  EXPECT_EQ(g.status, 0) << g.err;
  // Several files: each is reported, the status is the worst.
  const auto both = mlhpc({"validate", golden, path("bad.json")});
  EXPECT_EQ(both.status, 1);
  EXPECT_NE(both.out.find("result-v1.json: valid"), std::string::npos) << both.out;
  EXPECT_NE(both.err.find("bad.json: invalid"), std::string::npos) << both.err;
}

TEST_F(Cli, StdoutCarriesOnlyJson) {
  const auto r = mlhpc({"run", "-w", "peak:f32", "--set", "chunks=4", "-r", "3", "--max-time",
                        "0.05", "--out", "-"});
  EXPECT_EQ(r.status, 0) << r.err;
  const auto doc = json::parse(r.out);  // throws if anything else is on stdout
  EXPECT_TRUE(validate_result(doc).empty());
  EXPECT_EQ(doc["run"]["status"], "complete");
  EXPECT_NE(r.err.find("peak:f32"), std::string::npos);  // progress and table went to stderr
}

TEST_F(Cli, AnInterruptedRunLeavesAValidFile) {
  const std::string out = path("partial.json");
  const auto r = mlhpc({"run", "-w", "peak", "--set", "chunks=64", "-r", "100000", "--max-time",
                        "100", "--ci-target", "0.000001", "--out", out},
                       0.5, 0, "[1/4]");  // half a second into the first problem
  EXPECT_EQ(r.status, 130) << r.err;
  std::ifstream in(out);
  const auto doc = json::parse(in);
  EXPECT_TRUE(validate_result(doc).empty());
  EXPECT_EQ(doc["run"]["status"], "interrupted");
  ASSERT_GE(doc["results"].size(), 1u);
  // Interrupted, not failed: compare must not call it a regression.
  EXPECT_EQ(doc["results"][0]["status"], "interrupted");
  EXPECT_EQ(doc["results"][0]["measurement"]["stop_reason"], "interrupted");
  EXPECT_LT(doc["results"].size(), 4u);                            // the other types never started
  EXPECT_EQ(std::distance(fs::directory_iterator(m_dir), {}), 1);  // no temporary left
}

TEST_F(Cli, AFailingProblemIsRecordedAndTheRunGoesOn) {
  MLHPC_SKIP_WITHOUT_DNNL();
#if MLHPC_ASAN
  GTEST_SKIP() << "an address-space limit cannot be used under AddressSanitizer, whose shadow "
                  "memory reserves terabytes of address space";
#endif
  // Under a 1.5 GiB address-space limit the first GEMM's 1.7 GiB of buffers cannot be allocated:
  // a real failure, recorded as `failed`; the next problem still runs and the file is valid.
  std::ofstream(path("s.yaml")) << "settings: {repetitions: 6, max_time: 0.2}\n"
                                   "problems:\n"
                                   "  - workload: gemm:f32\n"
                                   "    set: {m: 12000, n: 12000, k: 12000}\n"
                                   "  - workload: gemm:f32\n"
                                   "    set: {m: 64, n: 64, k: 64}\n";
  const std::string out = path("r.json");
  const auto r = mlhpc({"run", "--suite", path("s.yaml"), "--out", out}, 0, rlim_t{3} << 29);
  EXPECT_EQ(r.status, 1) << r.err;
  std::ifstream in(out);
  const auto doc = json::parse(in);
  EXPECT_TRUE(validate_result(doc).empty());
  ASSERT_EQ(doc["results"].size(), 2u);
  EXPECT_EQ(doc["results"][0]["status"], "failed");
  EXPECT_EQ(doc["results"][0]["reason"], "setup failed: out of memory");
  EXPECT_FALSE(doc["results"][0].contains("statistics"));  // nothing unmeasured is written
  EXPECT_EQ(doc["results"][1]["status"], "ok");
  EXPECT_EQ(doc["run"]["status"], "complete");
  EXPECT_NE(r.out.find("failed"), std::string::npos);  // the table shows it
}

}  // namespace
}  // namespace mlhpc
