#include "bench/sysfs.hpp"

#include "bench/text.hpp"

#include <cstdlib>
#include <fstream>
#include <sstream>

namespace mlhpc::sysfs {

namespace {
std::filesystem::path root_from(const char* var, const char* fallback) {
  const char* v = std::getenv(var);
  return (v != nullptr && *v != '\0') ? std::filesystem::path(v) : std::filesystem::path(fallback);
}
}  // namespace

std::filesystem::path sys_root() {
  return root_from("MLHPC_SYSFS_ROOT", "/sys");
}
std::filesystem::path proc_root() {
  return root_from("MLHPC_PROCFS_ROOT", "/proc");
}

std::optional<std::string> read_text(const std::filesystem::path& p) {
  std::ifstream in(p);
  if (!in) return std::nullopt;
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) return std::nullopt;
  return utf8_text(ss.str());  // firmware strings are not always UTF-8
}

std::optional<std::string> read_line(const std::filesystem::path& p) {
  std::ifstream in(p);
  if (!in) return std::nullopt;
  std::string line;
  if (!std::getline(in, line)) return std::nullopt;
  return utf8_text(line);
}

std::optional<std::int64_t> read_int(const std::filesystem::path& p) {
  auto line = read_line(p);
  if (!line) return std::nullopt;
  try {
    std::size_t pos = 0;
    const auto v = std::stoll(*line, &pos);
    return v;
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

}  // namespace mlhpc::sysfs
