#include "bench/files.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cctype>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <filesystem>
#include <random>

#include "bench/text.hpp"

namespace mlhpc {

namespace fs = std::filesystem;
using nlohmann::json;

std::string file_type_name(unsigned mode) {
  switch (mode & S_IFMT) {
    case S_IFREG:
      return "regular file";
    case S_IFDIR:
      return "directory";
    case S_IFCHR:
      return "character device";
    case S_IFBLK:
      return "block device";
    case S_IFIFO:
      return "FIFO";
    case S_IFSOCK:
      return "socket";
    case S_IFLNK:
      return "symbolic link";
    default:
      return "special file";
  }
}

std::string file_name_part(std::string_view text) {
  std::string out;
  for (const char c : text.substr(0, 64)) {
    const auto u = static_cast<unsigned char>(c);
    out += (std::isalnum(u) != 0 && u < 0x80) || c == '-' || c == '_' ? c : '_';
  }
  return out.empty() ? std::string("unknown") : out;
}

namespace {

constexpr std::string_view temp_marker = ".mlhpc-tmp.";

std::string shown(const std::string& path) {
  return utf8_text(path);
}

std::string this_host() {
  char buf[256] = {};
  if (::gethostname(buf, sizeof buf - 1) != 0) return "unknown";
  return file_name_part(buf);  // no dots: they would confuse the temporary name's parsing
}

// The refusal of an existing target that is not a regular file, or is one of the inputs.
void check_existing_target(const std::string& path, std::string_view option,
                           const std::vector<std::string>& inputs) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) return;  // a new file
  if (S_ISDIR(st.st_mode))
    throw usage_error(
        fmt::format("{} '{}': is a directory; expected a file name", option, shown(path)));
  if (S_ISLNK(st.st_mode))
    throw usage_error(
        fmt::format("{} '{}': is a symbolic link; expected a regular file or a new name (links "
                    "are never followed: give the path of the file itself)",
                    option, shown(path)));
  if (!S_ISREG(st.st_mode))
    throw usage_error(fmt::format("{} '{}': is a {}; expected a regular file or a new name", option,
                                  shown(path), file_type_name(st.st_mode)));
  for (const auto& in : inputs) {
    struct stat si {};
    if (::stat(in.c_str(), &si) == 0 && si.st_dev == st.st_dev && si.st_ino == st.st_ino)
      throw usage_error(fmt::format(
          "{} '{}': is also an input of this command ('{}'); writing it would destroy the input",
          option, shown(path), shown(in)));
  }
}

fs::path directory_of(const std::string& path) {
  const fs::path p(path);
  return p.has_parent_path() ? p.parent_path() : fs::path(".");
}

// Removes temporaries of dead processes of this host in `dir` (see files.hpp).
void remove_stale_temporaries(const fs::path& dir, const std::string& host) {
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) return;
  while (const dirent* e = ::readdir(d)) {
    const std::string_view name = e->d_name;
    const auto at = name.find(temp_marker);
    if (name.empty() || name.front() != '.' || at == std::string_view::npos) continue;
    // <host>.<pid>.<random>
    const std::string_view tail = name.substr(at + temp_marker.size());
    const auto last = tail.rfind('.');
    if (last == std::string_view::npos) continue;
    const auto mid = tail.rfind('.', last - 1);
    if (mid == std::string_view::npos || last == 0) continue;
    if (tail.substr(0, mid) != host) continue;
    const std::string pid_text(tail.substr(mid + 1, last - mid - 1));
    char* end = nullptr;
    const long pid = std::strtol(pid_text.c_str(), &end, 10);
    if (pid_text.empty() || *end != '\0' || pid <= 0 || pid == ::getpid()) continue;
    if (::kill(static_cast<pid_t>(pid), 0) == 0 || errno != ESRCH) continue;
    const fs::path victim = dir / std::string(name);
    struct stat st {};
    if (::lstat(victim.c_str(), &st) == 0 && S_ISREG(st.st_mode) && st.st_uid == ::geteuid())
      ::unlink(victim.c_str());
  }
  ::closedir(d);
}

