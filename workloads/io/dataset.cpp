#include "workloads/io/dataset.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <fstream>
#include <random>
#include <sstream>

#include "bench/error.hpp"
#include "workloads/io/blocks.hpp"

namespace mlhpc::io {

namespace {
constexpr std::size_t write_chunk = 1 << 20;
constexpr std::uint64_t round_up(std::uint64_t x, std::uint64_t to) {
  return (x + to - 1) / to * to;
}
std::string file_name(std::uint32_t global) {
  return fmt::format("data.{}", global);
}
}  // namespace

dataset_plan plan_dataset(std::uint32_t files, std::uint64_t samples_per_file,
                          std::uint64_t sample_bytes, std::uint64_t sample_stdev,
                          std::uint64_t seed) {
  dataset_plan p;
  p.sample_bytes = sample_bytes;
  p.sample_stdev = sample_stdev;
  p.file_bytes.resize(files);
  p.samples.reserve(files * samples_per_file);
  std::mt19937_64 rng(seed ^ 0x73616d706c6573ULL);
  std::normal_distribution<double> law(static_cast<double>(sample_bytes),
                                       static_cast<double>(sample_stdev));
  const double lo = static_cast<double>(block_bytes), hi = 3.0 * sample_bytes;
  for (std::uint32_t f = 0; f < files; ++f) {
    std::uint64_t off = 0;
    for (std::uint64_t i = 0; i < samples_per_file; ++i) {
      std::uint64_t b = sample_bytes;
      if (sample_stdev > 0) b = static_cast<std::uint64_t>(std::clamp(law(rng), lo, hi));
      p.samples.push_back({f, off, b});
      off += b;
    }
    p.file_bytes[f] = round_up(std::max<std::uint64_t>(off, 1), block_bytes);
  }
  return p;
}

std::uint64_t bytes_read_for(const sample_loc& s, bool direct) {
  if (!direct) return s.bytes;
  const std::uint64_t a = s.offset / block_bytes * block_bytes;
  return round_up(s.offset + s.bytes, block_bytes) - a;
}

local_files::local_files(const dataset_plan& plan, int rank, int ranks, scratch_dir& dir,
                         std::uint64_t seed)
    : m_plan(plan), m_dir(dir), m_seed(seed) {
  const auto files = static_cast<std::uint32_t>(plan.file_bytes.size());
  m_local.assign(files, ~0u);
  for (std::uint32_t f = static_cast<std::uint32_t>(rank); f < files;
       f += static_cast<std::uint32_t>(ranks)) {
    m_local[f] = static_cast<std::uint32_t>(m_files.size());
    m_files.push_back(f);
    m_bytes += plan.file_bytes[f];
  }
  for (std::uint32_t s = 0; s < plan.samples.size(); ++s)
    if (m_local[plan.samples[s].file] != ~0u) m_own.push_back(s);
}

void local_files::write(const std::function<bool()>& stop) {
  m_dir.check_space(m_bytes);
  latency_histogram ignored;
  for (const std::uint32_t f : m_files) {
    const int fd = m_dir.create_file(file_name(f));
    try {
      auto w = make_sync_engine({fd}, write_chunk);
      std::vector<io_op> ops;
      append_chunks(ops, 0, 0, m_plan.file_bytes[f], write_chunk);
      // In pieces, so that an interrupt stops a large set-up within the watchdog's grace.
      for (std::size_t i = 0; i < ops.size(); i += 64) {
        if (stop && stop()) MLHPC_FAIL("interrupted while writing the data set");
        w->write(std::span<const io_op>(ops).subspan(i, std::min<std::size_t>(64, ops.size() - i)),
                 ignored, [&](const io_op& op, std::span<unsigned char> b) {
                   fill_blocks(b, m_seed, f, op.offset / block_bytes);
                 });
      }
      io::evict(fd);  // written back (fdatasync), then dropped from the page cache
    } catch (...) {
      ::close(fd);
      throw;
    }
    ::close(fd);
  }
}

void local_files::open(bool direct) {
  close();
  for (const std::uint32_t f : m_files) {
    const int fd = m_dir.open_file(file_name(f), direct ? O_DIRECT : 0);
    m_fds.push_back(fd);
  }
}

void local_files::close() {
  for (const int fd : m_fds) ::close(fd);
  m_fds.clear();
}

void local_files::ops_for(std::uint32_t s, bool direct, std::uint32_t transfer,
                          std::vector<io_op>& out) const {
  const sample_loc& loc = m_plan.samples[s];
  std::uint64_t begin = loc.offset, end = loc.offset + loc.bytes;
  if (direct) {
    begin = begin / block_bytes * block_bytes;
    end = round_up(end, block_bytes);
  }
  const std::uint32_t file = m_local[loc.file];
  append_chunks(out, file, begin, end, transfer);
}

residency local_files::resident() const {
  residency total;
  for (std::size_t i = 0; i < m_files.size(); ++i) {
    const int fd = m_dir.open_file(file_name(m_files[i]));
    const std::uint64_t pages = m_plan.file_bytes[m_files[i]] / block_bytes;
    try {
      const residency r = resident_pages(fd, std::max<std::uint64_t>(1, pages / 4096));
      total.pages += r.pages;
      total.resident += r.resident;
    } catch (...) {
      ::close(fd);
      throw;
    }
    ::close(fd);
  }
  return total;
}

void local_files::evict() const {
  for (const std::uint32_t f : m_files) {
    const int fd = m_dir.open_file(file_name(f));
    try {
      io::evict(fd);
    } catch (...) {
      ::close(fd);
      throw;
    }
    ::close(fd);
  }
}

verification local_files::verify() const {
  verification v;
  v.metric = "bad_blocks";
  v.tolerance = 0;
  std::uint64_t bad = 0, blocks = 0;
  std::string first;
  latency_histogram ignored;
  for (const std::uint32_t f : m_files) {
    int fd = -1;
    try {
      fd = m_dir.open_file(file_name(f), O_DIRECT);
    } catch (const std::exception&) {
      fd = m_dir.open_file(file_name(f));  // a file system without direct I/O (tmpfs)
    }
    try {
      auto e = make_sync_engine({fd}, write_chunk);
      std::vector<io_op> ops;
      append_chunks(ops, 0, 0, m_plan.file_bytes[f], write_chunk);
      e->read(ops, ignored, [&](const io_op& op, std::span<const unsigned char> d) {
        for (std::size_t b = 0; b < d.size() / block_bytes; ++b) {
          ++blocks;
          const auto msg = check_blocks(d.subspan(b * block_bytes, block_bytes), m_seed, f,
                                        op.offset / block_bytes + b);
          if (!msg.empty() && bad++ == 0) first = fmt::format("{}: {}", file_name(f), msg);
        }
      });
    } catch (...) {
      ::close(fd);
      throw;
    }
    ::close(fd);
  }
  v.error = static_cast<double>(bad);
  v.status = bad == 0 ? verification::state::passed : verification::state::failed;
  v.detail = bad == 0 ? fmt::format(
                            "every one of the {} blocks of {} file(s) read back with its "
                            "checksum, file, offset and seed right (CRC-32C)",
                            blocks, m_files.size())
                      : fmt::format("{} bad blocks of {}; the first: {}", bad, blocks, first);
  return v;
}

std::uint64_t cache_capacity_bytes() {
  std::ifstream in("/proc/meminfo");
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream ls(line);
    std::string key;
    std::uint64_t kib = 0;
    if (ls >> key >> kib && key == "MemAvailable:") return kib * 1024;
  }
  return 0;
}

}  // namespace mlhpc::io
