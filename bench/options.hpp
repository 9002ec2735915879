#pragma once
// The one check of every numeric value a user gives, on the command line or in a suite file:
// decimal text only, no NaN or infinity, no trailing characters, inside the declared range. A
// failure is a usage_error naming the option (or suite key), the value and what was expected.
#include <cstdint>
#include <string>
#include <string_view>

namespace mlhpc {

struct numeric_rule {
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

// The runner's hard cap on timed samples per problem (runner_settings::max_repetitions), and so
// the largest --repetitions.
inline constexpr int max_samples_per_problem = 100000;

// The rules of the run settings (shared by 'mlhpc run' options and suite files) and of the
// options of compare and ab. Every maximum is enforced.
namespace rules {
inline constexpr numeric_rule repetitions{.option = "--repetitions",
                                          .integer = true,
                                          .min = 1,
                                          .max = max_samples_per_problem,
                                          .expected = "timed samples"};
inline constexpr numeric_rule warmup{
    .option = "--warmup", .integer = true, .max = 100000, .expected = "untimed repetitions"};
// A day: a longer timed minimum per problem is a mistake, not a benchmark.
inline constexpr numeric_rule min_time{.option = "--min-time", .max = 86400, .expected = "seconds"};
inline constexpr numeric_rule max_time{
    .option = "--max-time", .max = 86400, .min_open = true, .expected = "seconds"};
inline constexpr numeric_rule ci_target{.option = "--ci-target",
                                        .max = 1,
                                        .min_open = true,
                                        .max_open = true,
                                        .expected = "a fraction (0.01 = 1 %)"};
inline constexpr numeric_rule threads{
    .option = "--threads", .integer = true, .min = 1, .max = 4096, .expected = "threads"};
// A week: a problem that may run longer than that is hung, not slow.
inline constexpr numeric_rule timeout{
    .option = "--timeout", .max = 604800, .expected = "seconds per problem (0: no limit)"};
inline constexpr numeric_rule memory_channels{.option = "--memory-channels",
                                              .integer = true,
                                              .min = 1,
                                              .max = 256,
                                              .expected = "populated memory channels"};
inline constexpr numeric_rule memory_mts{
    .option = "--memory-mts", .min = 100, .max = 100000, .expected = "MT/s (DDR5-4800: 4800)"};
inline constexpr numeric_rule threshold{.option = "--threshold",
                                        .max = 1,
                                        .min_open = true,
                                        .max_open = true,
                                        .expected = "a fraction (0.05 = 5 %)"};
inline constexpr numeric_rule alpha{.option = "--alpha",
                                    .max = 0.5,
                                    .min_open = true,
                                    .max_open = true,
                                    .expected = "a fraction (0.05 = a 95 % interval)"};
inline constexpr numeric_rule min_effect{.option = "--min-effect",
                                         .max = 1,
                                         .max_open = true,
                                         .expected = "a fraction (0.05 = 5 % from the median)"};
// Fewer than 100 resamples cannot place a 95 % interval's ends; more than 100000 adds time and
// no precision (the interval's Monte Carlo error is already below 0.2 % of its width).
inline constexpr numeric_rule resamples{.option = "--resamples",
                                        .integer = true,
                                        .min = 100,
                                        .max = 100000,
                                        .expected = "bootstrap resamples"};
inline constexpr numeric_rule rounds{.option = "--rounds",
                                     .integer = true,
                                     .min = 2,
                                     .max = 1000,
                                     .expected = "rounds (two at least for run-to-run variation)"};
}  // namespace rules

// "between 1 and 100000", "more than 0 and at most 86400", for messages and help.
std::string describe_range(const numeric_rule& rule);

}  // namespace mlhpc
