#include "bench/data_dir.hpp"

#include <unistd.h>

#include <cstdlib>

namespace mlhpc {

std::filesystem::path data_dir() {
  if (const char* env = std::getenv("MLHPC_DATA_DIR"); env != nullptr && *env != '\0') return env;
  std::error_code ec;
  const auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    const auto candidate = exe.parent_path().parent_path() / "share" / "mlhpc";
    if (std::filesystem::exists(candidate, ec)) return candidate;
  }
  return MLHPC_INSTALL_DATA_DIR;
}

}  // namespace mlhpc
