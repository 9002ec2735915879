#pragma once
// Scratch space for workloads that write files (io): a fresh, uniquely named directory created
// inside a target directory, reached without following any symbolic link (every component of
// the target's path is opened with O_NOFOLLOW), files created in it only with O_CREAT | O_EXCL |
// O_NOFOLLOW relative to its descriptor, and everything removed at the end: by the destructor,
// and, when a signal makes the run give up on a problem that does not stop in time, by the
// watchdog before the process ends (remove_all_scratch). Nothing outside the directory is ever
// opened for writing or removed.
#include <sys/types.h>

#include <cstdint>
#include <string>

namespace mlhpc {

struct space_figures {
  std::uint64_t total = 0, available = 0;  // bytes of the file system (statvfs, unprivileged)
};

class scratch_dir {
 public:
  // Creates "<prefix>-<pid>-<random>" in `target` (which must exist and be a directory reached
  // through no symlink). Throws runtime_failure naming the path and the reason.
  scratch_dir(const std::string& target, const std::string& prefix);
  ~scratch_dir();
  scratch_dir(const scratch_dir&) = delete;
  scratch_dir& operator=(const scratch_dir&) = delete;

  const std::string& path() const { return m_path; }
  int fd() const { return m_fd; }
  space_figures space() const;
  // Refuses (throws runtime_failure with the figures) when writing `bytes` more would leave the
  // file system under `keep_free` (a share of its size) free.
  void check_space(std::uint64_t bytes, double keep_free = 0.10) const;
  // Creates a new file in the directory (never an existing one, never through a symlink);
  // `flags` may add O_DIRECT. Returns the descriptor (the caller closes it).
  int create_file(const std::string& name, int flags = 0) const;
  // Opens a file this directory holds, for reading (O_NOFOLLOW; `flags` may add O_DIRECT).
  int open_file(const std::string& name, int flags = 0) const;
  // Removes one file of this directory (never through a symlink: unlinkat removes a link itself).
  void remove_file(const std::string& name) const;
  // Removes everything in the directory and the directory itself (idempotent).
  void remove();

 private:
  std::string m_path, m_name;
  int m_parent = -1, m_fd = -1;
  int m_slot = -1;  // in the process-wide list the watchdog empties
};

// Removes every scratch directory still registered: called by the watchdog when a signal ended
// the run and the problem did not return in time (from its thread, not from a signal handler).
void remove_all_scratch() noexcept;

}  // namespace mlhpc
