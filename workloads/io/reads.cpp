// seq_read, rand_read, sample_read (a list of reads per repetition through one engine) and
// small_files (open, read whole, close, file after file, by reader threads).
#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <thread>

#include "workloads/io/blocks.hpp"
#include "workloads/io/io_problem.hpp"

namespace mlhpc::io {

namespace {

// seq_read, rand_read, sample_read: a list of reads per repetition through one engine.
class read_problem final : public io_problem {
 public:
  using io_problem::io_problem;
  ~read_problem() override { release(); }

  void setup() override {
    if (m_opt.variant == "seq_read" || m_opt.variant == "rand_read")
      m_opt.files = static_cast<std::uint32_t>(m_comm->size());  // one file per rank
    make_data();
    const std::uint32_t max_bytes =
        static_cast<std::uint32_t>((m_opt.transfer + block_bytes - 1) / block_bytes * block_bytes);
    m_engine = make_engine(max_bytes, m_opt.depth);
    m_engine_text = m_engine->describe();
    // The sets: the file in order (sequential), or `ops` distinct samples of a fresh shuffle.
    const bool seq = m_opt.variant == "seq_read";
    const std::size_t sets = seq ? 1 : random_sets;
    const auto& own = m_files->own_samples();
    if (!seq && m_opt.ops > own.size())
      MLHPC_FAIL(
          "ops={}: expected at most the {} samples this rank holds (no sample is read "
          "twice in a repetition)",
          m_opt.ops, own.size());
    for (std::size_t k = 0; k < sets; ++k) {
      std::vector<io_op> ops;
      std::uint64_t bytes = 0;
      const auto order = seq ? own : shuffled(0x696f2d72616e64ULL + k);
      const std::size_t n = seq ? order.size() : static_cast<std::size_t>(m_opt.ops);
      for (std::size_t i = 0; i < n; ++i) {
        m_files->ops_for(order[i], m_opt.direct, m_opt.transfer, ops);
        bytes += bytes_read_for(m_plan.samples[order[i]], m_opt.direct);
      }
      m_samples_per_rep = n;
      m_sets.push_back(std::move(ops));
      m_set_bytes.push_back(static_cast<double>(bytes));
    }
    // O_DIRECT reads whole blocks, so sets of the same sample count can differ by a few blocks:
    // the work is their median, each set's bytes in details.
    m_bytes_per_rep = median_of(m_set_bytes);
  }

  work_model work() const override {
    work_model w;
    w.bytes = m_bytes_per_rep;
    if (m_opt.variant == "sample_read") {
      w.items = static_cast<double>(m_samples_per_rep);
      w.item_unit = "samples";
    } else {
      w.items = static_cast<double>(m_sets.front().size());
      w.item_unit = "I/Os";
    }
    return w;
  }

  void run() override {
    const double t0 = now_s();
    m_engine->read(m_sets[m_runs % m_sets.size()], m_latency);
    timed(now_s() - t0);
  }

  verification verify() override { return m_files->verify(); }

  json details() const override {
    json d;
    if (m_opt.variant == "seq_read")
      d["pattern"] =
          fmt::format("sequential: this rank's file in order, {} B per read", m_opt.transfer);
    else
      d["pattern"] = fmt::format(
          "random: {} distinct samples of this rank's {} per repetition (a seeded shuffle, {} "
          "sets drawn at set-up, one per repetition in turn), {} B per read call",
          m_samples_per_rep, m_files ? m_files->own_samples().size() : 0, m_sets.size(),
          m_opt.transfer);
    d["depth"] = m_opt.depth;
    d["block_bytes"] = m_opt.transfer;
    d["bytes_per_set"] = m_set_bytes;
    if (m_opt.variant == "sample_read" && m_opt.direct)
      d["sample_alignment"] =
          "O_DIRECT reads whole 4 KiB blocks: each sample's read covers the blocks holding it, "
          "and the bandwidth counts the bytes read";
    if (m_latency.count() > 0)
      d["completion_latency_ns"] = percentiles_json(m_latency, completion_how(m_opt.engine));
    if (m_engine && m_engine->submission_latency().count() > 0)
      d["submission_latency_ns"] = percentiles_json(m_engine->submission_latency(), submission_how);
    return common_details(d);
  }

 private:
  void release() override { m_engine.reset(); }

  std::unique_ptr<engine> m_engine;
  std::vector<std::vector<io_op>> m_sets;
  std::size_t m_samples_per_rep = 0;
  std::vector<double> m_set_bytes;  // bytes each set of reads moves
};

// ---------------------------------------------------------------------------------------------
// small_files: open, read whole, close, file after file, by `readers` threads.
class small_files_problem final : public io_problem {
 public:
  using io_problem::io_problem;

