#include "workloads/io/io.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstring>
#include <exception>
#include <mutex>
#include <numeric>
#include <random>
#include <thread>

#include "bench/communicator.hpp"
#include "bench/error.hpp"
#include "bench/scratch.hpp"
#include "bench/stats.hpp"
#include "bench/watchdog.hpp"
#include "workloads/io/blocks.hpp"
#include "workloads/io/cache.hpp"
#include "workloads/io/dataset.hpp"
#include "workloads/io/engine.hpp"
#include "workloads/io/histogram.hpp"

namespace mlhpc::io {

namespace {

using json = nlohmann::json;
constexpr std::uint64_t mib = std::uint64_t{1} << 20;
// Random reads: sets of samples drawn at set-up, one per repetition in turn, so that nothing but
// the reads runs in the timed region and consecutive repetitions read other data.
constexpr std::size_t random_sets = 8;
// The share of a buffered data set's pages that may stay resident after eviction before the
// result says its data may have come from memory.
constexpr double resident_limit = 0.01;

double median_of(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return quantile_sorted(v, 0.5);
}

double now_s() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// ---------------------------------------------------------------------------------------------
// The built-in training shapes (DLIO's workload configurations, dlio_benchmark
// configs/workload/*.yaml): files, samples per file, record bytes (mean and spread), batch,
// reader threads and computation_time per step, and DLIO's AU pass line.
struct dlio_case {
  const char* name;
  std::uint32_t files;
  std::uint64_t samples_per_file, record_bytes, record_stdev;
  std::uint32_t batch;
  int readers;
  double compute_s;
  double au_line;
  std::uint32_t transfer;  // bytes per read call
  const char* source;
};
constexpr dlio_case dlio_cases[] = {
    {"resnet50", 1024, 1251, 114660, 0, 400, 8, 0.224, 0.90, 1 << 20,
     "dlio_benchmark configs/workload/resnet50_h100.yaml (MLPerf Storage): 1024 files x 1251 "
     "samples of 114660 B, batch 400, 8 readers, 0.224 s per step"},
    {"unet3d", 168, 1, 146600628, 68341808, 7, 4, 0.323, 0.90, 1 << 20,
     "dlio_benchmark configs/workload/unet3d_h100.yaml (MLPerf Storage): 168 files of one "
     "sample, 146600628 +- 68341808 B, batch 7, 4 readers, 0.323 s per step"},
    {"bert", 500, 313532, 2500, 0, 48, 1, 0.968, 0.90, 262144,
     "dlio_benchmark configs/workload/bert_v100.yaml: 500 files x 313532 records of 2500 B, "
     "batch 48, 1 reader, 0.968 s per step, transfer 256 KiB"},
    {"cosmoflow", 524288, 1, 2828486, 71311, 1, 4, 0.0035, 0.70, 1 << 20,
     "dlio_benchmark configs/workload/cosmoflow_h100.yaml (MLPerf Storage): 524288 files of "
     "2828486 +- 71311 B, batch 1, 4 readers, 0.0035 s per step; its AU line is 0.70"},
};
// The large-model checkpoint: LLaMA-7B (6.74e9 parameters, Touvron et al. 2023, table 2; DLIO
// configs/workload/llama_7b.yaml checkpoints it) with mixed-precision Adam: bf16 weights (2 B)
// and fp32 master weights, momentum and variance (12 B) per parameter, the 16 B/parameter of
// ZeRO (Rajbhandari et al. 2020, sec. 3.1) less the gradients a checkpoint does not hold.
constexpr double llama_7b_checkpoint_bytes = 6.74e9 * 14;

std::vector<std::string> dlio_names() {
  std::vector<std::string> n;
  for (const auto& c : dlio_cases) n.push_back(c.name);
  n.push_back("llama_7b_checkpoint");
  return n;
}
const dlio_case* find_case(const std::string& name) {
  for (const auto& c : dlio_cases)
    if (name == c.name) return &c;
  return nullptr;
}

// ---------------------------------------------------------------------------------------------
// Options as parsed from the parameters (every variant's subset).
struct io_options {
  std::string variant;
  std::string engine = "io_uring";
  int depth = 1;
  bool direct = true;
  uring_options uring;
  std::uint32_t transfer = 0;  // bytes per read call
  // Data set (global).
  std::uint32_t files = 1;
  std::uint64_t samples_per_file = 1, sample_bytes = 0, sample_stdev = 0;
  std::uint64_t ops = 0;  // random variants: samples per repetition
  // Epoch.
  std::uint32_t batch = 1;
  int readers = 1;
  double compute_s = 0;
  int steps = 4;
  int prefetch = 2;
  double au_line = 0.90;
  std::string dlio_source;
  double data_bytes = 0;  // dlio: the size the case is scaled to
  // Checkpoint.
  std::uint64_t checkpoint_bytes = 0;
  double full_bytes = 0;  // the unscaled case's size
};

void engine_options(io_options& o, const problem_params& p) {
  o.engine = p.get("engine");
  o.depth = static_cast<int>(p.get_int("depth"));
  o.direct = p.get_bool("direct");
  o.uring.register_files = p.get_bool("register_files");
  o.uring.fixed_buffers = p.get_bool("fixed_buffers");
  o.uring.polled = p.get_bool("polled");
}

io_options options_of(const std::string& variant, const problem_params& p) {
  io_options o;
  o.variant = variant;
  if (variant == "seq_read" || variant == "rand_read") {
    engine_options(o, p);
    const std::uint64_t file = static_cast<std::uint64_t>(p.get_int("file_mib")) * mib;
    o.transfer = static_cast<std::uint32_t>(p.get_int("block_kib")) * 1024;
    if (variant == "seq_read") {
      o.sample_bytes = file;
    } else {
      o.sample_bytes = o.transfer;
      o.samples_per_file = o.transfer ? file / o.transfer : 0;
      o.ops = static_cast<std::uint64_t>(p.get_int("ops"));
    }
  } else if (variant == "sample_read") {
    engine_options(o, p);
    o.files = static_cast<std::uint32_t>(p.get_int("files"));
    o.samples_per_file = static_cast<std::uint64_t>(p.get_int("samples_per_file"));
    o.sample_bytes = static_cast<std::uint64_t>(p.get_int("sample_bytes"));
    o.transfer = static_cast<std::uint32_t>(p.get_int("transfer_kib")) * 1024;
    o.ops = static_cast<std::uint64_t>(p.get_int("ops"));
  } else if (variant == "small_files") {
    o.engine = "sync";
    o.direct = p.get_bool("direct");
    o.files = static_cast<std::uint32_t>(p.get_int("files"));
    o.sample_bytes = static_cast<std::uint64_t>(p.get_int("file_kib")) * 1024;
    o.readers = static_cast<int>(p.get_int("readers"));
  } else if (variant == "epoch") {
    engine_options(o, p);
    o.files = static_cast<std::uint32_t>(p.get_int("files"));
    o.samples_per_file = static_cast<std::uint64_t>(p.get_int("samples_per_file"));
    o.sample_bytes = static_cast<std::uint64_t>(p.get_int("sample_bytes"));
    o.sample_stdev = static_cast<std::uint64_t>(p.get_int("sample_stdev"));
    o.transfer = static_cast<std::uint32_t>(p.get_int("transfer_kib")) * 1024;
    o.batch = static_cast<std::uint32_t>(p.get_int("batch"));
    o.readers = static_cast<int>(p.get_int("readers"));
    o.compute_s = p.get_number("compute_ms") / 1e3;
    o.steps = static_cast<int>(p.get_int("steps"));
    o.prefetch = static_cast<int>(p.get_int("prefetch"));
  } else if (variant == "checkpoint") {
    engine_options(o, p);
    o.checkpoint_bytes = static_cast<std::uint64_t>(p.get_int("size_mib")) * mib;
    o.transfer = static_cast<std::uint32_t>(p.get_int("block_kib")) * 1024;
  } else if (variant == "dlio") {
    engine_options(o, p);
    o.data_bytes = static_cast<double>(p.get_int("data_mib")) * mib;
    o.steps = static_cast<int>(p.get_int("steps"));
    const std::string name = p.get("case");
    if (name == "llama_7b_checkpoint") {
      o.variant = "checkpoint";
      o.full_bytes = llama_7b_checkpoint_bytes;
      o.checkpoint_bytes = static_cast<std::uint64_t>(o.data_bytes) / block_bytes * block_bytes;
      o.transfer = 1 << 20;
      o.dlio_source =
          "LLaMA-7B's checkpoint (DLIO configs/workload/llama_7b.yaml checkpoints this model): "
          "6.74e9 parameters x 14 B (bf16 weights, fp32 master weights, Adam momentum and "
          "variance) = 94.4 GB";
    } else if (const dlio_case* c = find_case(name)) {
      o.variant = "epoch";
      o.files = c->files;
      o.samples_per_file = c->samples_per_file;
      o.sample_bytes = c->record_bytes;
      o.sample_stdev = c->record_stdev;
      o.batch = c->batch;
      o.readers = c->readers;
      o.compute_s = c->compute_s;
      o.au_line = c->au_line;
      o.transfer = c->transfer;
      o.prefetch = 2;
      o.dlio_source = c->source;
      o.full_bytes = static_cast<double>(c->files) * static_cast<double>(c->samples_per_file) *
                     static_cast<double>(c->record_bytes);
    }
  }
  return o;
}

// The case shrunk to `data_bytes` by one factor s: about f*sqrt(s) files holding N*s samples
// (both counts shrink, so a small data set still has many files and many samples per file), at
// least one batch per rank and one file per rank. Record sizes, batch, readers and compute
// time are the case's own.
void scale_case(io_options& o, int ranks) {
  if (o.full_bytes <= 0 || o.variant != "epoch") return;
  const double s = std::min(1.0, o.data_bytes / o.full_bytes);
  const double n = static_cast<double>(o.files) * static_cast<double>(o.samples_per_file);
  const auto minimum = static_cast<double>(o.batch) * ranks;
  const double total = std::max(minimum, std::round(n * s));
  const double files = std::clamp(std::round(o.files * std::sqrt(s)), static_cast<double>(ranks),
                                  std::max(total, static_cast<double>(ranks)));
  o.files = static_cast<std::uint32_t>(files);
  o.samples_per_file = static_cast<std::uint64_t>(std::ceil(total / files));
}

std::string cache_statement(bool direct) {
  return direct ? "O_DIRECT: every read bypasses the page cache"
                : "buffered: before every repetition the files are written back and evicted "
                  "(POSIX_FADV_DONTNEED) and a mincore sample checks the eviction";
}

json percentiles_json(const latency_histogram& h, const char* what) {
  json pct = json::array();  // in fio's order
  for (const double p : fio_percentiles())
    pct.push_back({{"percentile", p}, {"ns", h.percentile_ns(p)}});
  return {{"count", h.count()},
          {"mean", h.mean_ns()},
          {"min", h.min_ns()},
          {"max", h.max_ns()},
          {"percentiles", pct},
          {"how", fmt::format("{}, over every timed repetition and the warm-up, in a log-linear "
                              "histogram (64 buckets per power of two, as fio): a percentile is "
                              "the middle of its bucket, within 1/128 of the value",
                              what)}};
}

const char* completion_how(const std::string& engine) {
  return engine == "sync" ? "each pread call's duration (fio's clat for psync)"
                          : "from the submitting call's return to the reaping of each read's "
                            "completion (fio's clat)";
}
constexpr const char* submission_how =
    "from each read's preparation to the return of the io_uring_submit call that carried it "
    "(fio's slat)";

// ---------------------------------------------------------------------------------------------
// What every io problem shares: the scratch directory, this rank's files, the page-cache
// accounting before and after each repetition, the repetition clock and the ranks' figures.
class io_problem : public problem {
 public:
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

