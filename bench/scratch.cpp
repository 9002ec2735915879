#include "bench/scratch.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <mutex>
#include <random>
#include <vector>

#include "bench/context_text.hpp"
#include "bench/error.hpp"
#include "bench/files.hpp"

namespace mlhpc {

namespace {

// The directories alive in this process, for remove_all_scratch.
struct registered {
  int parent = -1, fd = -1;
  std::string name;
};
std::mutex g_mutex;
std::vector<registered> g_dirs;

std::string errno_text(int e) {
  return std::strerror(e);
}

// Removes every entry of the directory `fd` (files, and directories below it recursively), by
// descriptor, never following a link.
void empty_dir(int fd) {
  const int dup = ::fcntl(fd, F_DUPFD_CLOEXEC, 0);
  if (dup < 0) return;
  DIR* d = ::fdopendir(dup);
  if (d == nullptr) {
    ::close(dup);
    return;
  }
  ::rewinddir(d);
  std::vector<std::pair<std::string, bool>> entries;
  while (const dirent* e = ::readdir(d)) {
    const std::string n = e->d_name;
    if (n == "." || n == "..") continue;
    entries.emplace_back(n, e->d_type == DT_DIR);
  }
  ::closedir(d);
  for (const auto& [n, is_dir] : entries) {
    if (is_dir) {
      const int sub = ::openat(fd, n.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (sub >= 0) {
        empty_dir(sub);
        ::close(sub);
      }
      ::unlinkat(fd, n.c_str(), AT_REMOVEDIR);
    } else {
      ::unlinkat(fd, n.c_str(), 0);
    }
  }
}

void remove_dir(int parent, int fd, const std::string& name) {
  if (fd >= 0) empty_dir(fd);
  if (parent >= 0) ::unlinkat(parent, name.c_str(), AT_REMOVEDIR);
}

}  // namespace

scratch_dir::scratch_dir(const std::string& target, const std::string& prefix) {
  // Every component without following a link: a link anywhere on the way is refused.
  m_parent = open_directory_nofollow(target, "--dir", path_walk::open_existing);
  std::random_device rd;
  for (int attempt = 0; attempt < 100 && m_fd < 0; ++attempt) {
    const std::string name =
        fmt::format("{}-{}-{:08x}", prefix, static_cast<long>(::getpid()), rd());
    // mkdirat fails on any existing name (a file, a directory, a dangling link): the directory
    // is new, and ours.
    if (::mkdirat(m_parent, name.c_str(), 0700) != 0) {
      if (errno == EEXIST) continue;
      const int e = errno;
      ::close(m_parent);
      MLHPC_FAIL("--dir {}: cannot create a scratch directory in it: {}", target, errno_text(e));
    }
    m_fd = ::openat(m_parent, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (m_fd < 0) {
      const int e = errno;
      ::unlinkat(m_parent, name.c_str(), AT_REMOVEDIR);
      ::close(m_parent);
      MLHPC_FAIL("--dir {}: cannot open the scratch directory {}: {}", target, name, errno_text(e));
    }
    m_name = name;
  }
  if (m_fd < 0) {
    ::close(m_parent);
    MLHPC_FAIL("--dir {}: no free name for a scratch directory after 100 tries", target);
  }
  m_path = (target.back() == '/' ? target : target + "/") + m_name;
  std::lock_guard lock(g_mutex);
  g_dirs.push_back({m_parent, m_fd, m_name});
  m_slot = static_cast<int>(g_dirs.size() - 1);
}

scratch_dir::~scratch_dir() {
  remove();
}

void scratch_dir::remove() {
  std::lock_guard lock(g_mutex);
  if (m_fd < 0 && m_parent < 0) return;
  remove_dir(m_parent, m_fd, m_name);
  if (m_slot >= 0 && static_cast<std::size_t>(m_slot) < g_dirs.size())
    g_dirs[static_cast<std::size_t>(m_slot)] = {};
  if (m_fd >= 0) ::close(m_fd);
  if (m_parent >= 0) ::close(m_parent);
  m_fd = m_parent = -1;
}

space_figures scratch_dir::space() const {
  struct statvfs v {};
  if (::fstatvfs(m_fd, &v) != 0) MLHPC_FAIL("statvfs {}: {}", m_path, errno_text(errno));
  return {static_cast<std::uint64_t>(v.f_blocks) * v.f_frsize,
          static_cast<std::uint64_t>(v.f_bavail) * v.f_frsize};
}

void scratch_dir::check_space(std::uint64_t bytes, double keep_free) const {
  const auto s = space();
  const double after = static_cast<double>(s.available) - static_cast<double>(bytes);
  if (after < keep_free * static_cast<double>(s.total))
    MLHPC_FAIL(
        "{}: writing {} would leave {} free of {} ({:.1f} %), under the {:.0f} % this "
        "workload keeps free: give a smaller data set or another --dir",
        m_path, format_bytes_binary(static_cast<double>(bytes)),
        format_bytes_binary(std::max(after, 0.0)),
        format_bytes_binary(static_cast<double>(s.total)),
        100 * std::max(after, 0.0) / static_cast<double>(s.total), keep_free * 100);
}

int scratch_dir::create_file(const std::string& name, int flags) const {
  if (name.empty() || name.find('/') != std::string::npos || name == "." || name == "..")
    MLHPC_FAIL("scratch file name '{}': expected a plain name", name);
  const int fd = ::openat(m_fd, name.c_str(),
                          O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC | flags, 0600);
  if (fd < 0) MLHPC_FAIL("create {}/{}: {}", m_path, name, errno_text(errno));
  return fd;
}

int scratch_dir::open_file(const std::string& name, int flags) const {
  if (name.empty() || name.find('/') != std::string::npos || name == "." || name == "..")
    MLHPC_FAIL("scratch file name '{}': expected a plain name", name);
  const int fd = ::openat(m_fd, name.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC | flags);
  if (fd < 0) MLHPC_FAIL("open {}/{}: {}", m_path, name, errno_text(errno));
  return fd;
}

void scratch_dir::remove_file(const std::string& name) const {
  if (name.empty() || name.find('/') != std::string::npos || name == "." || name == "..")
    MLHPC_FAIL("scratch file name '{}': expected a plain name", name);
  if (::unlinkat(m_fd, name.c_str(), 0) != 0)
    MLHPC_FAIL("remove {}/{}: {}", m_path, name, errno_text(errno));
}

void remove_all_scratch() noexcept {
  std::lock_guard lock(g_mutex);
  for (auto& r : g_dirs) {
    if (r.fd < 0) continue;
    remove_dir(r.parent, r.fd, r.name);
    r = {};
  }
}

}  // namespace mlhpc
