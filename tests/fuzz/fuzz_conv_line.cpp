// libFuzzer target: the convolution problem-line parser (benchdnn syntax). Any line either
// parses, prints back canonically and parses again to the same problem, or is refused with a
// usage_error; the work model of a parsed line is finite.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "bench/error.hpp"
#include "workloads/conv/conv.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string line(reinterpret_cast<const char*>(data), size);
  try {
    const auto d = mlhpc::conv::parse(line);
    const std::string canonical = mlhpc::conv::to_string(d);
    if (!(mlhpc::conv::parse(canonical) == d)) std::abort();  // the canonical form round-trips
    if (mlhpc::conv::to_string(mlhpc::conv::parse(canonical)) != canonical) std::abort();
    for (auto p : {mlhpc::conv::pass::fwd_training, mlhpc::conv::pass::bwd_data,
                   mlhpc::conv::pass::bwd_weights}) {
      const auto w = mlhpc::conv::work_of(d, p, mlhpc::dtype::f32);
      if (!w.flops || !(std::isfinite(*w.flops) && *w.flops >= 0)) std::abort();
    }
  } catch (const mlhpc::usage_error&) {
  }
  return 0;
}
