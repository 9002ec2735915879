#pragma once
// What every io problem shares (io.hpp lists the patterns): the scratch directory and this
// rank's files, the page-cache accounting before and after each repetition with the status it
// implies, the repetition clock, and the ranks' figures gathered in details(); and the helpers
// that put latencies and medians in a result. Each pattern lives in its own file (reads.cpp,
// epoch.cpp, checkpoint.cpp) behind a factory below.
#include <fmt/format.h>
#include <sys/stat.h>
#include <sys/statfs.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <vector>

#include "bench/communicator.hpp"
#include "bench/error.hpp"
#include "bench/files.hpp"
#include "bench/scratch.hpp"
#include "bench/watchdog.hpp"
#include "bench/workload.hpp"
#include "workloads/io/dataset.hpp"
#include "workloads/io/engine.hpp"
#include "workloads/io/histogram.hpp"
#include "workloads/io/options.hpp"

namespace mlhpc::io {

using json = nlohmann::json;

// Random reads: sets of samples drawn at set-up, one per repetition in turn, so that nothing but
// the reads runs in the timed region and consecutive repetitions read other data.
inline constexpr std::size_t random_sets = 8;
// The share of a buffered data set's pages that may stay resident after eviction before the
// result says its data may have come from memory.
inline constexpr double resident_limit = 0.01;

double median_of(std::vector<double> v);
double now_s();  // the steady clock in seconds
std::string cache_statement(bool direct);
// A histogram in a result: count, mean, min, max and fio's percentiles, with how it was taken.
json percentiles_json(const latency_histogram& h, const char* what);
const char* completion_how(const std::string& engine);
extern const char* const submission_how;

// ---------------------------------------------------------------------------------------------
// What every io problem shares: the scratch directory, this rank's files, the page-cache
// accounting before and after each repetition, the repetition clock and the ranks' figures.
class io_problem : public problem {
 public:
  // The submitting thread waits for the storage; reader threads wait by design.
  bool waits_by_design() const override { return true; }
  io_problem(io_options o, const problem_env& env)
      : m_opt(std::move(o)), m_seed(env.seed), m_root(env.scratch_root), m_comm(env.comm) {}
  ~io_problem() override { teardown(); }

  void teardown() override {
    release();
    if (m_files) m_files->close();
    m_files.reset();
    m_dir.reset();  // removes every file and the directory
  }

  bool one_run_per_sample() const override { return true; }

  // After the last repetition: what it left in the cache. Then, buffered, the eviction and its
  // check; O_DIRECT reads bypass the cache whatever it holds, and its state is only recorded.
  void before_sample() override {
    if (!m_files) return;
    if (m_runs > 0) m_after.push_back(m_files->resident().share());
    if (!m_opt.direct) m_files->evict();
    const double before = m_files->resident().share();
    m_before.push_back(before);
    if (m_opt.direct && !m_memory_fs.empty() && m_caveat.empty())
      m_caveat = fmt::format(
          "direct reads from {} (a file system in memory, which this kernel lets O_DIRECT "
          "open): {:.1f} % of the data set's pages are resident, and the reads came from "
          "memory, not from storage (give a --dir on a disk)",
          m_memory_fs, 100 * before);
    if (!m_opt.direct && before > resident_limit && m_caveat.empty())
      m_caveat = fmt::format(
          "{:.1f} % of the data set's pages stayed in the page cache after eviction before "
          "repetition {} (a file system that keeps files in memory, as tmpfs, or ignores "
          "POSIX_FADV_DONTNEED): the reads may have come from memory",
          100 * before, m_runs + 1);
  }

  std::string memory_caveat() const override { return m_caveat; }

