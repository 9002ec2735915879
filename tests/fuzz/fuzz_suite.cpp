// libFuzzer target: the suite-file parser. Any input either parses or is refused with a
// usage_error; a crash, a leak, another exception or a timeout is a bug.
#include <cstddef>
#include <cstdint>
#include <string>

#include "bench/error.hpp"
#include "bench/suite.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    const mlhpc::suite s = mlhpc::parse_suite(text, "fuzz.yaml");
    (void)s;
  } catch (const mlhpc::usage_error&) {
  }
  return 0;
}
