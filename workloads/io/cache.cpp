#include "workloads/io/cache.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "bench/error.hpp"

namespace mlhpc::io {

void evict(int fd) {
  if (::fdatasync(fd) != 0) MLHPC_FAIL("fdatasync: {}", std::strerror(errno));
  // posix_fadvise returns the error number itself.
  if (const int e = ::posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED); e != 0)
    MLHPC_FAIL("posix_fadvise(POSIX_FADV_DONTNEED): {}", std::strerror(e));
}

residency resident_pages(int fd, std::uint64_t stride) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) MLHPC_FAIL("fstat: {}", std::strerror(errno));
  residency r;
  if (st.st_size == 0) return r;
  const auto page = static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE));
  const auto size = static_cast<std::size_t>(st.st_size);
  void* m = ::mmap(nullptr, size, PROT_READ, MAP_SHARED, fd, 0);
  if (m == MAP_FAILED) MLHPC_FAIL("mmap for mincore: {}", std::strerror(errno));
  std::vector<unsigned char> v((size + page - 1) / page);
  const int rc = ::mincore(m, size, v.data());
  const int e = errno;
  ::munmap(m, size);
  if (rc != 0) MLHPC_FAIL("mincore: {}", std::strerror(e));
  if (stride == 0) stride = 1;
  for (std::size_t i = 0; i < v.size(); i += stride) {
    ++r.pages;
    if (v[i] & 1) ++r.resident;
  }
  return r;
}

}  // namespace mlhpc::io
