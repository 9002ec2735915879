// epoch (and the dlio training cases): a training loop fed by reader threads.
#include <chrono>
#include <condition_variable>
#include <exception>
#include <mutex>
#include <thread>

#include "workloads/io/blocks.hpp"
#include "workloads/io/io_problem.hpp"

namespace mlhpc::io {

namespace {

// epoch: a training loop fed by reader threads, as a PyTorch DataLoader (DLIO's reader): each
// reader loads whole batches of a shuffled epoch, at most `prefetch` batches per reader ahead of
// the step being computed; the trainer takes the batches in order and "computes" each for the
// case's time (a sleep, as DLIO emulates it). AU = sum of compute / sum of step wall time.
class epoch_problem final : public io_problem {
 public:
  using io_problem::io_problem;
  // The readers stop and join before the members they use go (the base's destructor cannot
  // reach this class's release()).
  ~epoch_problem() override { release(); }

  void setup() override {
    scale_case(m_opt, m_comm->size());
    make_data();
    const std::uint32_t max_bytes =
        static_cast<std::uint32_t>((m_opt.transfer + block_bytes - 1) / block_bytes * block_bytes);
    m_max_bytes = max_bytes;
    m_engines.resize(static_cast<std::size_t>(m_opt.readers));
    m_latencies.resize(static_cast<std::size_t>(m_opt.readers));
    m_ops.resize(static_cast<std::size_t>(m_opt.readers));
    const auto own = m_files->own_samples().size();
    if (own < m_opt.batch)
      MLHPC_FAIL("rank {} holds {} samples, fewer than one batch of {}: give more samples",
                 m_comm->rank(), own, m_opt.batch);
    m_steps_per_epoch = own / m_opt.batch;  // the last partial batch is dropped, as DLIO does
    m_seen.assign(m_plan.samples.size(), 0);
    plan_repetition();
    // The work of a repetition: its samples at the mean bytes read per sample of this rank (with
    // a spread of sizes each repetition reads its own bytes, listed in details).
    double mean = 0;
    for (const auto s : m_files->own_samples())
      mean += static_cast<double>(bytes_read_for(m_plan.samples[s], m_opt.direct));
    mean /= static_cast<double>(own);
    m_bytes_per_rep = mean * m_opt.steps * m_opt.batch;
    // Each reader makes its own engine on its own thread (a ring with a single issuer accepts
    // submissions from the thread that made it only); set-up waits for all of them.
    for (int t = 0; t < m_opt.readers; ++t) m_threads.emplace_back([this, t] { reader(t); });
    std::unique_lock lock(m_mutex);
    m_cv.wait(lock, [&] { return m_started == m_opt.readers; });
    if (m_error) std::rethrow_exception(m_error);
    m_engine_text = fmt::format("{} per reader, {} reader thread(s)", m_engines.front()->describe(),
                                m_opt.readers);
  }

  void before_sample() override {
    io_problem::before_sample();
    std::lock_guard lock(m_mutex);  // a reader may still be looking at the last batches
    if (m_runs > 0) plan_repetition();
  }

  std::string memory_caveat() const override {
    std::string c = io_problem::memory_caveat();
    if (c.empty() && m_rereads && !m_opt.direct)
      c = fmt::format(
          "a buffered repetition read some samples twice (steps={} crosses an epoch's end; "
          "this rank has {} steps per epoch): the second read may have come from memory",
          m_opt.steps, m_steps_per_epoch);
    return c;
  }

  work_model work() const override {
    work_model w;
    w.bytes = m_bytes_per_rep;
    w.items = static_cast<double>(m_opt.steps) * m_opt.batch;
    w.item_unit = "samples";
    return w;
  }

