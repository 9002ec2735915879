// The plan is where every size a user gives is checked (bench/plan.cpp): each integer and number
// parameter of every registered workload declares its range, and any value in that range either
// plans or is refused as a usage error naming it, never a crash, a wrap or an internal error.
#include "bench/plan.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <set>
#include <string>

#include "bench/error.hpp"
#include "bench/registry.hpp"

namespace mlhpc {
namespace {

registry all_workloads() {
  registry reg;
  register_all(reg);
  return reg;
}

TEST(Plan, EveryNumericParameterOfEveryWorkloadDeclaresItsLargestValue) {
  const auto reg = all_workloads();
  for (const workload* w : reg.all())
    for (const auto& v : w->variants())
      for (const auto& spec : w->parameters(v.name)) {
        if (spec.type != param_type::integer && spec.type != param_type::number) continue;
        EXPECT_NE(spec.max_value, INT64_MAX)
            << w->name() << ":" << v.name << " " << spec.name
            << " declares no largest value: a huge one would reach the workload's arithmetic";
      }
}

// The values where 32- and 64-bit arithmetic wraps, within the declared range.
std::set<std::int64_t> extremes(const param_spec& spec) {
  std::set<std::int64_t> out = {spec.min_value, spec.max_value};
  for (const std::int64_t v :
       {std::int64_t{1} << 16, (std::int64_t{1} << 31) - 1, std::int64_t{1} << 31,
        std::int64_t{1} << 32, (std::int64_t{1} << 32) + 1, std::int64_t{1} << 44,
        std::int64_t{1} << 53, std::int64_t{1} << 62, INT64_MAX})
    if (v >= spec.min_value && v <= spec.max_value) out.insert(v);
  return out;
}

TEST(Plan, EveryIntegerParameterAtItsExtremesPlansOrIsRefusedAsAUsageError) {
  const auto reg = all_workloads();
  const std::uint64_t memory = std::uint64_t{24} << 30;
  int tried = 0, refused = 0;
  for (const workload* w : reg.all())
    for (const auto& v : w->variants())
      for (const auto& spec : w->parameters(v.name)) {
        if (spec.type != param_type::integer) continue;
        for (const std::int64_t value : extremes(spec)) {
          const std::string ref = w->name() + ":" + v.name;
          const plan_entry e{ref, {setting{spec.name, {std::to_string(value)}}}, "test"};
          ++tried;
          try {
            const auto plan = make_plan(reg, {e}, memory);
            EXPECT_FALSE(plan.empty()) << ref << " " << spec.name << "=" << value;
          } catch (const usage_error& err) {
            ++refused;
            EXPECT_FALSE(std::string(err.what()).empty());
          } catch (const std::exception& err) {
            ADD_FAILURE() << ref << " " << spec.name << "=" << value
                          << ": not a usage error: " << err.what();
          }
        }
      }
  EXPECT_GT(tried, 100);
  EXPECT_GT(refused, 0);
}

// Ranks started with different command lines: a different number of problems hung in a barrier,
// different problems ran and exited 0. The message names the first rank and line that differ.
TEST(Plan, RanksThatPlanDifferentlyAreNamedWithTheFirstDifference) {
  const auto reg = all_workloads();
  const auto a = make_plan(reg, {{"peak:f32", {setting{"chunks", {"4", "8"}}}, "cli"}}, 0);
  const auto b = make_plan(reg, {{"peak:f32", {setting{"chunks", {"4", "16"}}}, "cli"}}, 0);
  const auto c = make_plan(reg, {{"peak:f32", {setting{"chunks", {"4"}}}, "cli"}}, 0);
  const std::string fa = plan_fingerprint(a, "{}");
  EXPECT_EQ(plan_disagreement({fa, fa, fa}), "");
  EXPECT_EQ(plan_disagreement({fa, fa, plan_fingerprint(b, "{}")}),
            "the ranks disagree on what to run: rank 2 differs from rank 0 (both plan 2 "
            "problems); at line 2 of the plan rank 0 has 'problem peak:f32 isa=auto chunks=8' and "
            "rank 2 has 'problem peak:f32 isa=auto chunks=16'; expected the same workloads, "
            "settings and suite on every rank (an MPMD launch or a wrapper changed one rank's "
            "command line)");
  EXPECT_NE(plan_disagreement({fa, plan_fingerprint(c, "{}")})
                .find("rank 1 differs from rank 0 (rank 0 plans 2 problems, rank 1 plans 1)"),
            std::string::npos);
  // The same problems with other settings (one rank given --threads 1).
  EXPECT_NE(plan_disagreement({fa, plan_fingerprint(a, R"({"threads":"1"})")})
                .find("rank 0 has 'settings {}' and rank 1 has 'settings {\"threads\":\"1\"}'"),
            std::string::npos);
}

}  // namespace
}  // namespace mlhpc
