#pragma once
// The one check of every numeric value a user gives, on the command line or in a suite file:
// decimal text only, no NaN or infinity, no trailing characters, inside the declared range. A
// failure is a usage_error naming the option (or suite key), the value and what was expected.
#include <cstdint>
#include <string>
#include <string_view>

namespace mlhpc {

struct numeric_rule {
  std::string_view key;     // suite-file key ("min_time"); empty for command-line-only options
  std::string_view option;  // command-line spelling ("--min-time")
  bool integer = false;
  double min = 0, max = 0;
  bool min_open = false, max_open = false;  // exclusive bounds
  std::string_view expected;                // what the value means ("seconds", "a fraction")
};

// Parses `text` under `rule`; `name` is how the value is named in the message ("--min-time",
// "suite 'x.yaml' line 3 column 5: settings.min_time"). Integers come back exactly (as double
// they are exact up to 2^53, far beyond every declared maximum).
double parse_number(std::string_view text, const numeric_rule& rule, std::string_view name);
// An unsigned 64-bit value (seeds): 0 to 18446744073709551615, decimal, nothing else.
std::uint64_t parse_u64(std::string_view text, std::string_view name);

// The rules of the run settings (shared by 'mlhpc run' options and suite files) and of the
// options of compare and ab. Every maximum is enforced.
namespace rules {
// At most as many samples as the runner's hard cap (runner_settings::max_repetitions).
inline constexpr numeric_rule repetitions{"repetitions", "--repetitions", true,  1,
                                          100000,        false,           false, "timed samples"};
inline constexpr numeric_rule warmup{"warmup", "--warmup", true,  0,
                                     100000,   false,      false, "untimed repetitions"};
// A day: a longer timed minimum per problem is a mistake, not a benchmark.
inline constexpr numeric_rule min_time{"min_time", "--min-time", false, 0,
                                       86400,      false,        false, "seconds"};
inline constexpr numeric_rule max_time{"max_time", "--max-time", false, 0,
                                       86400,      true,         false, "seconds"};
inline constexpr numeric_rule ci_target{
    "ci_target", "--ci-target", false, 0, 1, true, true, "a fraction (0.01 = 1 %)"};
inline constexpr numeric_rule threads{"threads", "--threads", true,  1,
                                      4096,      false,       false, "threads"};
inline constexpr numeric_rule threshold{"", "--threshold", false, 0,
                                        1,  true,          true,  "a fraction (0.05 = 5 %)"};
inline constexpr numeric_rule alpha{"",  "--alpha", false, 0,
                                    0.5, true,      true,  "a fraction (0.05 = a 95 % interval)"};
inline constexpr numeric_rule min_effect{
    "", "--min-effect", false, 0, 1, false, true, "a fraction (0.05 = 5 % from the median)"};
// Fewer than 100 resamples cannot place a 95 % interval's ends; more than 100000 adds time and
// no precision (the interval's Monte Carlo error is already below 0.2 % of its width).
inline constexpr numeric_rule resamples{"",     "--resamples", true,  100,
                                        100000, false,         false, "bootstrap resamples"};
inline constexpr numeric_rule rounds{
    "", "--rounds", true, 2, 1000, false, false, "rounds (two at least for run-to-run variation)"};
}  // namespace rules

// "between 1 and 100000", "more than 0 and at most 86400", for messages and help.
std::string describe_range(const numeric_rule& rule);

}  // namespace mlhpc
