#pragma once
// What the oneDNN backends of every workload share: whether this CPU runs a data type natively,
// the library's identity for the context, and the ISA oneDNN dispatches to.
#include <nlohmann/json.hpp>
#include <oneapi/dnnl/dnnl.hpp>

#include <string>

#include "bench/dtype.hpp"
#include "bench/workload.hpp"

namespace mlhpc::onednn {

// bf16 without AVX512_BF16 or AMX would be emulated (a measurement of the emulation, not of the
// machine): not supported; int8 needs AVX2 at least. `primitive` names it in the reason.
support native_type(dtype t, const char* primitive);

// The ISA oneDNN dispatches to here ("avx512_core_amx", ...).
const char* effective_isa();

// The layout of a memory descriptor in oneDNN's notation (abcd = plain, aBcd16b = channels
// blocked by 16), read from its blocking descriptor.
std::string layout_of(const dnnl::memory::desc& md);

// {"onednn": {version, hash, cpu_runtime, effective_isa}} for the run's context.
nlohmann::json libraries();

}  // namespace mlhpc::onednn
