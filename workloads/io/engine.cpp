#include "workloads/io/engine.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>

#include "bench/error.hpp"

#if MLHPC_HAVE_URING
#include <liburing.h>
#endif

namespace mlhpc::io {

namespace {

std::uint64_t now_ns() {
  return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                        std::chrono::steady_clock::now().time_since_epoch())
                                        .count());
}

// Page-aligned buffers, one per operation in flight.
struct buffer_pool {
  buffer_pool(int n, std::size_t bytes) : size((bytes + 4095) / 4096 * 4096) {
    for (int i = 0; i < n; ++i) {
      void* p = std::aligned_alloc(4096, size);
      if (p == nullptr) throw std::bad_alloc();
      std::memset(p, 0, size);  // touched before any timing
      bufs.push_back(static_cast<unsigned char*>(p));
    }
  }
  ~buffer_pool() {
    for (auto* p : bufs) std::free(p);
  }
  buffer_pool(const buffer_pool&) = delete;
  buffer_pool& operator=(const buffer_pool&) = delete;
  std::size_t size;
  std::vector<unsigned char*> bufs;
};

[[noreturn]] void io_failed(const char* what, const io_op& op, long got, int err) {
  if (got < 0)
    MLHPC_FAIL("{} of {} B at offset {} of file {}: {}", what, op.bytes, op.offset, op.file,
               std::strerror(err));
  MLHPC_FAIL("{} of {} B at offset {} of file {}: short transfer ({} B)", what, op.bytes, op.offset,
             op.file, got);
}

class sync_engine final : public engine {
 public:
  sync_engine(std::vector<int> fds, std::size_t max_bytes)
      : m_fds(std::move(fds)), m_pool(1, max_bytes) {}
  std::string describe() const override { return "sync (pread/pwrite, one call at a time)"; }
  int depth() const override { return 1; }
  void read(std::span<const io_op> ops, latency_histogram& h, const check_fn& check) override {
    unsigned char* b = m_pool.bufs[0];
    for (const auto& op : ops) {
      MLHPC_ASSERT(op.bytes <= m_pool.size && op.file < m_fds.size());
      const std::uint64_t t0 = now_ns();
      const ssize_t got = ::pread(m_fds[op.file], b, op.bytes, static_cast<off_t>(op.offset));
      h.add(now_ns() - t0);
      if (got != static_cast<ssize_t>(op.bytes)) io_failed("read", op, got, errno);
      if (check) check(op, {b, op.bytes});
    }
  }
  void write(std::span<const io_op> ops, latency_histogram& h, const fill_fn& fill) override {
    unsigned char* b = m_pool.bufs[0];
    for (const auto& op : ops) {
      MLHPC_ASSERT(op.bytes <= m_pool.size && op.file < m_fds.size());
      fill(op, {b, op.bytes});
      const std::uint64_t t0 = now_ns();
      const ssize_t got = ::pwrite(m_fds[op.file], b, op.bytes, static_cast<off_t>(op.offset));
      h.add(now_ns() - t0);
      if (got != static_cast<ssize_t>(op.bytes)) io_failed("write", op, got, errno);
    }
  }

 private:
  std::vector<int> m_fds;
  buffer_pool m_pool;
};