  void run() override {
    std::unique_lock lock(m_mutex);
    m_next_batch = 0;
    m_consumed = 0;
    m_ready.assign(m_batches.size(), false);
    m_error = nullptr;
    ++m_generation;
    m_cv.notify_all();
    double compute = 0, wait = 0, first_step = 0, first_compute = 0;
    const double t0 = now_s();
    for (std::size_t b = 0; b < m_batches.size(); ++b) {
      const double w0 = now_s();
      m_cv.wait(lock, [&] { return m_ready[b] || m_error; });
      if (m_error) break;
      const double waited = now_s() - w0;
      wait += waited;

      m_consumed = b + 1;
      m_cv.notify_all();  // a reader may load the next batch
      lock.unlock();
      const auto c0 = std::chrono::steady_clock::now();
      std::this_thread::sleep_until(c0 + std::chrono::duration<double>(m_opt.compute_s));
      const double c = std::chrono::duration<double>(std::chrono::steady_clock::now() - c0).count();
      compute += c;
      if (b == 0) {
        first_step = waited + c;
        first_compute = c;
      }
      lock.lock();
    }
    // The readers finish (or stop on an error) before the repetition ends.
    m_cv.wait(lock, [&] { return m_busy == 0; });
    const double total = now_s() - t0;
    if (m_error) std::rethrow_exception(m_error);
    lock.unlock();
    timed(total);
    m_au.push_back(total > 0 ? compute / total : 0);
    const double rest = total - first_step;
    m_au_after_first.push_back(rest > 0 ? (compute - first_compute) / rest : m_au.back());
    m_wait_s.push_back(wait);
    m_read_bytes.push_back(m_planned_bytes);
  }

  verification verify() override { return m_files->verify(); }

  json details() const override {
    latency_histogram all;
    for (const auto& h : m_latencies) all.merge(h);
    json d;
    if (!m_opt.dlio_source.empty()) {
      d["case"] = {{"source", m_opt.dlio_source},
                   {"full_bytes", m_opt.full_bytes},
                   {"scaled_to_bytes", m_opt.data_bytes},
                   {"how",
                    "both counts shrink by one factor s = data_mib / the full data set: "
                    "about files x sqrt(s) files holding samples x s samples, at least "
                    "one batch per rank and one file per rank; record sizes, batch, "
                    "readers and compute time are the case's own"}};
    }
    d["pattern"] = fmt::format(
        "a shuffled epoch (a new seeded order each epoch, the last partial batch dropped) read "
        "in batches of {} by {} reader thread(s), each loading whole batches, at most {} "
        "batches per reader ahead of the step; {} steps per repetition, continuing through the "
        "epochs; {:.4g} s of simulated compute per step (a sleep, as DLIO)",
        m_opt.batch, m_opt.readers, m_opt.prefetch, m_opt.steps, m_opt.compute_s);
    d["steps_per_epoch_on_this_rank"] = m_steps_per_epoch;
    d["transfer_bytes"] = m_opt.transfer;
    d["depth"] = m_opt.depth;
    if (!m_au.empty()) {
      const double au = median_of(m_au);
      d["accelerator_utilisation"] = {
          {"median", au},
          {"per_repetition", m_au},
          {"excluding_first_step", m_au_after_first},
          {"pass_line", m_opt.au_line},
          {"passes", au >= m_opt.au_line},
          {"how",
           "DLIO's AU: the sum of compute time over the sum of step wall time (waiting "
           "for data plus compute) over every step of a repetition; median over "
           "repetitions. The readers start with the repetition, so its first step waits "
           "for a cold pipeline: more steps amortise it. excluding_first_step (DLIO may "
           "exclude it) overstates AU when the readers load several whole batches in "
           "parallel during that first wait (unet3d at 4 steps: 1.00 against 0.31)"}};
      d["data_wait_s_per_repetition"] = m_wait_s;
      d["bytes_read_per_repetition"] = m_read_bytes;
      d["bytes_how"] =
          "the work's bytes are steps x batch x the mean bytes read per sample of "
          "this rank; with a spread of sample sizes each repetition reads its own, "
          "listed in bytes_read_per_repetition";
    }
    if (all.count() > 0)
      d["completion_latency_ns"] = percentiles_json(all, completion_how(m_opt.engine));
    latency_histogram slat;
    for (const auto& e : m_engines)
      if (e) slat.merge(e->submission_latency());
    if (slat.count() > 0) d["submission_latency_ns"] = percentiles_json(slat, submission_how);
    return common_details(d);
  }

