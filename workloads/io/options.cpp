#include "workloads/io/options.hpp"

#include <algorithm>
#include <cmath>

#include "bench/checked.hpp"
#include "workloads/io/blocks.hpp"

namespace mlhpc::io {

namespace {

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

const dlio_case* find_case(const std::string& name) {
  for (const auto& c : dlio_cases)
    if (name == c.name) return &c;
  return nullptr;
}

void engine_options(io_options& o, const problem_params& p) {
  o.engine = p.get("engine");
  o.depth = p.get_as<int>("depth");
  o.direct = p.get_bool("direct");
  o.uring.register_files = p.get_bool("register_files");
  o.uring.fixed_buffers = p.get_bool("fixed_buffers");
  o.uring.polled = p.get_bool("polled");
}

}  // namespace

std::vector<std::string> dlio_names() {
  std::vector<std::string> n;
  for (const auto& c : dlio_cases) n.push_back(c.name);
  n.push_back("llama_7b_checkpoint");
  return n;
}

io_options options_of(const std::string& variant, const problem_params& p) {
  io_options o;
  o.variant = variant;
  if (variant == "seq_read" || variant == "rand_read") {
    engine_options(o, p);
    const std::uint64_t file = p.get_scaled<std::uint64_t>("file_mib", 1 << 20, "MiB");
    o.transfer = p.get_scaled<std::uint32_t>("block_kib", 1024, "KiB");
    if (variant == "seq_read") {
      o.sample_bytes = file;
    } else {
      o.sample_bytes = o.transfer;
      o.samples_per_file = o.transfer ? file / o.transfer : 0;
      o.ops = p.get_as<std::uint64_t>("ops");
    }
  } else if (variant == "sample_read") {
    engine_options(o, p);
    o.files = p.get_as<std::uint32_t>("files");
    o.samples_per_file = p.get_as<std::uint64_t>("samples_per_file");
    o.sample_bytes = p.get_as<std::uint64_t>("sample_bytes");
    o.transfer = p.get_scaled<std::uint32_t>("transfer_kib", 1024, "KiB");
    o.ops = p.get_as<std::uint64_t>("ops");
  } else if (variant == "small_files") {
    o.engine = "sync";
    o.direct = p.get_bool("direct");
    o.files = p.get_as<std::uint32_t>("files");
    o.sample_bytes = p.get_scaled<std::uint64_t>("file_kib", 1024, "KiB");
    o.readers = p.get_as<int>("readers");
  } else if (variant == "epoch") {
    engine_options(o, p);
    o.files = p.get_as<std::uint32_t>("files");
    o.samples_per_file = p.get_as<std::uint64_t>("samples_per_file");
    o.sample_bytes = p.get_as<std::uint64_t>("sample_bytes");
    o.sample_stdev = p.get_as<std::uint64_t>("sample_stdev");
    o.transfer = p.get_scaled<std::uint32_t>("transfer_kib", 1024, "KiB");
    o.batch = p.get_as<std::uint32_t>("batch");
    o.readers = p.get_as<int>("readers");
    o.compute_s = p.get_number("compute_ms") / 1e3;
    o.steps = p.get_as<int>("steps");
    o.prefetch = p.get_as<int>("prefetch");
  } else if (variant == "checkpoint") {
    engine_options(o, p);
    o.checkpoint_bytes = p.get_scaled<std::uint64_t>("size_mib", 1 << 20, "MiB");
    o.transfer = p.get_scaled<std::uint32_t>("block_kib", 1024, "KiB");
  } else if (variant == "dlio") {
    engine_options(o, p);
    o.data_bytes = static_cast<double>(p.get_scaled<std::int64_t>("data_mib", 1 << 20, "MiB"));
    o.steps = p.get_as<int>("steps");
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
  // The products the problem computes with, checked once here (check(), footprint_bytes() and
  // create() all start from options_of): a count times a size past 2^63 is a usage error naming
  // the parameters, never a wrap to a small data set.
  const auto n = [](std::uint64_t v) {
    return static_cast<std::int64_t>(std::min<std::uint64_t>(v, INT64_MAX));
  };
  (void)checked_product({n(o.files), n(o.samples_per_file)}, "files x samples_per_file");
  (void)checked_product(
      {n(o.files), n(o.samples_per_file),
       checked_sum(n(o.sample_bytes), n(o.sample_stdev), "sample_bytes + sample_stdev")},
      "files x samples_per_file x sample_bytes (the data set)");
  (void)checked_product({std::max(o.readers, 1), o.depth, n(o.transfer)},
                        "readers x depth x transfer (the buffers in flight)");
  return o;
}

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

}  // namespace mlhpc::io
