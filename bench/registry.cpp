#include "bench/registry.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "bench/error.hpp"
#include "bench/text.hpp"

namespace mlhpc {

void registry::add(std::unique_ptr<workload> w) {
  MLHPC_ASSERT(w != nullptr);
  MLHPC_ASSERT(find(w->name()) == nullptr);
  m_workloads.push_back(std::move(w));
}

const workload* registry::find(const std::string& name) const {
  for (const auto& w : m_workloads)
    if (w->name() == name) return w.get();
  return nullptr;
}

std::vector<const workload*> registry::all() const {
  std::vector<const workload*> out;
  for (const auto& w : m_workloads) out.push_back(w.get());
  return out;
}

workload_ref parse_workload_ref(const std::string& text) {
  const auto colon = text.find(':');
  if (colon == std::string::npos) return {text, ""};
  return {text.substr(0, colon), text.substr(colon + 1)};
}

resolved_ref resolve(const registry& r, const std::string& text) {
  const auto ref = parse_workload_ref(text);
  const workload* w = ref.workload.empty() ? nullptr : r.find(ref.workload);
  if (w == nullptr) {
    std::vector<std::string> names;
    for (const auto* x : r.all()) names.push_back(x->name());
    throw usage_error(fmt::format("unknown workload '{}'{} (expected one of: {}; see 'mlhpc list')",
                                  ref.workload, did_you_mean(ref.workload, names),
                                  fmt::join(names, ", ")));
  }
  resolved_ref out{w, {}};
  std::vector<std::string> known;
  for (const auto& v : w->variants()) known.push_back(v.name);
  if (text.find(':') != std::string::npos) {
    if (std::find(known.begin(), known.end(), ref.variant) == known.end())
      throw usage_error(fmt::format("unknown variant '{}' of workload {}{} (expected one of: {})",
                                    ref.variant, w->name(), did_you_mean(ref.variant, known),
                                    fmt::join(known, ", ")));
    out.variants.push_back(ref.variant);
  } else {
    out.variants = known;
  }
  return out;
}

}  // namespace mlhpc
