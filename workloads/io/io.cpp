#include "workloads/io/io.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "bench/checked.hpp"
#include "bench/error.hpp"
#include "workloads/io/blocks.hpp"
#include "workloads/io/io_problem.hpp"
#include "workloads/io/options.hpp"

namespace mlhpc::io {

namespace {

// The largest count or size in its unit any io parameter takes unless it says otherwise: 2^30
// (a GiB of MiB is a PiB; a billion files or operations is a day of I/O at 10^4 per second).
// Products of these are checked again where the problem is built (options_of).
constexpr std::int64_t max_count = std::int64_t{1} << 30;

param_spec int_param(const char* name, const char* def, const char* help, std::int64_t lo = 1,
                     std::int64_t hi = max_count) {
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
      compute.max_value = 3'600'000;  // an hour per step
      out.push_back(compute);
      out.push_back(int_param("steps", "8", "steps per repetition", 1, 1 << 20));
      out.push_back(int_param("prefetch", "2", "batches each reader may load ahead", 1, 1 << 16));
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
      out.push_back(int_param("steps", "8", "steps per repetition (epoch cases)", 1, 1 << 20));
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
    // Checked arithmetic throughout: the sizes are the user's, and a wrapped sum would pass the
    // memory check.
    const auto n = [](std::uint64_t v) {
      return static_cast<std::int64_t>(std::min<std::uint64_t>(v, INT64_MAX));
    };
    const std::int64_t transfer = std::max<std::int64_t>(o.transfer, 1 << 20);
    const char* what = "the buffers of this problem";
    std::int64_t bytes =
        checked_product({std::max(o.readers, 1),
                         checked_sum(checked_product({o.depth, transfer}, what),
                                     static_cast<std::int64_t>(sizeof(latency_histogram)), what)},
                        what);
    bytes = checked_sum(bytes, 1 << 20, what);
    bytes = checked_sum(bytes,
                        checked_product({n(o.files), n(o.samples_per_file),
                                         static_cast<std::int64_t>(sizeof(sample_loc) * 3)},
                                        what),
                        what);
    bytes = checked_sum(bytes,
                        checked_product({static_cast<std::int64_t>(random_sets), n(o.ops),
                                         static_cast<std::int64_t>(sizeof(io_op) + 8)},
                                        what),
                        what);
    if (o.variant == "checkpoint") bytes = checked_sum(bytes, n(o.checkpoint_bytes), what);
    return static_cast<std::uint64_t>(bytes);
  }

  std::unique_ptr<problem> create(const std::string& variant, const problem_params& p,
                                  const problem_env& env) const override {
    const auto o = options_of(variant, p);
    if (o.variant == "epoch") return make_epoch_problem(o, env);
    if (o.variant == "checkpoint") return make_checkpoint_problem(o, env);
    if (o.variant == "small_files") return make_small_files_problem(o, env);
    return make_read_problem(o, env);
  }
};

}  // namespace

std::unique_ptr<workload> make_workload() {
  return std::make_unique<io_workload>();
}

}  // namespace mlhpc::io
