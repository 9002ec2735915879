// checkpoint (and dlio's llama_7b_checkpoint): save, evict, restore.
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <map>

#include "workloads/io/blocks.hpp"
#include "workloads/io/cache.hpp"
#include "workloads/io/io_problem.hpp"

namespace mlhpc::io {

namespace {

// checkpoint: write an image from memory to a new file, fsync, evict (and check), read it back.
class checkpoint_problem final : public io_problem {
 public:
  using io_problem::io_problem;
  ~checkpoint_problem() override { release(); }

  void setup() override {
    make_dir();
    m_dir->check_space(2 * m_opt.checkpoint_bytes);  // the new file beside the last one
    m_image.reset(static_cast<unsigned char*>(
        std::aligned_alloc(block_bytes, static_cast<std::size_t>(m_opt.checkpoint_bytes))));
    if (!m_image) throw std::bad_alloc();
    fill_blocks({m_image.get(), static_cast<std::size_t>(m_opt.checkpoint_bytes)}, m_seed,
                file_id(), 0);
    append_chunks(m_ops, 0, 0, m_opt.checkpoint_bytes, m_opt.transfer);
    m_bytes_per_rep = 2.0 * static_cast<double>(m_opt.checkpoint_bytes);
    m_engine_text = m_opt.engine == "sync" ? std::string("sync")
                                           : fmt::format("io_uring depth {}", m_opt.depth);
  }

  // A new file for the next checkpoint (the last one removed), its engines ready. Untimed.
  void before_sample() override {
    close_files();
    if (!m_file.empty()) m_dir->remove_file(m_file);
    m_file = fmt::format("checkpoint.{}", m_files_made++);
    m_wfd = m_dir->create_file(m_file, m_opt.direct ? O_DIRECT : 0);
    m_rfd = m_dir->open_file(m_file, m_opt.direct ? O_DIRECT : 0);
    const std::uint32_t max = m_opt.transfer;
    if (m_opt.engine == "sync") {
      m_writer = make_sync_engine({m_wfd}, max);
      m_reader = make_sync_engine({m_rfd}, max);
    } else {
      m_writer = make_uring_engine({m_wfd}, max, m_opt.depth, m_opt.uring);
      m_reader = make_uring_engine({m_rfd}, max, m_opt.depth, m_opt.uring);
    }
    m_engine_text = m_writer->describe();
  }

  work_model work() const override {
    work_model w;
    w.bytes = m_bytes_per_rep;
    w.items = 1;
    w.item_unit = "checkpoints";
    return w;
  }

  void run() override {
    const double t0 = now_s();
    m_writer->write(m_ops, m_write_latency, [this](const io_op& op, std::span<unsigned char> b) {
      std::memcpy(b.data(), m_image.get() + op.offset, b.size());
    });
    const double t1 = now_s();
    if (::fsync(m_wfd) != 0) MLHPC_FAIL("fsync {}: {}", m_file, std::strerror(errno));
    const double t2 = now_s();
    evict(m_wfd);
    const residency r = resident_pages(m_wfd, 16);
    const double t3 = now_s();
    m_reader->read(m_ops, m_latency);
    const double t4 = now_s();
    m_phase["write_s"].push_back(t1 - t0);
    m_phase["fsync_s"].push_back(t2 - t1);
    m_phase["evict_s"].push_back(t3 - t2);
    m_phase["restore_s"].push_back(t4 - t3);
    m_resident.push_back(r.share());
    if (r.share() > resident_limit && m_ckpt_caveat.empty())
      m_ckpt_caveat = fmt::format(
          "{:.1f} % of the checkpoint's pages stayed in the page cache after eviction in "
          "repetition {}: the restore may have read memory",
          100 * r.share(), m_runs + 1);
    timed(t4 - t0);
  }

  std::string memory_caveat() const override { return m_ckpt_caveat; }