  void setup() override {
    make_data();
    m_engine_text =
        fmt::format("sync: openat + pread + close per file, {} thread(s)", m_opt.readers);
    m_buffer_bytes = (m_opt.sample_bytes + block_bytes - 1) / block_bytes * block_bytes;
    for (int t = 0; t < m_opt.readers; ++t) {
      m_buffers.emplace_back(static_cast<unsigned char*>(std::aligned_alloc(
                                 block_bytes, static_cast<std::size_t>(m_buffer_bytes))),
                             &std::free);
      if (!m_buffers.back()) throw std::bad_alloc();
    }
    m_latencies.resize(static_cast<std::size_t>(m_opt.readers));
    for (std::size_t k = 0; k < random_sets; ++k) m_orders.push_back(shuffled(0x736d616c6cULL + k));
    m_bytes_per_rep = 0;
    for (const auto s : m_files->own_samples())
      m_bytes_per_rep += static_cast<double>(bytes_read_for(m_plan.samples[s], m_opt.direct));
  }

  work_model work() const override {
    work_model w;
    w.bytes = m_bytes_per_rep;
    w.items = static_cast<double>(m_files->own_samples().size());
    w.item_unit = "files";
    return w;
  }

  void run() override {
    const auto& order = m_orders[m_runs % m_orders.size()];
    std::atomic<std::size_t> next{0};
    std::vector<std::exception_ptr> errors(static_cast<std::size_t>(m_opt.readers));
    auto reader = [&](std::size_t t) {
      try {
        for (std::size_t i; (i = next.fetch_add(1)) < order.size();) read_one(t, order[i]);
      } catch (...) {
        errors[t] = std::current_exception();
        next = order.size();
      }
    };
    const double t0 = now_s();
    std::vector<std::thread> threads;
    for (std::size_t t = 1; t < static_cast<std::size_t>(m_opt.readers); ++t)
      threads.emplace_back(reader, t);
    reader(0);
    for (auto& th : threads) th.join();
    timed(now_s() - t0);
    for (const auto& e : errors)
      if (e) std::rethrow_exception(e);
  }

  verification verify() override { return m_files->verify(); }

  json details() const override {
    latency_histogram all;
    for (const auto& h : m_latencies) all.merge(h);
    json d = {{"pattern", fmt::format("every file of this rank once per repetition in a seeded "
                                      "shuffled order ({} orders drawn at set-up), each opened, "
                                      "read whole and closed; {} reader thread(s) started per "
                                      "repetition",
                                      m_orders.size(), m_opt.readers)},
              {"file_bytes", m_opt.sample_bytes}};
    if (all.count() > 0)
      d["file_latency_ns"] = percentiles_json(all, "openat to close of each file");
    return common_details(d);
  }

 private:
  void read_one(std::size_t t, std::uint32_t s) {
    const auto& loc = m_plan.samples[s];
    const std::string name = fmt::format("data.{}", loc.file);
    const auto t0 = std::chrono::steady_clock::now();
    const int fd = ::openat(m_dir->fd(), name.c_str(),
                            O_RDONLY | O_NOFOLLOW | O_CLOEXEC | (m_opt.direct ? O_DIRECT : 0));
    if (fd < 0) MLHPC_FAIL("open {}/{}: {}", m_dir->path(), name, std::strerror(errno));
    const std::uint64_t want = bytes_read_for(loc, m_opt.direct);
    std::uint64_t got = 0;
    while (got < want) {
      const ssize_t n = ::pread(fd, m_buffers[t].get() + got, want - got, static_cast<off_t>(got));
      if (n <= 0) {
        const int e = errno;
        ::close(fd);
        MLHPC_FAIL("read {}/{} at {}: {}", m_dir->path(), name, got,
                   n == 0 ? "unexpected end of file" : std::strerror(e));
      }
      got += static_cast<std::uint64_t>(n);
    }
    ::close(fd);
    m_latencies[t].add(static_cast<std::uint64_t>(
        std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - t0)
            .count()));
  }

  std::uint64_t m_buffer_bytes = 0;
  std::vector<std::unique_ptr<unsigned char, decltype(&std::free)>> m_buffers;
  std::vector<latency_histogram> m_latencies;
  std::vector<std::vector<std::uint32_t>> m_orders;
};

}  // namespace

std::unique_ptr<problem> make_read_problem(const io_options& o, const problem_env& env) {
  return std::make_unique<read_problem>(o, env);
}

std::unique_ptr<problem> make_small_files_problem(const io_options& o, const problem_env& env) {
  return std::make_unique<small_files_problem>(o, env);
}

}  // namespace mlhpc::io
