// The safe writer, the bounded reader, the text escapes and the numeric check: each class of
// hostile input from the hardening issue, at the level of the functions that stop it.
#include <fcntl.h>
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <thread>

#include "bench/error.hpp"
#include "bench/files.hpp"
#include "bench/options.hpp"
#include "bench/params.hpp"
#include "bench/result_file.hpp"
#include "bench/text.hpp"

#include "tests/support/usage.hpp"

namespace mlhpc {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

namespace test {
std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}
}  // namespace test

class Files : public ::testing::Test {
 protected:
  void SetUp() override {
    m_dir = fs::temp_directory_path() /
            ("mlhpc-files-" +
             std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()));
    fs::remove_all(m_dir);
    fs::create_directories(m_dir);
  }
  void TearDown() override {
    fix_temporary_nonce_for_tests(std::nullopt);
    fs::remove_all(m_dir);
  }
  std::string path(const std::string& name) const { return (m_dir / name).string(); }
  fs::path m_dir;
};

using mlhpc::test::usage_message;

// Today a link at the temporary's name made the run overwrite the link's target.
TEST_F(Files, APlantedLinkAtTheTemporaryNameIsNeverFollowed) {
  { std::ofstream(path("victim")) << "precious"; }
  fix_temporary_nonce_for_tests(7);
  const std::string target = path("r.json");
  const std::string planted = temporary_path(target, 7);
  EXPECT_NE(planted.find(".r.json.mlhpc-tmp."), std::string::npos) << planted;
  ASSERT_EQ(::symlink(path("victim").c_str(), planted.c_str()), 0);
  write_file_atomically(target, "new\n");
  EXPECT_EQ(test::slurp(path("victim")), "precious");
  EXPECT_EQ(test::slurp(target), "new\n");
  EXPECT_TRUE(fs::is_symlink(planted));  // not ours: left alone
  // Nothing else is left behind: the target, the victim and the planted link.
  EXPECT_EQ(std::distance(fs::directory_iterator(m_dir), {}), 3);
}

