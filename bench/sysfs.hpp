#pragma once
// Reads of /sys and /proc go through roots that tests redirect to fixture trees:
// MLHPC_SYSFS_ROOT (default /sys) and MLHPC_PROCFS_ROOT (default /proc).
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

namespace mlhpc::sysfs {

std::filesystem::path sys_root();
std::filesystem::path proc_root();

// The whole file, or nullopt when it cannot be read (absent, permission).
std::optional<std::string> read_text(const std::filesystem::path& p);
// The first line without its newline.
std::optional<std::string> read_line(const std::filesystem::path& p);
std::optional<std::int64_t> read_int(const std::filesystem::path& p);

// Convenience: paths relative to the roots, e.g. sys("devices/system/cpu/cpu0/cpufreq").
inline std::filesystem::path sys(const std::string& rel) {
  return sys_root() / rel;
}
inline std::filesystem::path proc(const std::string& rel) {
  return proc_root() / rel;
}

}  // namespace mlhpc::sysfs