  json trust_notes() const override {
    json out = json::array();
    if (!m_opt.direct && m_files && m_cache_capacity > 0 && m_files->own_bytes() < m_cache_capacity)
      out.push_back(
          {{"code", "fits_in_page_cache"},
           {"detail", fmt::format("buffered reads of a data set of {:.3g} GB, smaller than the "
                                  "{:.3g} GB the page cache can hold (MemAvailable): evicted and "
                                  "checked before each repetition, but set direct=true or a "
                                  "larger data set to rule the cache out",
                                  static_cast<double>(m_files->own_bytes()) / 1e9,
                                  static_cast<double>(m_cache_capacity) / 1e9)}});
    return out;
  }

 protected:
  virtual void release() {}

  // The scratch directory (the default root, results/scratch, may not exist yet: it is made
  // without following links, as every directory the suite creates).
  void make_dir() {
    make_directories(m_root, "--dir");
    m_dir = std::make_unique<scratch_dir>(m_root, "mlhpc-io");
  }

  // Plans the global data set, writes this rank's files, opens them.
  void make_data() {
    make_dir();
    m_plan = plan_dataset(m_opt.files, m_opt.samples_per_file, m_opt.sample_bytes,
                          m_opt.sample_stdev, m_seed);
    m_files = std::make_unique<local_files>(m_plan, m_comm->rank(), m_comm->size(), *m_dir, m_seed);
    if (m_files->own_samples().empty())
      MLHPC_FAIL("rank {} of {} owns no file of the {} (give files >= ranks)", m_comm->rank(),
                 m_comm->size(), m_opt.files);
    m_files->write([] { return interrupted(); });
    m_cache_capacity = cache_capacity_bytes();
    m_memory_fs = memory_file_system(m_root);
    try {
      m_files->open(m_opt.direct);
    } catch (const std::exception& e) {
      if (!m_opt.direct) throw;
      MLHPC_FAIL(
          "{} (a file system without direct I/O, as tmpfs: give another --dir or "
          "direct=false)",
          e.what());
    }
  }

  std::unique_ptr<engine> make_engine(std::uint32_t max_bytes, int depth) const {
    if (m_opt.engine == "sync") return make_sync_engine(m_files->fds(), max_bytes);
    return make_uring_engine(m_files->fds(), max_bytes, depth, m_opt.uring);
  }

  // This rank's samples in an order shuffled from the seed and `salt`.
  std::vector<std::uint32_t> shuffled(std::uint64_t salt) const {
    std::vector<std::uint32_t> s = m_files->own_samples();
    std::mt19937_64 rng(m_seed ^ salt);
    std::shuffle(s.begin(), s.end(), rng);
    return s;
  }

  // Records a repetition's own wall time (for the ranks' aggregate).
  void timed(double s) {
    m_rep_s.push_back(s);
    ++m_runs;
  }

  // The details every pattern shares, the ranks' figures gathered (every rank calls details()).
  json common_details(const json& specific) const {
    json d = specific;
    d["engine"] = m_engine_text;
    d["cache"] = cache_statement(m_opt.direct);
    d["data"] =
        "4 KiB blocks with a CRC-32C each (file, offset, seed in a header), pseudo-random "
        "payload; verification reads every block back";
    if (m_dir) d["scratch_dir"] = m_dir->path();
    if (m_files) {
      d["data_set"] = {{"files", m_plan.file_bytes.size()},
                       {"samples", m_plan.samples.size()},
                       {"sample_bytes_mean", m_opt.sample_bytes},
                       {"sample_bytes_stdev", m_opt.sample_stdev},
                       {"bytes_on_this_rank", m_files->own_bytes()},
                       {"files_on_this_rank", m_files->own_files().size()}};
      json cache = {{"statement", cache_statement(m_opt.direct)},
                    {"resident_share_before_each_repetition", m_before},
                    {"resident_share_after_each_repetition", m_after},
                    {"limit", resident_limit},
                    {"how",
                     "mincore over a mapping never touched: every page of small files, "
                     "about 4096 pages of each large one"}};
      if (m_cache_capacity > 0) cache["page_cache_capacity_bytes"] = m_cache_capacity;
      d["page_cache"] = cache;
    }
    d["ranks"] = ranks_figures(d);
    return d;
  }