#if MLHPC_HAVE_URING
class uring_engine final : public engine {
 public:
  uring_engine(std::vector<int> fds, std::size_t max_bytes, int depth, const uring_options& o)
      : m_fds(std::move(fds)), m_pool(depth, max_bytes), m_depth(depth), m_opt(o) {
    // fio's ring (engines/io_uring.c): completion queue as deep as the submission queue,
    // cooperative task running (no IPI to complete an I/O), and a single issuer whose task work
    // waits until it reaps. Each flag is dropped, in fio's order, when the kernel refuses it.
    io_uring_params params{};
    params.flags = IORING_SETUP_CQSIZE | IORING_SETUP_COOP_TASKRUN | IORING_SETUP_SINGLE_ISSUER |
                   IORING_SETUP_DEFER_TASKRUN | (o.polled ? IORING_SETUP_IOPOLL : 0u);
    params.cq_entries = static_cast<unsigned>(depth);
    int rc = 0;
    while (true) {
      rc = io_uring_queue_init_params(static_cast<unsigned>(depth), &m_ring, &params);
      if (rc != -EINVAL) break;
      if (params.flags & IORING_SETUP_DEFER_TASKRUN)
        params.flags &= ~(IORING_SETUP_DEFER_TASKRUN | IORING_SETUP_SINGLE_ISSUER);
      else if (params.flags & IORING_SETUP_COOP_TASKRUN)
        params.flags &= ~IORING_SETUP_COOP_TASKRUN;
      else if (params.flags & IORING_SETUP_CQSIZE)
        params.flags &= ~IORING_SETUP_CQSIZE;
      else
        break;
    }
    m_flags = params.flags;
    if (rc < 0)
      MLHPC_FAIL(
          "io_uring_queue_init (depth {}): {} (io_uring may be disabled here: "
          "kernel.io_uring_disabled, or a container's seccomp profile)",
          depth, std::strerror(-rc));
    m_ready = true;
    if (o.register_files) {
      const int r =
          io_uring_register_files(&m_ring, m_fds.data(), static_cast<unsigned>(m_fds.size()));
      if (r < 0) MLHPC_FAIL("io_uring_register_files: {}", std::strerror(-r));
    }
    if (o.fixed_buffers) {
      std::vector<iovec> iov;
      for (auto* b : m_pool.bufs) iov.push_back({b, m_pool.size});
      const int r =
          io_uring_register_buffers(&m_ring, iov.data(), static_cast<unsigned>(iov.size()));
      if (r < 0)
        MLHPC_FAIL("io_uring_register_buffers ({} x {} B): {} (RLIMIT_MEMLOCK?)", iov.size(),
                   m_pool.size, std::strerror(-r));
    }
    m_slots.resize(static_cast<std::size_t>(depth));
    m_free.reserve(static_cast<std::size_t>(depth));
    m_queued.reserve(static_cast<std::size_t>(depth));
  }
  ~uring_engine() override {
    if (m_ready) io_uring_queue_exit(&m_ring);
  }
  uring_engine(const uring_engine&) = delete;
  uring_engine& operator=(const uring_engine&) = delete;

  std::string describe() const override {
    return fmt::format(
        "io_uring (liburing; depth {}{}{}{}; ring flags{}{}{})", m_depth,
        m_opt.register_files ? ", registered files" : "",
        m_opt.fixed_buffers ? ", fixed buffers" : "", m_opt.polled ? ", polled completions" : "",
        m_flags & IORING_SETUP_COOP_TASKRUN ? " COOP_TASKRUN" : "",
        m_flags & IORING_SETUP_DEFER_TASKRUN ? " SINGLE_ISSUER DEFER_TASKRUN" : "",
        m_flags & (IORING_SETUP_COOP_TASKRUN | IORING_SETUP_DEFER_TASKRUN) ? "" : " none");
  }
  const latency_histogram& submission_latency() const override { return m_submission; }
  int depth() const override { return m_depth; }
  void read(std::span<const io_op> ops, latency_histogram& h, const check_fn& check) override {
    run(ops, h, false, {}, check);
  }
  void write(std::span<const io_op> ops, latency_histogram& h, const fill_fn& fill) override {
    run(ops, h, true, fill, {});
  }

 private:
  struct slot {
    const io_op* op = nullptr;
    std::uint64_t queued = 0, submitted = 0;
  };

