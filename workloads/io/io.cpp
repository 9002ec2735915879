#include "workloads/io/io.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <random>

#include "bench/error.hpp"
#include "bench/scratch.hpp"
#include "bench/watchdog.hpp"
#include "workloads/io/blocks.hpp"
#include "workloads/io/engine.hpp"
#include "workloads/io/histogram.hpp"

namespace mlhpc::io {

namespace {

constexpr std::uint64_t mib = std::uint64_t{1} << 20;
constexpr std::size_t write_chunk = 1 << 20;  // the set-up writes in 1 MiB calls
// Random reads: sets of offsets drawn at set-up, one per repetition in turn, so that nothing
// but the reads runs in the timed region and consecutive repetitions read other blocks.
constexpr std::size_t random_sets = 8;

// The whole file in calls of `chunk` bytes (the last one shorter).
std::vector<io_op> whole_file(std::uint64_t bytes, std::size_t chunk) {
  std::vector<io_op> ops;
  for (std::uint64_t off = 0; off < bytes; off += chunk)
    ops.push_back(
        {0, off, static_cast<std::uint32_t>(std::min<std::uint64_t>(chunk, bytes - off))});
  return ops;
}

struct io_options {
  bool sequential = true;
  std::uint64_t file_bytes = 0;
  std::uint32_t block = 0;
  int depth = 1;
  std::string engine;
  uring_options uring;
  std::uint64_t ops = 0;  // random: reads per repetition
};

io_options options_of(const std::string& variant, const problem_params& p) {
  io_options o;
  o.sequential = variant == "seq_read";
  o.file_bytes = static_cast<std::uint64_t>(p.get_int("file_mib")) * mib;
  o.block = static_cast<std::uint32_t>(p.get_int("block_kib")) * 1024;
  o.depth = static_cast<int>(p.get_int("depth"));
  o.engine = p.get("engine");
  o.uring.register_files = p.get_bool("register_files");
  o.uring.fixed_buffers = p.get_bool("fixed_buffers");
  o.ops = o.sequential ? o.file_bytes / o.block : static_cast<std::uint64_t>(p.get_int("ops"));
  return o;
}

class read_problem final : public problem {
 public:
  read_problem(io_options o, const problem_env& env)
      : m_opt(std::move(o)), m_seed(env.seed), m_root(env.scratch_root) {}
  ~read_problem() override { teardown(); }

  void setup() override {
    // The default root (results/scratch) may not exist yet: one level is made, nothing above.
    if (::mkdir(m_root.c_str(), 0700) != 0 && errno != EEXIST)
      MLHPC_FAIL("--dir {}: cannot create it: {}", m_root, std::strerror(errno));
    m_dir = std::make_unique<scratch_dir>(m_root, "mlhpc-io");
    m_dir->check_space(m_opt.file_bytes);
    // The data: checksummed blocks written through the page cache, then flushed to the device.
    {
      const int fd = m_dir->create_file("data.0");
      auto w = make_sync_engine({fd}, write_chunk);
      latency_histogram ignored;
      const auto ops = whole_file(m_opt.file_bytes, write_chunk);
      // In pieces, so that an interrupt stops a large set-up within the watchdog's grace.
      for (std::size_t i = 0; i < ops.size(); i += 64) {
        if (interrupted()) {
          ::close(fd);
          MLHPC_FAIL("interrupted while writing the data set");
        }
        const std::span<const io_op> part(ops.data() + i,
                                          std::min<std::size_t>(64, ops.size() - i));
        w->write(part, ignored, [this](const io_op& op, std::span<unsigned char> b) {
          fill_blocks(b, m_seed, op.file, op.offset / block_bytes);
        });
      }
      if (::fdatasync(fd) != 0) MLHPC_FAIL("fdatasync: {}", std::strerror(errno));
      ::close(fd);
    }
    m_fd = ::openat(m_dir->fd(), "data.0", O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_DIRECT);
    if (m_fd < 0)
      MLHPC_FAIL(
          "O_DIRECT open in {}: {} (a file system without direct I/O, as tmpfs; give "
          "another --dir)",
          m_dir->path(), std::strerror(errno));
    if (m_opt.engine == "sync")
      m_engine = make_sync_engine({m_fd}, m_opt.block);
    else
      m_engine = make_uring_engine({m_fd}, m_opt.block, m_opt.depth, m_opt.uring);
    plan_ops();
  }

