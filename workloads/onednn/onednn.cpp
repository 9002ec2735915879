#include "workloads/onednn/onednn.hpp"

#include <fmt/format.h>
#include <oneapi/dnnl/dnnl.hpp>

#include <algorithm>
#include <vector>

namespace mlhpc::onednn {

namespace {

const char* isa_name(dnnl::cpu_isa isa) {
  switch (isa) {
    case dnnl::cpu_isa::sse41:
      return "sse41";
    case dnnl::cpu_isa::avx:
      return "avx";
    case dnnl::cpu_isa::avx2:
      return "avx2";
    case dnnl::cpu_isa::avx2_vnni:
      return "avx2_vnni";
    case dnnl::cpu_isa::avx512_core:
      return "avx512_core";
    case dnnl::cpu_isa::avx512_core_vnni:
      return "avx512_core_vnni";
    case dnnl::cpu_isa::avx512_core_bf16:
      return "avx512_core_bf16";
    case dnnl::cpu_isa::avx512_core_amx:
      return "avx512_core_amx";
    default:
      return "other";
  }
}

}  // namespace

support native_type(dtype t, const char* primitive) {
#if defined(__x86_64__)
  if (t == dtype::bf16 && !__builtin_cpu_supports("avx512bf16") &&
      dnnl::get_effective_cpu_isa() != dnnl::cpu_isa::avx512_core_amx)
    return support::no(
        "this CPU has no native bf16 arithmetic (AVX512_BF16 or AMX); oneDNN would emulate it, "
        "which says nothing about the machine");
  if (t == dtype::int8 && !__builtin_cpu_supports("avx2"))
    return support::no(fmt::format("oneDNN int8 {} needs at least AVX2", primitive));
#else
  (void)t;
  (void)primitive;
#endif
  return support::yes();
}

std::string layout_of(const dnnl::memory::desc& md) {
  const dnnl_memory_desc_t& c = md.data;
  if (c.format_kind != dnnl_blocked) return "non-blocked";
  const auto& b = c.format_desc.blocking;
  const int nd = c.ndims;
  std::vector<int> order(static_cast<std::size_t>(nd));
  for (int i = 0; i < nd; ++i) order[static_cast<std::size_t>(i)] = i;
  std::stable_sort(order.begin(), order.end(),
                   [&](int x, int y) { return b.strides[x] > b.strides[y]; });
  std::vector<bool> blocked(static_cast<std::size_t>(nd), false);
  for (int i = 0; i < b.inner_nblks; ++i) blocked[static_cast<std::size_t>(b.inner_idxs[i])] = true;
  std::string s;
  for (int i : order)
    s += static_cast<char>((blocked[static_cast<std::size_t>(i)] ? 'A' : 'a') + i);
  for (int i = 0; i < b.inner_nblks; ++i)
    s += fmt::format("{}{}", b.inner_blks[i], static_cast<char>('a' + b.inner_idxs[i]));
  return s;
}

const char* effective_isa() {
  return isa_name(dnnl::get_effective_cpu_isa());
}

nlohmann::json libraries() {
  const dnnl_version_t* v = dnnl_version();
  return {{"onednn",
           {{"version", fmt::format("{}.{}.{}", v->major, v->minor, v->patch)},
            {"hash", v->hash},
            {"cpu_runtime", v->cpu_runtime == DNNL_RUNTIME_OMP   ? "OpenMP"
                            : v->cpu_runtime == DNNL_RUNTIME_TBB ? "TBB"
                                                                 : "other"},
            {"effective_isa", effective_isa()}}}};
}

}  // namespace mlhpc::onednn
