// libFuzzer target: the plan, where every size a user gives is checked, and --filter. The first
// byte picks a workload and variant of the registry, the first line (after it) is a --filter
// pattern, every further line a --set text. Each setting parses or is refused, the plan is made
// with 24 GiB of memory or refused as a usage error naming the value (never a crash, a wrap, an
// internal error or an allocation beyond the declared ranges), and the filter matches, keeps
// nothing (a usage error) or is refused.
#include <cstddef>
#include <cstdint>
#include <sstream>
#include <string>
#include <vector>

#include "bench/error.hpp"
#include "bench/params.hpp"
#include "bench/plan.hpp"
#include "bench/registry.hpp"
#include "bench/run.hpp"

namespace {
const mlhpc::registry& reg() {
  static const mlhpc::registry r = [] {
    mlhpc::registry x;
    mlhpc::register_all(x);
    return x;
  }();
  return r;
}
const std::vector<std::string>& refs() {
  static const std::vector<std::string> out = [] {
    std::vector<std::string> v;
    for (const mlhpc::workload* w : reg().all())
      for (const auto& var : w->variants()) v.push_back(w->name() + ":" + var.name);
    return v;
  }();
  return out;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string ref = refs()[data[0] % refs().size()];
  std::istringstream in(std::string(reinterpret_cast<const char*>(data) + 1, size - 1));
  std::string filter, text;
  std::getline(in, filter);
  std::vector<mlhpc::setting> settings;
  while (std::getline(in, text)) {
    try {
      settings.push_back(mlhpc::parse_setting(text));
    } catch (const mlhpc::usage_error&) {
    }
  }
  std::vector<mlhpc::planned_problem> plan;
  try {
    plan = mlhpc::make_plan(reg(), {{ref, settings, "fuzz"}}, std::uint64_t{24} << 30);
  } catch (const mlhpc::usage_error&) {
    return 0;
  }
  if (filter.empty()) return 0;
  try {
    (void)mlhpc::filter_plan(std::move(plan), filter);
  } catch (const mlhpc::usage_error&) {
  }
  return 0;
}
