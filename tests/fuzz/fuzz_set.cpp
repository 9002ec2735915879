// libFuzzer target: the --set parser and the sweep expansion. The input is split at newlines
// into --set texts; each parses or is refused, the settings are checked against parameters of
// every type, and the expansion is refused above the limit before anything is built.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <sstream>
#include <string>
#include <vector>

#include "bench/error.hpp"
#include "bench/params.hpp"

namespace {
const std::vector<mlhpc::param_spec>& specs() {
  static const std::vector<mlhpc::param_spec> s = {
      {"m", mlhpc::param_type::integer, "1024", "rows", {}, 1, 1 << 30, {"auto"}},
      {"x", mlhpc::param_type::number, "0.5", "a number", {}, 0},
      {"t", mlhpc::param_type::choice, "n", "choice", {"n", "t"}},
      {"b", mlhpc::param_type::boolean, "false", "flag"},
      {"name", mlhpc::param_type::text, "a", "text"},
      {"pass", mlhpc::param_type::choice, "fwd,bwd", "a default sweep", {"fwd", "bwd"}}};
  return s;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::istringstream in(std::string(reinterpret_cast<const char*>(data), size));
  std::vector<mlhpc::setting> settings;
  std::string text;
  while (std::getline(in, text)) {
    try {
      settings.push_back(mlhpc::parse_setting(text));
    } catch (const mlhpc::usage_error&) {
    }
  }
  try {
    const auto n = mlhpc::count_expansion(specs(), settings);
    const auto problems = mlhpc::expand(specs(), settings, "fuzz");
    if (problems.size() != n || n > mlhpc::max_planned_problems) std::abort();
    for (const auto& p : problems) (void)p.to_json(specs());
  } catch (const mlhpc::usage_error&) {
  }
  return 0;
}