 private:
  // The batches of the next repetition: `steps` batches from where the last one stopped,
  // through as many epochs as it takes (each with its own shuffle). Untimed.
  void plan_repetition() {
    m_batches.assign(static_cast<std::size_t>(m_opt.steps), {});
    for (auto& b : m_batches) {
      if (m_order.empty() || m_cursor + m_opt.batch > m_steps_per_epoch * m_opt.batch) {
        m_order = shuffled(0x65706f6368ULL + m_epoch++);
        m_cursor = 0;
      }
      b.assign(m_order.begin() + static_cast<std::ptrdiff_t>(m_cursor),
               m_order.begin() + static_cast<std::ptrdiff_t>(m_cursor + m_opt.batch));
      m_cursor += m_opt.batch;
    }
    // A sample read twice in one repetition (across an epoch's end) may come from the cache.
    std::fill(m_seen.begin(), m_seen.end(), 0);
    m_planned_bytes = 0;
    for (const auto& b : m_batches)
      for (const auto s : b) {
        m_rereads = m_rereads || m_seen[s]++ > 0;
        m_planned_bytes += static_cast<double>(bytes_read_for(m_plan.samples[s], m_opt.direct));
      }
  }

  void reader(int t) {
    const auto ti = static_cast<std::size_t>(t);
    std::uint64_t seen = 0;
    std::unique_ptr<engine> e;
    std::exception_ptr failed;
    try {
      e = make_engine(m_max_bytes, m_opt.depth);
    } catch (...) {
      failed = std::current_exception();
    }
    std::unique_lock lock(m_mutex);
    m_engines[ti] = std::move(e);
    if (failed && !m_error) m_error = failed;
    ++m_started;
    m_cv.notify_all();
    if (failed) return;
    while (true) {
      m_cv.wait(lock, [&] { return m_stop || m_generation != seen; });
      if (m_stop) return;
      seen = m_generation;
      ++m_busy;
      while (!m_error) {
        // The next batch, once the trainer is close enough (prefetch per reader).
        m_cv.wait(lock, [&] {
          return m_stop || m_error || m_next_batch >= m_batches.size() ||
                 m_next_batch <
                     m_consumed + static_cast<std::size_t>(m_opt.prefetch * m_opt.readers);
        });
        if (m_stop || m_error || m_next_batch >= m_batches.size()) break;
        const std::size_t b = m_next_batch++;
        lock.unlock();
        try {
          auto& ops = m_ops[ti];
          ops.clear();
          for (const auto s : m_batches[b]) m_files->ops_for(s, m_opt.direct, m_opt.transfer, ops);
          m_engines[ti]->read(ops, m_latencies[ti]);
          lock.lock();
          m_ready[b] = true;
        } catch (...) {
          lock.lock();
          if (!m_error) m_error = std::current_exception();
        }
        m_cv.notify_all();
      }
      --m_busy;
      m_cv.notify_all();
    }
  }

  void release() override {
    {
      std::lock_guard lock(m_mutex);
      m_stop = true;
    }
    m_cv.notify_all();
    for (auto& t : m_threads) t.join();
    m_threads.clear();
    m_engines.clear();
  }

  std::vector<std::unique_ptr<engine>> m_engines;  // each made and used by its reader
  std::uint32_t m_max_bytes = 0;
  int m_started = 0;  // readers whose engine is made (or failed)
  std::vector<latency_histogram> m_latencies;
  std::vector<std::vector<io_op>> m_ops;  // per reader, reused (reserved by the first batch)
  std::vector<std::thread> m_threads;
  std::vector<std::vector<std::uint32_t>> m_batches;
  std::vector<std::uint32_t> m_order;
  std::uint64_t m_cursor = 0, m_epoch = 0, m_steps_per_epoch = 0;
  bool m_rereads = false;
  double m_planned_bytes = 0;  // what the planned repetition reads
  std::vector<double> m_read_bytes;
  std::vector<unsigned char> m_seen;  // per global sample, while planning a repetition
  // Shared with the readers, under m_mutex.
  std::mutex m_mutex;
  std::condition_variable m_cv;
  std::uint64_t m_generation = 0;
  std::size_t m_next_batch = 0, m_consumed = 0;
  int m_busy = 0;
  std::vector<bool> m_ready;
  std::exception_ptr m_error;
  bool m_stop = false;
  std::vector<double> m_au, m_au_after_first, m_wait_s;
};

}  // namespace

std::unique_ptr<problem> make_epoch_problem(const io_options& o, const problem_env& env) {
  return std::make_unique<epoch_problem>(o, env);
}

}  // namespace mlhpc::io