  // The last checkpoint read back whole and every block checked.
  verification verify() override {
    verification v;
    v.metric = "bad_blocks";
    v.tolerance = 0;
    if (m_runs == 0) return v;
    std::uint64_t bad = 0;
    std::string first;
    latency_histogram ignored;
    m_reader->read(m_ops, ignored, [&](const io_op& op, std::span<const unsigned char> d) {
      for (std::size_t b = 0; b < d.size() / block_bytes; ++b) {
        const auto msg = check_blocks(d.subspan(b * block_bytes, block_bytes), m_seed, file_id(),
                                      op.offset / block_bytes + b);
        if (!msg.empty() && bad++ == 0) first = msg;
      }
    });
    v.error = static_cast<double>(bad);
    v.status = bad == 0 ? verification::state::passed : verification::state::failed;
    v.detail = bad == 0 ? fmt::format("the last checkpoint's {} blocks read back right (CRC-32C)",
                                      m_opt.checkpoint_bytes / block_bytes)
                        : fmt::format("{} bad blocks; the first: {}", bad, first);
    return v;
  }

  json details() const override {
    json phases = json::object();
    for (const auto& [k, v] : m_phase)
      phases[k] = {{"per_repetition", v}, {"median", median_of(v)}};
    json d = {{"pattern",
               fmt::format("a {} B image from memory written to a new file in {} B calls, fsync, "
                           "evicted (POSIX_FADV_DONTNEED, checked by mincore), then read back "
                           "(restore); the file is new each repetition (the last one removed "
                           "before, untimed)",
                           m_opt.checkpoint_bytes, m_opt.transfer)},
              {"checkpoint_bytes", m_opt.checkpoint_bytes},
              {"phases_s", phases},
              {"resident_share_after_eviction", m_resident}};
    if (!m_phase.empty()) {
      const double save = median_of(m_phase.at("write_s")) + median_of(m_phase.at("fsync_s"));
      d["save_bytes_per_s"] = static_cast<double>(m_opt.checkpoint_bytes) / save;
      d["restore_bytes_per_s"] =
          static_cast<double>(m_opt.checkpoint_bytes) / median_of(m_phase.at("restore_s"));
      d["rates_how"] =
          "save: bytes over the median write plus the median fsync; restore: bytes "
          "over the median read-back";
    }
    if (!m_opt.dlio_source.empty())
      d["case"] = {{"source", m_opt.dlio_source},
                   {"full_bytes", m_opt.full_bytes},
                   {"scaled_to_bytes", m_opt.checkpoint_bytes}};
    if (m_write_latency.count() > 0)
      d["write_completion_latency_ns"] =
          percentiles_json(m_write_latency,
                           "from the submitting call's return (io_uring) or the call (sync) to "
                           "each write's completion");
    if (m_latency.count() > 0)
      d["restore_completion_latency_ns"] =
          percentiles_json(m_latency, completion_how(m_opt.engine));
    json out = common_details(d);
    out["cache"] = m_opt.direct ? cache_statement(true)
                                : "buffered writes, fsync, then POSIX_FADV_DONTNEED and a mincore "
                                  "check before the restore reads";
    return out;
  }

 private:
  std::uint64_t file_id() const {
    return 0xc0000000ULL + static_cast<std::uint64_t>(m_comm->rank());
  }
  void close_files() {
    m_writer.reset();
    m_reader.reset();
    if (m_wfd >= 0) ::close(m_wfd);
    if (m_rfd >= 0) ::close(m_rfd);
    m_wfd = m_rfd = -1;
  }
  void release() override { close_files(); }

  std::string m_file;  // the checkpoint of the coming (or last) repetition
  std::uint64_t m_files_made = 0;

  std::unique_ptr<unsigned char, decltype(&std::free)> m_image{nullptr, &std::free};
  std::vector<io_op> m_ops;
  int m_wfd = -1, m_rfd = -1;
  std::unique_ptr<engine> m_writer, m_reader;
  latency_histogram m_write_latency;
  std::map<std::string, std::vector<double>> m_phase;
  std::vector<double> m_resident;
  std::string m_ckpt_caveat;
};

}  // namespace

std::unique_ptr<problem> make_checkpoint_problem(const io_options& o, const problem_env& env) {
  return std::make_unique<checkpoint_problem>(o, env);
}

}  // namespace mlhpc::io