  work_model work() const override {
    work_model w;
    w.bytes = static_cast<double>(m_opt.ops) * m_opt.block;
    w.items = static_cast<double>(m_opt.ops);
    w.item_unit = "I/Os";
    return w;
  }

  void run() override {
    const std::size_t sets = m_ops.size() / m_opt.ops;
    const std::size_t set = static_cast<std::size_t>(m_runs++ % sets);
    m_engine->read(std::span<const io_op>(m_ops).subspan(set * m_opt.ops, m_opt.ops), m_latency);
  }

  // Reads the whole file back (untimed, direct) and checks every block's checksum.
  verification verify() override {
    verification v;
    v.metric = "bad_blocks";
    v.tolerance = 0;
    auto e = make_sync_engine({m_fd}, write_chunk);
    const auto all = whole_file(m_opt.file_bytes, write_chunk);
    std::string first;
    std::uint64_t bad = 0;
    latency_histogram ignored;
    e->read(all, ignored, [&](const io_op& op, std::span<const unsigned char> d) {
      for (std::size_t b = 0; b < d.size() / block_bytes; ++b) {
        const auto msg = check_blocks(d.subspan(b * block_bytes, block_bytes), m_seed, 0,
                                      op.offset / block_bytes + b);
        if (!msg.empty()) {
          ++bad;
          if (first.empty()) first = msg;
        }
      }
    });
    v.error = static_cast<double>(bad);
    v.status = bad == 0 ? verification::state::passed : verification::state::failed;
    v.detail = bad == 0 ? fmt::format(
                              "every one of the {} blocks read back with its checksum, "
                              "file, offset and seed right (CRC-32C)",
                              m_opt.file_bytes / block_bytes)
                        : fmt::format("{} bad blocks; the first: {}", bad, first);
    return v;
  }

  void teardown() override {
    m_engine.reset();
    if (m_fd >= 0) ::close(m_fd);
    m_fd = -1;
    m_dir.reset();  // removes the file and the directory
  }

  nlohmann::json details() const override {
    nlohmann::json d = {
        {"engine", m_engine ? m_engine->describe() : m_opt.engine},
        {"pattern", m_opt.sequential
                        ? "sequential: the whole file in order, one block per read"
                        : fmt::format("random: block-aligned offsets, uniform over the file, "
                                      "{} seeded sets drawn at set-up, one per repetition in "
                                      "turn",
                                      random_sets)},
        {"file_bytes", m_opt.file_bytes},
        {"block_bytes", m_opt.block},
        {"depth", m_opt.depth},
        {"cache", "O_DIRECT: every read bypasses the page cache"},
        {"data",
         "4 KiB blocks with a CRC-32C each (file, offset, seed in a header), "
         "pseudo-random payload; verification reads every block back"}};
    if (m_dir) d["scratch_dir"] = m_dir->path();
    if (m_latency.count() > 0) {
      nlohmann::json pct = nlohmann::json::array();  // in fio's order
      for (const double p : fio_percentiles())
        pct.push_back({{"percentile", p}, {"ns", m_latency.percentile_ns(p)}});
      d["completion_latency_ns"] = {
          {"count", m_latency.count()},
          {"mean", m_latency.mean_ns()},
          {"min", m_latency.min_ns()},
          {"max", m_latency.max_ns()},
          {"percentiles", pct},
          {"how",
           "submission to completion of each read, over every timed repetition and the warm-up, "
           "in a log-linear histogram (64 buckets per power of two, as fio): a percentile is "
           "the middle of its bucket, within 1/128 of the value"}};
    }
    return d;
  }

