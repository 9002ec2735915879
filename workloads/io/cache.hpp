#pragma once
// The page cache, honestly: evicting a file's pages (data written back first, then
// POSIX_FADV_DONTNEED) and measuring how much of a file is resident (mincore over a read-only
// mapping that is never touched, so the measurement faults nothing in). A read pattern that does
// not bypass the cache evicts its files and checks the eviction before it is timed.
#include <cstdint>

namespace mlhpc::io {

// Writes back the file's dirty pages and asks the kernel to drop its cached pages. Throws
// runtime_failure naming the call when the kernel refuses.
void evict(int fd);

struct residency {
  std::uint64_t pages = 0, resident = 0;  // of the pages sampled
  double share() const { return pages ? static_cast<double>(resident) / pages : 0; }
};
// The file's resident pages (every page, or every `stride`-th one for large files).
residency resident_pages(int fd, std::uint64_t stride = 1);

}  // namespace mlhpc::io