std::atomic<std::int64_t> g_fixed_nonce{-1};

// The components of `dir` as cumulative prefixes ("a", "a/b", ...; "/a", "/a/b" when absolute).
std::vector<std::string> prefixes(const std::string& dir) {
  std::vector<std::string> out;
  std::string walked = dir.front() == '/' ? "" : ".";
  std::size_t at = 0;
  while (at < dir.size()) {
    const std::size_t next = dir.find('/', at);
    const std::string comp =
        dir.substr(at, next == std::string::npos ? std::string::npos : next - at);
    at = next == std::string::npos ? dir.size() : next + 1;
    if (comp.empty() || comp == ".") continue;
    walked += "/" + comp;
    out.push_back(walked);
  }
  return out;
}

// The first existing component of `dir` that is a symbolic link, or "".
std::string first_link(const std::string& dir) {
  for (const auto& p : prefixes(dir)) {
    struct stat st {};
    if (::lstat(p.c_str(), &st) != 0) return {};
    if (S_ISLNK(st.st_mode)) return p;
  }
  return {};
}

bool is_directory(const std::string& dir) {
  struct stat st {};
  return ::stat(dir.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

usage_error link_refused(std::string_view option, const std::string& dir, const std::string& link,
                         bool creating = true) {
  return usage_error(fmt::format(
      "{} '{}': '{}' is a symbolic link; the suite never {} through one (give the real path{})",
      option, shown(dir), shown(link),
      creating ? "creates directories" : "reaches its scratch space",
      creating ? ", or create the directory first" : ""));
}

}  // namespace

int open_directory_nofollow(const std::string& dir, std::string_view option, path_walk how) {
  if (dir.empty()) throw usage_error(fmt::format("{} '': expected a directory", option));
  const bool create = how == path_walk::create_missing;
  int fd = ::open(dir.front() == '/' ? "/" : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    throw usage_error(
        fmt::format("{} '{}': cannot open its root: {}", option, shown(dir), std::strerror(errno)));
  for (const auto& p : prefixes(dir)) {
    const std::string comp = fs::path(p).filename().string();
    int sub = ::openat(fd, comp.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (sub < 0 && errno == ENOENT && create) {
      if (::mkdirat(fd, comp.c_str(), 0777) != 0 && errno != EEXIST) {
        const int e = errno;
        ::close(fd);
        throw usage_error(fmt::format("{} '{}': cannot create the directory '{}': {}", option,
                                      shown(dir), shown(p), std::strerror(e)));
      }
      sub = ::openat(fd, comp.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    }
    const int e = errno;
    ::close(fd);
    if (sub < 0) {
      struct stat st {};
      if (::lstat(p.c_str(), &st) == 0 && S_ISLNK(st.st_mode))
        throw link_refused(option, dir, p, create);
      throw usage_error(fmt::format("{} '{}': cannot use '{}' as a directory: {}", option,
                                    shown(dir), shown(p), std::strerror(e)));
    }
    fd = sub;
  }
  return fd;
}

void make_directories(const std::string& dir, std::string_view option) {
  if (dir.empty() || is_directory(dir)) return;
  ::close(open_directory_nofollow(dir, option, path_walk::create_missing));
}

std::string temporary_path(const std::string& path, std::uint32_t nonce) {
  return (directory_of(path) / fmt::format(".{}{}{}.{}.{:08x}", fs::path(path).filename().string(),
                                           temp_marker, this_host(), ::getpid(), nonce))
      .string();
}

void fix_temporary_nonce_for_tests(std::optional<std::uint32_t> nonce) {
  g_fixed_nonce.store(nonce ? static_cast<std::int64_t>(*nonce) : -1);
}

void check_output_path(const std::string& path, std::string_view option,
                       const std::vector<std::string>& inputs) {
  if (path.empty())
    throw usage_error(
        fmt::format("{} '': expected a file name (or '-' for standard output)", option));
  if (path == "-") return;
  if (path.back() == '/')
    throw usage_error(
        fmt::format("{} '{}': expected a file name, not a directory", option, shown(path)));
  check_existing_target(path, option, inputs);
  // Directories to create: never through a link (make_directories refuses it when writing).
  if (const std::string dir = directory_of(path).string(); !is_directory(dir))
    if (const std::string link = first_link(dir); !link.empty())
      throw link_refused(option, dir, link);
  // The nearest existing ancestor must be a directory we may write in.
  fs::path dir = directory_of(path);
  while (true) {
    struct stat st {};
    if (::stat(dir.c_str(), &st) == 0) {
      if (!S_ISDIR(st.st_mode))
        throw usage_error(fmt::format("{} '{}': '{}' is a {}, not a directory", option, shown(path),
                                      shown(dir.string()), file_type_name(st.st_mode)));
      if (::access(dir.c_str(), W_OK | X_OK) != 0)
        throw usage_error(fmt::format("{} '{}': cannot write in '{}': {}", option, shown(path),
                                      shown(dir.string()), std::strerror(errno)));
      break;
    }
    if (errno != ENOENT && errno != ENOTDIR)
      throw usage_error(fmt::format("{} '{}': cannot use '{}': {}", option, shown(path),
                                    shown(dir.string()), std::strerror(errno)));
    if (!dir.has_parent_path() || dir.parent_path() == dir) break;
    dir = dir.parent_path();
  }
  struct stat st {};
  if (::lstat(path.c_str(), &st) == 0 && ::access(path.c_str(), W_OK) != 0)
    throw usage_error(fmt::format("{} '{}': the file exists and is not writable: {}", option,
                                  shown(path), std::strerror(errno)));
}

void write_file_atomically(const std::string& path, std::string_view text) {
  MLHPC_ASSERT(!path.empty() && path != "-");
  check_existing_target(path, "output", {});
  struct stat before {};
  const bool existed = ::lstat(path.c_str(), &before) == 0;
  const std::string kept = existed ? "the previous file is intact" : "nothing was written";
  const fs::path dir = directory_of(path);
  make_directories(dir.string(), "output");
  const std::string host = this_host();
  remove_stale_temporaries(dir, host);

  std::random_device rd;
  const auto fixed = g_fixed_nonce.load();
  std::string tmp;
  int fd = -1;
  for (std::uint32_t attempt = 0; attempt < 16 && fd < 0; ++attempt) {
    tmp = temporary_path(path, fixed >= 0 ? static_cast<std::uint32_t>(fixed) + attempt : rd());
    fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (fd < 0 && errno != EEXIST) break;
  }
  if (fd < 0)
    throw io_failure(fmt::format("cannot create a temporary file in '{}' for '{}': {}; {}",
                                 shown(dir.string()), shown(path), std::strerror(errno), kept));
  auto fail = [&](const char* step, int err) {
    if (fd >= 0) ::close(fd);
    ::unlink(tmp.c_str());
    throw io_failure(fmt::format("cannot write '{}' ({} failed: {}); {}", shown(path), step,
                                 std::strerror(err), kept));
  };
  // A file that is replaced keeps its permissions (a private 0600 result stays private).
  if (existed && ::fchmod(fd, before.st_mode & 0777) != 0) fail("fchmod", errno);
  const char* p = text.data();
  std::size_t left = text.size();
  while (left > 0) {
    const ssize_t n = ::write(fd, p, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      fail("write", errno);
    }
    if (n == 0) fail("write", EIO);
    p += n;
    left -= static_cast<std::size_t>(n);
  }
  if (::fsync(fd) != 0) fail("fsync", errno);
  const int closed = ::close(fd);
  fd = -1;
  if (closed != 0) fail("close", errno);
  if (::rename(tmp.c_str(), path.c_str()) != 0) fail("rename", errno);
  // The rename itself is durable once the directory is.
  const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    const int rc = ::fsync(dfd);
    const int err = errno;
    ::close(dfd);
    if (rc != 0 && err != EINVAL && err != EROFS)
      throw io_failure(fmt::format("'{}' was written but its directory could not be synced: {}",
                                   shown(path), std::strerror(err)));
  }
}

std::string json_text(const json& doc, int indent) {
  return doc.dump(indent, ' ', false, json::error_handler_t::replace);
}

void write_json_file(const std::string& path, const json& doc) {
  write_file_atomically(path, json_text(doc) + "\n");
}

std::string read_input_file(const std::string& path, std::uint64_t max_bytes,
                            std::string_view what) {
  if (path.empty()) throw usage_error(fmt::format("{} '': expected a file name", what));
  // O_NONBLOCK: opening a FIFO without a writer must not wait; the type is checked first.
  const int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
  if (fd < 0)
    throw usage_error(
        fmt::format("{} '{}': cannot read the file: {}", what, shown(path), std::strerror(errno)));
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    const unsigned mode = st.st_mode;
    ::close(fd);
    throw usage_error(fmt::format("{} '{}': is a {}; expected a regular file", what, shown(path),
                                  file_type_name(mode)));
  }
  auto too_big = [&] {
    ::close(fd);
    return usage_error(fmt::format(
        "{} '{}': larger than the limit of {} bytes ({:.0f} MiB); expected a smaller file", what,
        shown(path), max_bytes, static_cast<double>(max_bytes) / (1 << 20)));
  };
  if (static_cast<std::uint64_t>(st.st_size) > max_bytes) throw too_big();
  std::string out(static_cast<std::size_t>(st.st_size), '\0');
  std::size_t got = 0;
  while (true) {
    if (got == out.size()) {
      if (out.size() > max_bytes) throw too_big();
      out.resize(std::min<std::uint64_t>(max_bytes + 1, out.size() + 65536));
    }
    const ssize_t n = ::read(fd, out.data() + got, out.size() - got);
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      const int err = errno;
      ::close(fd);
      throw io_failure(
          fmt::format("{} '{}': read failed: {}", what, shown(path), std::strerror(err)));
    }
    if (n == 0) break;
    got += static_cast<std::size_t>(n);
  }
  ::close(fd);
  if (got > max_bytes) throw too_big();
  out.resize(got);
  return out;
}

json parse_json_bounded(std::string_view text, const std::string& origin, int max_depth) {
  const json::parser_callback_t limit = [&](int depth, json::parse_event_t, json&) {
    if (depth >= max_depth)  // depth counts from 0 at the top level
      throw usage_error(
          fmt::format("{}nested deeper than the limit of {} levels; expected an mlhpc result file "
                      "(6 levels)",
                      origin.empty() ? "" : shown(origin) + ": ", max_depth));
    return true;
  };
  try {
    return json::parse(text.begin(), text.end(), limit);
  } catch (const json::exception& e) {
    // parse errors, numbers beyond the double range (out_of_range 406), invalid UTF-8
    std::string what = e.what();  // "[json.exception.parse_error.101] parse error at ..."
    if (const auto close = what.find("] ");
        what.rfind("[json.exception.", 0) == 0 && close != std::string::npos)
      what.erase(0, close + 2);
    throw usage_error(fmt::format("{}not valid JSON: {}",
                                  origin.empty() ? "" : shown(origin) + ": ", utf8_text(what)));
  }
}

json read_json_file(const std::string& path, std::string_view what, const input_limits& limits) {
  const std::string text = read_input_file(path, limits.max_bytes, what);
  return parse_json_bounded(text, fmt::format("{} '{}'", what, path), limits.max_depth);
}

}  // namespace mlhpc