 private:
  // Sequential: the file in order, once. Random: `random_sets` sets of uniform block-aligned
  // offsets from the seed.
  void plan_ops() {
    const std::uint64_t blocks = m_opt.file_bytes / m_opt.block;
    const std::size_t sets = m_opt.sequential ? 1 : random_sets;
    std::mt19937_64 rng(m_seed ^ 0x696f2d72616e64ULL);
    m_ops.resize(sets * m_opt.ops);
    for (std::size_t i = 0; i < m_ops.size(); ++i) {
      const std::uint64_t b = m_opt.sequential ? i : rng() % blocks;
      m_ops[i] = {0, b * m_opt.block, m_opt.block};
    }
  }

  io_options m_opt;
  std::uint64_t m_seed;
  std::string m_root;
  std::unique_ptr<scratch_dir> m_dir;
  int m_fd = -1;
  std::unique_ptr<engine> m_engine;
  std::vector<io_op> m_ops;
  latency_histogram m_latency;
  std::uint64_t m_runs = 0;  // repetitions so far: which set of random offsets is next
};

class io_workload final : public workload {
 public:
  std::string name() const override { return "io"; }
  std::string description() const override {
    return "reads from files written in a fresh scratch directory under --dir, with O_DIRECT: "
           "bandwidth, IOPS and completion-latency percentiles; every block checksummed";
  }
  std::vector<variant_info> variants() const override {
    return {{"seq_read", "one file read in order in large blocks (TFRecord-like shards)"},
            {"rand_read", "block-aligned random reads over one file (fio randread)"}};
  }
  std::vector<param_spec> parameters(const std::string& variant) const override {
    const bool seq = variant == "seq_read";
    param_spec file{"file_mib", param_type::integer, "256", "size of the file in MiB"};
    param_spec block{"block_kib", param_type::integer, seq ? "1024" : "4",
                     "bytes per read in KiB, a multiple of 4"};
    block.min_value = 4;
    block.max_value = 65536;
    param_spec depth{"depth", param_type::integer, seq ? "8" : "1",
                     "reads in flight (io_uring); sync runs one at a time: 1"};
    depth.max_value = 4096;
    std::vector<param_spec> out = {file,
                                   block,
                                   depth,
                                   {"engine",
                                    param_type::choice,
                                    "io_uring",
                                    "io_uring (liburing) or sync (pread, one call at a time)",
                                    {"io_uring", "sync"}},
                                   {"register_files", param_type::boolean, "false",
                                    "io_uring: registered files (fio registerfiles)"},
                                   {"fixed_buffers", param_type::boolean, "false",
                                    "io_uring: registered buffers (fio fixedbufs)"}};
    if (!seq) {
      param_spec ops{"ops", param_type::integer, "4096", "reads per repetition"};
      out.push_back(ops);
    }
    return out;
  }
  void check(const std::string& variant, const problem_params& p) const override {
    const auto o = options_of(variant, p);
    if (o.block % 4096 != 0)
      throw usage_error(
          fmt::format("block_kib={}: expected a multiple of 4 (O_DIRECT reads whole "
                      "4 KiB blocks)",
                      o.block / 1024));
    if (o.file_bytes < o.block)
      throw usage_error(fmt::format("file_mib={}: expected at least one block of {} KiB",
                                    o.file_bytes / mib, o.block / 1024));
    if (o.engine == "sync" && o.depth != 1)
      throw usage_error(fmt::format(
          "depth={} with engine=sync: expected depth=1 (pread runs one call at a time)", o.depth));
  }
  support supported(const std::string&, const problem_params& p) const override {
    if (p.get("engine") == "io_uring" && !uring_built())
      return support::no(
          "built without liburing (MLHPC_WITH_URING=OFF or liburing-dev missing at configure "
          "time): use engine=sync");
    return support::yes();
  }
  std::uint64_t footprint_bytes(const std::string& variant,
                                const problem_params& p) const override {
    const auto o = options_of(variant, p);
    return static_cast<std::uint64_t>(o.depth) * o.block + write_chunk + o.ops * sizeof(io_op) +
           sizeof(latency_histogram);
  }
  std::unique_ptr<problem> create(const std::string& variant, const problem_params& p,
                                  const problem_env& env) const override {
    return std::make_unique<read_problem>(options_of(variant, p), env);
  }
};

}  // namespace

std::unique_ptr<workload> make_workload() {
  return std::make_unique<io_workload>();
}

}  // namespace mlhpc::io