  // The scratch directory (the default root, results/scratch, may not exist yet: one level is
  // made, nothing above).
  void make_dir() {
    if (::mkdir(m_root.c_str(), 0700) != 0 && errno != EEXIST)
      MLHPC_FAIL("--dir {}: cannot create it: {}", m_root, std::strerror(errno));
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

  // This rank's shuffled samples: `count` distinct ones per set.
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
    const double median = m_rep_s.empty() ? 0 : median_of(m_rep_s);
    json mine = {{"rank", m_comm->rank()},
                 {"bytes_per_repetition", m_bytes_per_rep},
                 {"median_repetition_s", median},
                 {"files", m_files ? json(m_files->own_files()) : json::array()}};
    if (d.contains("accelerator_utilisation"))
      mine["au"] = d["accelerator_utilisation"].value("median", 0.0);
    json all = json::array();
    for (const auto& t : m_comm->allgather(mine.dump())) all.push_back(json::parse(t));
    double bytes = 0, slowest = 0;
    int straggler = 0;
    for (const auto& r : all) {
      bytes += r["bytes_per_repetition"].get<double>();
      const double t = r["median_repetition_s"].get<double>();
      if (t > slowest) {
        slowest = t;
        straggler = r["rank"].get<int>();
      }
    }
    json out = {{"size", all.size()}, {"per_rank", all}};
    if (slowest > 0) {
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
  std::uint64_t m_cache_capacity = 0;
  std::vector<double> m_before, m_after;
};

// ---------------------------------------------------------------------------------------------
// seq_read, rand_read, sample_read: a list of reads per repetition through one engine.
class read_problem final : public io_problem {
 public:
  using io_problem::io_problem;

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
      m_bytes_per_rep = static_cast<double>(bytes);
    }
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

// ---------------------------------------------------------------------------------------------
// epoch: a training loop fed by reader threads, as a PyTorch DataLoader (DLIO's reader): each
// reader loads whole batches of a shuffled epoch, at most `prefetch` batches per reader ahead of
// the step being computed; the trainer takes the batches in order and "computes" each for the
// case's time (a sleep, as DLIO emulates it). AU = sum of compute / sum of step wall time.
class epoch_problem final : public io_problem {
 public:
  using io_problem::io_problem;

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
    m_bytes_per_rep = 0;
    for (const auto& b : m_batches)
      for (const auto s : b)
        m_bytes_per_rep += static_cast<double>(bytes_read_for(m_plan.samples[s], m_opt.direct));
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
    for (const auto& b : m_batches)
      for (const auto s : b) m_rereads = m_rereads || m_seen[s]++ > 0;
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

// ---------------------------------------------------------------------------------------------
// checkpoint: write an image from memory to a new file, fsync, evict (and check), read it back.
class checkpoint_problem final : public io_problem {
 public:
  using io_problem::io_problem;

  void setup() override {
    make_dir();
    m_dir->check_space(2 * m_opt.checkpoint_bytes);  // the new file beside the last one
    m_image.reset(static_cast<unsigned char*>(
        std::aligned_alloc(block_bytes, static_cast<std::size_t>(m_opt.checkpoint_bytes))));
    if (!m_image) throw std::bad_alloc();
    fill_blocks({m_image.get(), static_cast<std::size_t>(m_opt.checkpoint_bytes)}, m_seed,
                file_id(), 0);
    for (std::uint64_t off = 0; off < m_opt.checkpoint_bytes; off += m_opt.transfer)
      m_ops.push_back({0, off,
                       static_cast<std::uint32_t>(
                           std::min<std::uint64_t>(m_opt.transfer, m_opt.checkpoint_bytes - off))});
    m_bytes_per_rep = 2.0 * static_cast<double>(m_opt.checkpoint_bytes);
    m_engine_text = m_opt.engine == "sync" ? std::string("sync")
                                           : fmt::format("io_uring depth {}", m_opt.depth);
  }

  // A new file for the next checkpoint (the last one removed), its engines ready. Untimed.
  void before_sample() override {
    close_files();
    if (m_runs > 0) m_dir->remove_file(name(m_runs - 1));
    m_wfd = m_dir->create_file(name(m_runs), m_opt.direct ? O_DIRECT : 0);
    m_rfd = m_dir->open_file(name(m_runs), m_opt.direct ? O_DIRECT : 0);
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
    if (::fsync(m_wfd) != 0) MLHPC_FAIL("fsync {}: {}", name(m_runs), std::strerror(errno));
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
  static std::string name(std::uint64_t k) { return fmt::format("checkpoint.{}", k); }
  void close_files() {
    m_writer.reset();
    m_reader.reset();
    if (m_wfd >= 0) ::close(m_wfd);
    if (m_rfd >= 0) ::close(m_rfd);
    m_wfd = m_rfd = -1;
  }
  void release() override { close_files(); }

  std::unique_ptr<unsigned char, decltype(&std::free)> m_image{nullptr, &std::free};
  std::vector<io_op> m_ops;
  int m_wfd = -1, m_rfd = -1;
  std::unique_ptr<engine> m_writer, m_reader;
  latency_histogram m_write_latency;
  std::map<std::string, std::vector<double>> m_phase;
  std::vector<double> m_resident;
  std::string m_ckpt_caveat;
};

// ---------------------------------------------------------------------------------------------

param_spec int_param(const char* name, const char* def, const char* help, std::int64_t lo = 1,
                     std::int64_t hi = INT64_MAX) {
  param_spec p{name, param_type::integer, def, help};
  p.min_value = lo;
  p.max_value = hi;
  return p;
}

void add_engine_params(std::vector<param_spec>& out, const char* depth, const char* direct) {
  out.push_back(
      int_param("depth", depth, "reads in flight per engine (io_uring); sync: 1", 1, 4096));
  out.push_back({"engine",
                 param_type::choice,
                 "io_uring",
                 "io_uring (liburing) or sync (pread/pwrite, one call at a time)",
                 {"io_uring", "sync"}});
  out.push_back({"direct", param_type::boolean, direct,
                 "O_DIRECT (true: the page cache never answers) or buffered reads with checked "
                 "eviction (false)"});
  out.push_back({"register_files", param_type::boolean, "false",
                 "io_uring: registered files (fio registerfiles)"});
  out.push_back({"fixed_buffers", param_type::boolean, "false",
                 "io_uring: registered buffers (fio fixedbufs)"});
  out.push_back({"polled", param_type::boolean, "false",
                 "io_uring: polled completions (fio hipri; needs direct=true and a device with "
                 "poll queues, as NVMe with poll_queues)"});
}

class io_workload final : public workload {
 public:
  std::string name() const override { return "io"; }
  std::string description() const override {
    return "what training reads and writes, on files written in a fresh scratch directory "
           "under --dir: shard and sample reads, small files, a shuffled epoch with simulated "
           "compute (DLIO's AU), checkpoints; O_DIRECT or buffered with checked eviction; "
           "bandwidth, IOPS, latency percentiles; every block checksummed";
  }
  std::vector<variant_info> variants() const override {
    return {{"seq_read", "one file per rank read in order in large blocks (TFRecord-like shards)"},
            {"rand_read", "distinct block-aligned random reads over one file (fio randread)"},
            {"sample_read",
             "random image-sized samples (ResNet-50: 114660 B) from many files, each read whole"},
            {"small_files", "many small files, each opened, read whole and closed"},
            {"epoch",
             "a shuffled epoch read in batches by reader threads while a trainer simulates "
             "compute: samples/s and DLIO's accelerator utilisation"},
            {"dlio",
             "DLIO's training shapes (resnet50, unet3d, bert, cosmoflow) as epochs, and a "
             "large-model checkpoint, scaled by data_mib"},
            {"checkpoint", "write an image, fsync, evict, read it back (restore)"}};
  }
  std::vector<param_spec> parameters(const std::string& variant) const override {
    std::vector<param_spec> out;
    if (variant == "seq_read" || variant == "rand_read") {
      const bool seq = variant == "seq_read";
      out.push_back(int_param("file_mib", "256", "size of each rank's file in MiB"));
      out.push_back(int_param("block_kib", seq ? "1024" : "4",
                              "bytes per read in KiB, a multiple of 4", 4, 65536));
      add_engine_params(out, seq ? "8" : "1", "true");
      if (!seq) out.push_back(int_param("ops", "4096", "distinct reads per repetition"));
    } else if (variant == "sample_read") {
      out.push_back(int_param("files", "64", "files in the data set (shared among ranks)"));
      out.push_back(int_param("samples_per_file", "32", "samples packed in each file"));
      out.push_back(int_param("sample_bytes", "114660",
                              "bytes per sample (DLIO's ResNet-50 record: 114660)", 1,
                              INT64_C(1) << 32));
      out.push_back(
          int_param("transfer_kib", "1024", "largest read call in KiB, a multiple of 4", 4, 65536));
      out.push_back(int_param("ops", "512", "distinct samples per repetition"));
      add_engine_params(out, "1", "true");
    } else if (variant == "small_files") {
      out.push_back(int_param("files", "4096", "files (shared among ranks)"));
      out.push_back(int_param("file_kib", "16", "bytes per file in KiB", 1, 1 << 20));
      out.push_back(int_param("readers", "1", "reader threads", 1, 256));
      out.push_back({"direct", param_type::boolean, "true",
                     "O_DIRECT (true) or buffered reads with checked eviction (false)"});
    } else if (variant == "epoch") {
      out.push_back(int_param("files", "64", "files in the data set (shared among ranks)"));
      out.push_back(int_param("samples_per_file", "32", "samples packed in each file"));
      out.push_back(
          int_param("sample_bytes", "114660", "mean bytes per sample", 1, INT64_C(1) << 32));
      out.push_back(int_param("sample_stdev", "0", "spread of the sample sizes in bytes", 0,
                              INT64_C(1) << 32));
      out.push_back(int_param("batch", "64", "samples per step"));
      out.push_back(int_param("readers", "4", "reader threads (DataLoader workers)", 1, 256));
      param_spec compute{"compute_ms", param_type::number, "50",
                         "simulated compute per step in ms (DLIO computation_time)"};
      compute.min_value = 0;
      out.push_back(compute);
      out.push_back(int_param("steps", "8", "steps per repetition"));
      out.push_back(int_param("prefetch", "2", "batches each reader may load ahead"));
      out.push_back(
          int_param("transfer_kib", "1024", "largest read call in KiB, a multiple of 4", 4, 65536));
      add_engine_params(out, "1", "true");
    } else if (variant == "dlio") {
      out.push_back({"case", param_type::choice, "resnet50",
                     "DLIO workload: resnet50, unet3d, bert, cosmoflow (epochs) or "
                     "llama_7b_checkpoint",
                     dlio_names()});
      out.push_back(int_param("data_mib", "256",
                              "the size the case is scaled to in MiB (the data set, or the "
                              "checkpoint)"));
      out.push_back(int_param("steps", "8", "steps per repetition (epoch cases)"));
      add_engine_params(out, "1", "true");
    } else if (variant == "checkpoint") {
      out.push_back(int_param("size_mib", "256", "checkpoint size in MiB"));
      out.push_back(int_param("block_kib", "1024",
                              "bytes per write and read in KiB, a multiple of 4", 4, 65536));
      add_engine_params(out, "8", "false");
    }
    return out;
  }

  void check(const std::string& variant, const problem_params& p) const override {
    const auto o = options_of(variant, p);
    if (o.transfer % block_bytes != 0)
      throw usage_error(
          fmt::format("{}={}: expected a multiple of 4 (O_DIRECT reads whole 4 KiB blocks)",
                      p.has("block_kib") ? "block_kib" : "transfer_kib", o.transfer / 1024));
    if (o.engine == "sync" && o.depth != 1)
      throw usage_error(fmt::format(
          "depth={} with engine=sync: expected depth=1 (pread runs one call at a time)", o.depth));
    if (o.uring.polled && !o.direct)
      throw usage_error(
          "polled=true with direct=false: expected direct=true (polled "
          "completions need O_DIRECT)");
    if (o.uring.polled && o.engine == "sync")
      throw usage_error("polled=true with engine=sync: expected engine=io_uring");
    if (variant == "seq_read" || variant == "rand_read") {
      if (o.sample_bytes == 0 || (variant == "seq_read" && o.sample_bytes < o.transfer))
        throw usage_error(fmt::format("file_mib={}: expected at least one block of {} KiB",
                                      p.get_int("file_mib"), o.transfer / 1024));
      if (variant == "rand_read" && o.ops > o.samples_per_file)
        throw usage_error(fmt::format(
            "ops={}: expected at most the {} blocks of the file (no block is read twice in a "
            "repetition)",
            o.ops, o.samples_per_file));
    }
    if (variant == "sample_read" && o.ops > o.files * o.samples_per_file)
      throw usage_error(fmt::format(
          "ops={}: expected at most files x samples_per_file = {} (no sample is read twice in a "
          "repetition)",
          o.ops, o.files * o.samples_per_file));
    if (variant == "small_files" && o.direct && o.sample_bytes % block_bytes != 0)
      throw usage_error(fmt::format(
          "file_kib={} with direct=true: expected a multiple of 4 (O_DIRECT reads whole 4 KiB "
          "blocks), or direct=false",
          o.sample_bytes / 1024));
    if (variant == "epoch" && o.files * o.samples_per_file < o.batch)
      throw usage_error(fmt::format(
          "batch={}: expected at most files x samples_per_file = {} (one batch at least)", o.batch,
          o.files * o.samples_per_file));
  }

  support supported(const std::string&, const problem_params& p) const override {
    if (p.has("engine") && p.get("engine") == "io_uring" && !uring_built())
      return support::no(
          "built without liburing (MLHPC_WITH_URING=OFF or liburing-dev missing at configure "
          "time): use engine=sync");
    return support::yes();
  }

  std::uint64_t footprint_bytes(const std::string& variant,
                                const problem_params& p) const override {
    auto o = options_of(variant, p);
    scale_case(o, 1);
    const std::uint64_t transfer = std::max<std::uint64_t>(o.transfer, 1 << 20);
    std::uint64_t bytes =
        static_cast<std::uint64_t>(std::max(o.readers, 1)) *
            (static_cast<std::uint64_t>(o.depth) * transfer + sizeof(latency_histogram)) +
        (1 << 20);
    bytes += static_cast<std::uint64_t>(o.files) * o.samples_per_file * sizeof(sample_loc) * 3;
    bytes += random_sets * o.ops * (sizeof(io_op) + 8);
    if (o.variant == "checkpoint") bytes += o.checkpoint_bytes;
    return bytes;
  }

  std::unique_ptr<problem> create(const std::string& variant, const problem_params& p,
                                  const problem_env& env) const override {
    auto o = options_of(variant, p);
    if (o.variant == "epoch") return std::make_unique<epoch_problem>(o, env);
    if (o.variant == "checkpoint") return std::make_unique<checkpoint_problem>(o, env);
    if (o.variant == "small_files") return std::make_unique<small_files_problem>(o, env);
    return std::make_unique<read_problem>(o, env);
  }
};

}  // namespace

std::unique_ptr<workload> make_workload() {
  return std::make_unique<io_workload>();
}

}  // namespace mlhpc::io