  void run(std::span<const io_op> ops, latency_histogram& h, bool writing, const fill_fn& fill,
           const check_fn& check) {
    // Both lists have room for every slot (reserved in the constructor): nothing is allocated
    // while the reads are timed.
    auto& free_slots = m_free;
    auto& queued = m_queued;
    free_slots.clear();
    for (int i = m_depth - 1; i >= 0; --i) free_slots.push_back(i);
    std::size_t next = 0, done = 0;
    // As fio's commit: one call submits and runs the completions already due (GETEVENTS with
    // no minimum), so that with deferred task work a finished read is seen at once. Submission
    // latency runs from an op's preparation to that call's return, completion latency from
    // there to the reaping of its completion (fio's slat and clat).
    auto submit = [&] {
      if (queued.empty()) return;
      const int r = io_uring_submit_and_get_events(&m_ring);
      if (r < 0) MLHPC_FAIL("io_uring_submit_and_get_events: {}", std::strerror(-r));
      const std::uint64_t t = now_ns();
      for (const int s : queued) {
        auto& sl = m_slots[static_cast<std::size_t>(s)];
        sl.submitted = t;
        m_submission.add(t - sl.queued);
      }
      queued.clear();
    };
    queued.clear();
    while (done < ops.size()) {
      // Fill the ring up to the depth, submitting every `submit_batch` ops (fio's
      // iodepth_batch_submit, 1 by default: each op goes to the device as soon as it is ready;
      // on a virtio disk, submitting all free slots at once, about 8 at depth 32, gave 14 %
      // fewer IOPS than fio, and 8 at a time 8 % fewer than 1 at a time).
      while (next < ops.size() && !free_slots.empty()) {
        const io_op& op = ops[next++];
        MLHPC_ASSERT(op.bytes <= m_pool.size && op.file < m_fds.size());
        const int s = free_slots.back();
        free_slots.pop_back();
        unsigned char* b = m_pool.bufs[static_cast<std::size_t>(s)];
        if (writing) fill(op, {b, op.bytes});
        io_uring_sqe* sqe = io_uring_get_sqe(&m_ring);
        MLHPC_ASSERT(sqe != nullptr);
        const int fd = m_opt.register_files ? static_cast<int>(op.file) : m_fds[op.file];
        if (m_opt.fixed_buffers) {
          if (writing)
            io_uring_prep_write_fixed(sqe, fd, b, op.bytes, op.offset, s);
          else
            io_uring_prep_read_fixed(sqe, fd, b, op.bytes, op.offset, s);
        } else {
          if (writing)
            io_uring_prep_write(sqe, fd, b, op.bytes, op.offset);
          else
            io_uring_prep_read(sqe, fd, b, op.bytes, op.offset);
        }
        if (m_opt.register_files) sqe->flags |= IOSQE_FIXED_FILE;
        io_uring_sqe_set_data64(sqe, static_cast<std::uint64_t>(s));
        m_slots[static_cast<std::size_t>(s)].op = &op;
        m_slots[static_cast<std::size_t>(s)].queued = now_ns();
        queued.push_back(s);
        if (queued.size() >= m_opt.submit_batch) submit();
      }
      submit();
      // Reap every completion already there; wait for one only when there is none (fio's
      // getevents).
      io_uring_cqe* cqe = nullptr;
      if (io_uring_peek_cqe(&m_ring, &cqe) != 0 || cqe == nullptr) {
        const int r = io_uring_wait_cqe(&m_ring, &cqe);
        if (r < 0) MLHPC_FAIL("io_uring_wait_cqe: {}", std::strerror(-r));
      }
      while (cqe != nullptr) {
        const std::uint64_t t = now_ns();
        const int s = static_cast<int>(io_uring_cqe_get_data64(cqe));
        auto& sl = m_slots[static_cast<std::size_t>(s)];
        const int res = cqe->res;
        io_uring_cqe_seen(&m_ring, cqe);
        h.add(t - sl.submitted);
        if (res == -EOPNOTSUPP && m_opt.polled)
          MLHPC_FAIL(
              "polled io_uring completions are not supported by the device behind file {} "
              "(its queue has no poll queues: /sys/block/*/queue/io_poll is 0, as on "
              "virtio disks); run without polled completions",
              sl.op->file);
        if (res != static_cast<int>(sl.op->bytes))
          io_failed(writing ? "write" : "read", *sl.op, res < 0 ? -1 : res, res < 0 ? -res : 0);
        if (!writing && check)
          check(*sl.op, {m_pool.bufs[static_cast<std::size_t>(s)], sl.op->bytes});
        free_slots.push_back(s);
        ++done;
        cqe = nullptr;
        if (io_uring_peek_cqe(&m_ring, &cqe) != 0) cqe = nullptr;
      }
    }
  }

  std::vector<int> m_fds;
  buffer_pool m_pool;
  int m_depth;
  uring_options m_opt;
  io_uring m_ring{};
  bool m_ready = false;
  std::vector<slot> m_slots;
  std::vector<int> m_free, m_queued;  // slots free, and queued for the next submit
  unsigned m_flags = 0;               // the ring's setup flags the kernel accepted
  latency_histogram m_submission;
};
#endif

}  // namespace

void append_chunks(std::vector<io_op>& out, std::uint32_t file, std::uint64_t begin,
                   std::uint64_t end, std::uint32_t chunk) {
  for (std::uint64_t off = begin; off < end; off += chunk)
    out.push_back(
        {file, off, static_cast<std::uint32_t>(std::min<std::uint64_t>(chunk, end - off))});
}

std::unique_ptr<engine> make_sync_engine(std::vector<int> fds, std::size_t max_bytes) {
  return std::make_unique<sync_engine>(std::move(fds), max_bytes);
}

bool uring_built() {
  return MLHPC_HAVE_URING != 0;
}

std::unique_ptr<engine> make_uring_engine(std::vector<int> fds, std::size_t max_bytes, int depth,
                                          const uring_options& o) {
#if MLHPC_HAVE_URING
  if (depth < 1) MLHPC_FAIL("io_uring depth {}: expected at least 1", depth);
  return std::make_unique<uring_engine>(std::move(fds), max_bytes, depth, o);
#else
  (void)fds;
  (void)max_bytes;
  (void)depth;
  (void)o;
  MLHPC_FAIL(
      "built without liburing (MLHPC_WITH_URING=OFF or liburing-dev missing at configure "
      "time)");
#endif
}

}  // namespace mlhpc::io