  io_options m_opt;
  std::uint64_t m_seed;
  std::string m_root;
  communicator* m_comm;
  std::unique_ptr<scratch_dir> m_dir;
  dataset_plan m_plan;
  std::unique_ptr<local_files> m_files;
  std::string m_engine_text;
  std::uint64_t m_runs = 0;
  std::vector<double> m_rep_s;
  double m_bytes_per_rep = 0;  // what this rank moves in a repetition
  latency_histogram m_latency;

 private:
  // Each rank's share and pace; the aggregate as the ranks ran together (they start every
  // repetition at a barrier): the sum of the bytes over the slowest rank's median time.
  json ranks_figures(const json& d) const {
    // A rank that ran no repetition (interrupted before its first sample) has no median: null,
    // never 0, and it is left out of the aggregate and the straggler.
    json mine = {{"rank", m_comm->rank()},
                 {"bytes_per_repetition", m_bytes_per_rep},
                 {"median_repetition_s", m_rep_s.empty() ? json() : json(median_of(m_rep_s))},
                 {"files", m_files ? json(m_files->own_files()) : json::array()}};
    if (d.contains("accelerator_utilisation"))
      mine["au"] = d["accelerator_utilisation"].value("median", 0.0);
    json all = json::array();
    for (const auto& t : m_comm->allgather(mine.dump())) all.push_back(json::parse(t));
    double bytes = 0, slowest = 0;
    int straggler = 0;
    bool every_rank = true;
    for (const auto& r : all) {
      bytes += r["bytes_per_repetition"].get<double>();
      if (!r["median_repetition_s"].is_number()) {
        every_rank = false;
        continue;
      }
      const double t = r["median_repetition_s"].get<double>();
      if (t > slowest) {
        slowest = t;
        straggler = r["rank"].get<int>();
      }
    }
    json out = {{"size", all.size()}, {"per_rank", all}};
    if (!every_rank)
      out["unavailable"] =
          "a rank ran no repetition (the run was interrupted first): no aggregate, no straggler";
    else if (slowest > 0) {
      out["aggregate_bytes_per_s"] = bytes / slowest;
      out["straggler"] = {{"rank", straggler},
                          {"median_repetition_s", slowest},
                          {"how", "the rank with the largest median repetition time"}};
    }
    out["how"] =
        "each rank reads only its own files (global file index modulo the ranks), in its own "
        "scratch directory; the ranks start every repetition together, so the aggregate is the "
        "bytes of all ranks over the slowest rank's median repetition";
    return out;
  }

  std::string m_caveat;
  std::string m_memory_fs;  // the data set's file system when it lives in memory, else empty

  // "tmpfs" or "ramfs" when `dir` is on a file system held in memory (statfs magic numbers of
  // linux/magic.h), else empty: direct I/O there reads memory, whatever O_DIRECT promises.
  static std::string memory_file_system(const std::string& dir) {
    struct statfs st {};
    if (::statfs(dir.c_str(), &st) != 0) return "";
    switch (static_cast<unsigned long>(st.f_type)) {
      case 0x01021994UL:
        return "tmpfs";  // TMPFS_MAGIC
      case 0x858458f6UL:
        return "ramfs";  // RAMFS_MAGIC
      default:
        return "";
    }
  }
  std::uint64_t m_cache_capacity = 0;
  std::vector<double> m_before, m_after;
};

std::unique_ptr<problem> make_read_problem(const io_options& o, const problem_env& env);
std::unique_ptr<problem> make_small_files_problem(const io_options& o, const problem_env& env);
std::unique_ptr<problem> make_epoch_problem(const io_options& o, const problem_env& env);
std::unique_ptr<problem> make_checkpoint_problem(const io_options& o, const problem_env& env);

}  // namespace mlhpc::io