TEST_F(Files, ANewFileHasMode0644MinusTheUmaskAReplacedOneKeepsItsMode) {
  const mode_t old = ::umask(027);
  write_file_atomically(path("r.json"), "x");
  ::umask(old);
  struct stat st {};
  ASSERT_EQ(::stat(path("r.json").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0640u);
  // A replaced file keeps its own permissions.
  ASSERT_EQ(::chmod(path("r.json").c_str(), 0600), 0);
  write_file_atomically(path("r.json"), "y");
  ASSERT_EQ(::stat(path("r.json").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

TEST_F(Files, TargetsThatAreNotRegularFilesAreRefused) {
  { std::ofstream(path("victim")) << "precious"; }
  ASSERT_EQ(::symlink(path("victim").c_str(), path("link").c_str()), 0);
  ASSERT_EQ(::mkfifo(path("fifo").c_str(), 0600), 0);
  fs::create_directories(path("dir"));
  EXPECT_EQ(
      usage_message([&] { check_output_path(path("fifo"), "--out"); }),
      fmt::format("--out '{}': is a FIFO; expected a regular file or a new name", path("fifo")));
  EXPECT_NE(
      usage_message([&] { check_output_path(path("link"), "--out"); }).find("is a symbolic link"),
      std::string::npos);
  EXPECT_EQ(usage_message([&] { check_output_path(path("dir"), "-o"); }),
            fmt::format("-o '{}': is a directory; expected a file name", path("dir")));
  // The writer itself refuses too (a target that changed type after the check).
  EXPECT_THROW(write_file_atomically(path("link"), "x"), usage_error);
  EXPECT_THROW(write_file_atomically(path("fifo"), "x"), usage_error);
  EXPECT_EQ(test::slurp(path("victim")), "precious");
  EXPECT_TRUE(fs::is_symlink(path("link")));
  EXPECT_TRUE(fs::is_fifo(path("fifo")));
  // A device node, made here (never in /dev): refused and left a device node.
  if (::mknod(path("null").c_str(), S_IFCHR | 0666, makedev(1, 3)) != 0)
    GTEST_SKIP() << "mknod is not permitted here: " << std::strerror(errno);
  EXPECT_EQ(usage_message([&] { check_output_path(path("null"), "--out"); }),
            fmt::format("--out '{}': is a character device; expected a regular file or a new "
                        "name",
                        path("null")));
  EXPECT_THROW(write_file_atomically(path("null"), "x"), usage_error);
  EXPECT_TRUE(fs::is_character_file(path("null")));
}

TEST_F(Files, AnInputIsNeverAnOutput) {
  { std::ofstream(path("in.json")) << "{}"; }
  ASSERT_EQ(::link(path("in.json").c_str(), path("hard.json").c_str()), 0);
  EXPECT_NE(usage_message([&] {
              check_output_path(path("in.json"), "-o", {path("in.json")});
            }).find("is also an input of this command"),
            std::string::npos);
  // The same file under another name (a hard link) is the same input.
  EXPECT_NE(usage_message([&] {
              check_output_path(path("hard.json"), "-o", {path("in.json")});
            }).find("is also an input"),
            std::string::npos);
  EXPECT_NO_THROW(check_output_path(path("other.json"), "-o", {path("in.json")}));
  EXPECT_EQ(usage_message([] { check_output_path("", "--out"); }),
            "--out '': expected a file name (or '-' for standard output)");
}

TEST_F(Files, TheCheckCreatesNoDirectory) {
  EXPECT_NO_THROW(check_output_path(path("a/b/c/r.json"), "--out"));
  EXPECT_FALSE(fs::exists(path("a")));
  write_file_atomically(path("a/b/c/r.json"), "x");
  EXPECT_EQ(test::slurp(path("a/b/c/r.json")), "x");
}

// A link planted where the suite would create a directory ("results" -> somewhere else) made the
// writer create the directories, and write the file, in the link's target.
TEST_F(Files, DirectoriesAreNeverCreatedThroughALink) {
  fs::create_directories(path("target"));
  fs::create_symlink(path("target"), path("results"));
  const std::string out = path("results/new/r.json");
  EXPECT_EQ(usage_message([&] { check_output_path(out, "--out"); }),
            fmt::format("--out '{}': '{}' is a symbolic link; the suite never creates directories "
                        "through one (give the real path, or create the directory first)",
                        path("results/new"), path("results")));
  EXPECT_NE(usage_message([&] { write_file_atomically(out, "x"); }).find("is a symbolic link"),
            std::string::npos);
  EXPECT_NE(
      usage_message([&] {
        make_directories(path("results/a/b"), "--dir");
      }).find("--dir '" + path("results/a/b") + "': '" + path("results") + "' is a symbolic link"),
      std::string::npos);
  EXPECT_TRUE(fs::is_empty(path("target")));
  // An existing directory reached through a link is used as it is: nothing is created.
  fs::create_directories(path("target/there"));
  EXPECT_NO_THROW(write_file_atomically(path("results/there/r.json"), "y"));
  EXPECT_EQ(test::slurp(path("target/there/r.json")), "y");
  // Without links, every missing level is made.
  EXPECT_NO_THROW(make_directories(path("real/a/b"), "--dir"));
  EXPECT_TRUE(fs::is_directory(path("real/a/b")));
}

// A directory that cannot be made is a path the user gave that cannot be used: exit 2, as the
// README's exit table says (it was an io_failure, exit 3).
TEST_F(Files, ADirectoryThatCannotBeMadeIsAUsageError) {
  { std::ofstream(path("file")) << "x"; }
  EXPECT_NE(usage_message([&] {
              make_directories(path("file/sub"), "--out");
            }).find("cannot use '" + path("file") + "' as a directory"),
            std::string::npos);
}

TEST(FileNamePart, NamesFromTheSystemCannotLeaveTheirDirectory) {
  EXPECT_EQ(file_name_part("node01"), "node01");
  EXPECT_EQ(file_name_part("gpu-a_1"), "gpu-a_1");
  EXPECT_EQ(file_name_part("../../etc"), "______etc");
  EXPECT_EQ(file_name_part("a/b"), "a_b");
  EXPECT_EQ(file_name_part(".."), "__");
  EXPECT_EQ(file_name_part("x\nrm -rf"), "x_rm_-rf");
  EXPECT_EQ(file_name_part(""), "unknown");
  EXPECT_EQ(file_name_part(std::string(300, 'h')).size(), 64u);
  EXPECT_EQ(file_name_part("h\xc3\xa9"), "h__");
}

TEST_F(Files, TemporariesOfDeadProcessesOfThisHostAreRemoved) {
  // A pid that no longer exists: a child that exited and was reaped.
  const pid_t dead = fork();
  if (dead == 0) _exit(0);
  ASSERT_GT(dead, 0);
  waitpid(dead, nullptr, 0);
  const std::string ours = temporary_path(path("r.json"), 1);  // .r.json.mlhpc-tmp.H.PID.N
  const auto cut = ours.rfind('.', ours.rfind('.') - 1);
  const std::string prefix = ours.substr(0, cut);  // .../.r.json.mlhpc-tmp.H
  const std::string stale = fmt::format("{}.{}.0000abcd", prefix, dead);
  const std::string live = fmt::format("{}.{}.0000abcd", prefix, getppid());
  const std::string other = path(fmt::format(".r.json.mlhpc-tmp.elsewhere.{}.0000abcd", dead));
  for (const auto& f : {stale, live, other}) std::ofstream(f) << "half a file";
  write_file_atomically(path("r.json"), "x");
  EXPECT_FALSE(fs::exists(stale)) << stale;
  EXPECT_TRUE(fs::exists(live)) << "the process is alive";
  EXPECT_TRUE(fs::exists(other)) << "another host's process ids mean nothing here";
}

TEST_F(Files, SpecialAndOversizedInputsAreRefusedBeforeReading) {
  ASSERT_EQ(::mkfifo(path("fifo").c_str(), 0600), 0);
  // A FIFO without a writer: refused, never waited on (a wait would never end: returning with
  // the refusal is the proof, with no wall-clock bound for a busy host to break).
  EXPECT_EQ(usage_message([&] { read_input_file(path("fifo"), 100, "--suite"); }),
            fmt::format("--suite '{}': is a FIFO; expected a regular file", path("fifo")));
  EXPECT_EQ(usage_message([] { read_input_file("/dev/zero", 100, "result file"); }),
            "result file '/dev/zero': is a character device; expected a regular file");
  { std::ofstream(path("big")) << std::string(101, 'x'); }
  EXPECT_NE(usage_message([&] {
              read_input_file(path("big"), 100, "x");
            }).find("larger than the limit of 100 bytes"),
            std::string::npos);
  { std::ofstream(path("ok")) << std::string(100, 'x'); }
  EXPECT_EQ(read_input_file(path("ok"), 100, "x").size(), 100u);
}

TEST(Json, NestingIsBoundedAndBadNumbersAreBadInput) {
  auto nested = [](int n) { return std::string(n, '[') + std::string(n, ']'); };
  EXPECT_NO_THROW(parse_json_bounded(nested(64), "f"));
  EXPECT_EQ(usage_message([&] { parse_json_bounded(nested(65), "f"); }),
            "f: nested deeper than the limit of 64 levels; expected an mlhpc result file (6 "
            "levels)");
  // 10^5 levels crashed compare and report with a stack overflow.
  EXPECT_THROW(parse_json_bounded("{\"a\": " + nested(100000) + "}", "f"), usage_error);
  EXPECT_NE(usage_message([] {
              parse_json_bounded(R"({"x": 1e999})", "f");
            }).find("f: not valid JSON: number overflow"),
            std::string::npos);
  EXPECT_THROW(parse_json_bounded("{\"x\": " + std::string(400, '9') + "}", "f"), usage_error);
  EXPECT_NE(
      usage_message([] { parse_json_bounded("{\"x\": \"\xe9\"}", "f"); }).find("not valid JSON"),
      std::string::npos);
}

TEST(ResultLimits, SamplesRatesWithoutWorkAndSeeds) {
  json doc = {{"run", {{"seed", -1}}},
              {"results",
               {{{"seed", 9223372036854775808ull},
                 {"rates", {{"flops_per_s", {{"median", 1.0}}}}},
                 {"work", {{"bytes", 8}}},
                 {"measurement", {{"samples_s", json::array()}}}}}}};
  doc["results"][0]["measurement"]["samples_s"] =
      std::vector<double>(max_samples_per_result + 1, 1.0);
  const auto errors = check_result_limits(doc);
  ASSERT_EQ(errors.size(), 3u);
  EXPECT_EQ(errors[0].where, "/run/seed");
  EXPECT_EQ(errors[1].where, "/results/0/rates/flops_per_s");
  EXPECT_NE(errors[1].what.find("rates and work disagree"), std::string::npos);
  EXPECT_EQ(errors[2].where, "/results/0/measurement/samples_s");
  EXPECT_EQ(errors[2].what, "10000001 samples, more than the limit of 10000000 per result");
}

TEST(Text, Utf8IsKeptAndEveryOtherByteEscaped) {
  EXPECT_EQ(utf8_text("plain €uro 日本"), "plain €uro 日本");
  EXPECT_EQ(utf8_text("\xe9t\xe9"), "\\xE9t\\xE9");                  // Latin-1
  EXPECT_EQ(utf8_text("\xc0\xaf"), "\\xC0\\xAF");                    // overlong '/'
  EXPECT_EQ(utf8_text("\xed\xa0\x80"), "\\xED\\xA0\\x80");           // a surrogate
  EXPECT_EQ(utf8_text("\xf4\x90\x80\x80"), "\\xF4\\x90\\x80\\x80");  // above U+10FFFF
  EXPECT_EQ(utf8_text("\xe2\x82"), "\\xE2\\x82");                    // cut short
  EXPECT_EQ(json(utf8_text("\xff")).dump(), "\"\\\\xFF\"");          // nlohmann accepts it
}

TEST(Text, TerminalTextHasNoControlCharacters) {
  EXPECT_EQ(terminal_text("a\x1b[31mred\rb\x07\n\t\x7f"),
            "a\\x1B[31mred\\x0Db\\x07\\x0A\\x09\\x7F");
  EXPECT_EQ(terminal_text("\xc2\x9b"
                          "2J"),
            "\\u009B2J");  // C1 CSI
  EXPECT_EQ(terminal_text("µs ok"), "µs ok");
  EXPECT_EQ(terminal_lines("a\nb\x1b"), "a\nb\\x1B");
}

TEST(Text, MarkdownCannotOpenMarkupOrBreakOut) {
  EXPECT_EQ(markdown_text("a|b <script> # x `y` [l](u) *e*"),
            "a\\|b \\<script\\> \\# x \\`y\\` \\[l\\](u) \\*e\\*");
  EXPECT_EQ(markdown_text("line\n# heading\r"), "line\\\\x0A\\# heading\\\\x0D");
  EXPECT_EQ(markdown_code("run -w gemm"), "`run -w gemm`");
  EXPECT_EQ(markdown_code("a`b"), "``a`b``");
  EXPECT_EQ(markdown_code("``x"), "``` ``x ```");
  EXPECT_EQ(markdown_code_block("one\r\ntwo"), "```\none\ntwo\n```\n");
  EXPECT_EQ(markdown_code_block("```\n# not a heading\n"), "````\n```\n# not a heading\n````\n");
  EXPECT_EQ(markdown_code_block("esc\x1b"), "```\nesc\\x1B\n```\n");
}

TEST(Options, NumbersAreDecimalFiniteAndInRange) {
  EXPECT_EQ(parse_number("2.5", rules::max_time, "--max-time"), 2.5);
  EXPECT_EQ(parse_number("100000", rules::repetitions, "--repetitions"), 100000);
  for (const char* bad : {"nan", "NaN", "inf", "-inf", "infinity", "", "1e309", "0x10", " 1", "1 ",
                          "+1", "1s", "86400.5", "1e-320", "5e-324", "1e-400"})
    EXPECT_EQ(usage_message([&] { parse_number(bad, rules::min_time, "--min-time"); }),
              fmt::format("--min-time '{}': expected seconds, between 0 and 86400", bad));
  EXPECT_EQ(usage_message([] { parse_number("100001", rules::repetitions, "--repetitions"); }),
            "--repetitions '100001': expected a whole number of timed samples, between 1 and "
            "100000");
  EXPECT_THROW(parse_number("1.5", rules::repetitions, "-r"), usage_error);
  EXPECT_THROW(parse_number("0", rules::max_time, "--max-time"), usage_error);    // open bound
  EXPECT_THROW(parse_number("1", rules::ci_target, "--ci-target"), usage_error);  // open bound
  EXPECT_EQ(parse_number("0.5", rules::ci_target, "--ci-target"), 0.5);
  EXPECT_THROW(parse_number("0", rules::resamples, "--resamples"), usage_error);
  EXPECT_THROW(parse_number("-5", rules::resamples, "--resamples"), usage_error);
  EXPECT_THROW(parse_number("99999999999999999999", rules::resamples, "--resamples"), usage_error);
}

TEST(Options, SeedsAreUnsigned64Bit) {
  EXPECT_EQ(parse_u64("9223372036854775808", "--seed"), 9223372036854775808ull);
  EXPECT_EQ(parse_u64("18446744073709551615", "--seed"), 18446744073709551615ull);
  for (const char* bad : {"18446744073709551616", "-1", "", "1e3", " 1", "0x1"})
    EXPECT_EQ(usage_message([&] { parse_u64(bad, "--seed"); }),
              fmt::format("--seed '{}': expected a whole number between 0 and "
                          "18446744073709551615 (unsigned 64-bit)",
                          bad));
}

TEST(Sweeps, TheSizeIsKnownBeforeAnythingIsBuilt) {
  const std::vector<param_spec> specs = {{"m", param_type::integer, "1", "", {}, 1, 1 << 30},
                                         {"n", param_type::integer, "1", "", {}, 1, 1 << 30},
                                         {"k", param_type::integer, "1", "", {}, 1, 1 << 30},
                                         {"pass", param_type::choice, "a,b", "", {"a", "b"}}};
  std::vector<std::string> many;
  for (int i = 1; i <= 1000; ++i) many.push_back(std::to_string(i));
  EXPECT_EQ(count_expansion(specs, {{"m", many}}), 2000u);  // the default sweep counts too
  EXPECT_EQ(count_expansion(specs, {{"m", many}, {"n", many}}), 2000000u);
  EXPECT_EQ(usage_message([&] {
              expand(specs, {{"m", many}, {"n", many}}, "workload w");
            }),
            "workload w: the settings expand to 2000000 problems, more than the limit of 100000; "
            "expected smaller sweeps");
  // Counted, not built: 2 x 10^9 problems would take hundreds of GB to build, so the refusal
  // returning at all shows nothing was built (no wall-clock bound for a busy host to break).
  EXPECT_EQ(usage_message([&] {
              expand(specs, {{"m", many}, {"n", many}, {"k", many}}, "workload w");
            }),
            "workload w: the settings expand to 2000000000 problems, more than the limit of "
            "100000; expected smaller sweeps");
  EXPECT_EQ(expand(specs, {{"m", {"1", "2"}}}, "w").size(), 4u);
}

TEST(Params, EveryDeclaredMaximumIsEnforced) {
  const param_spec integer{"m", param_type::integer, "1", "", {}, 1, 100};
  const param_spec number{"x", param_type::number, "1", "", {}, 0, 10};
  EXPECT_EQ(normalize_value(integer, "100"), "100");
  EXPECT_EQ(usage_message([&] { normalize_value(integer, "101"); }),
            "parameter m=101: expected an integer between 1 and 100");
  EXPECT_EQ(normalize_value(number, "9.5"), "9.5");
  EXPECT_EQ(usage_message([&] { normalize_value(number, "10.5"); }),
            "parameter x=10.5: expected a number of at most 10");
  EXPECT_THROW(normalize_value(number, "nan"), usage_error);
  EXPECT_THROW(normalize_value(number, "inf"), usage_error);
  EXPECT_THROW(normalize_value(integer, "99999999999999999999"), usage_error);
}

}  // namespace
}  // namespace mlhpc
