#pragma once
// The list of workloads. Registration is explicit: workloads/register_all.cpp calls one
// register_* function per workload family into a registry the driver owns.
#include <memory>
#include <string>
#include <vector>

#include "bench/workload.hpp"

namespace mlhpc {

class registry {
 public:
  void add(std::unique_ptr<workload> w);
  // nullptr when absent.
  const workload* find(const std::string& name) const;
  std::vector<const workload*> all() const;

 private:
  std::vector<std::unique_ptr<workload>> m_workloads;
};

// "gemm:f32" -> {"gemm", "f32"}; "gemm" -> {"gemm", ""}.
struct workload_ref {
  std::string workload;
  std::string variant;
};
workload_ref parse_workload_ref(const std::string& text);

// Resolves a reference to the workload and its variants: an empty variant means every variant.
// Throws usage_error naming the unknown workload or variant and listing the known ones.
struct resolved_ref {
  const workload* w = nullptr;
  std::vector<std::string> variants;
};
resolved_ref resolve(const registry& r, const std::string& text);

// Defined in workloads/register_all.cpp.
void register_all(registry& r);

}  // namespace mlhpc
