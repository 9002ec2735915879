#pragma once
// The workload contract (STYLE.md). A workload declares its variants and parameters, says
// whether a problem can run here, and creates `problem`s; a problem declares its work and
// implements setup, exactly one timed repetition, verification and teardown. The runner owns
// warm-up, repetitions, stop rules, timers and statistics; workloads never print.
#include <nlohmann/json.hpp>

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "bench/interval_timer.hpp"
#include "bench/params.hpp"

namespace mlhpc {

// Work of one repetition. Absent members are not part of this workload's model.
// Each member is the work of one rate of the vocabulary (bench/rates.hpp: flops -> flops_per_s).
struct work_model {
  std::optional<double> flops;      // arithmetic operations (for integer types: ops)
  std::optional<double> bytes;      // minimum bytes moved to and from memory (a collective: the
                                    // message, as nccl-tests' algbw counts it)
  std::optional<double> items;      // domain items (images, samples) with `item_unit`
  std::optional<double> bus_bytes;  // a collective: bytes x its bus factor (nccl-tests busbw)
  std::string item_unit;
};

struct verification {
  enum class state { passed, failed, not_applicable };
  state status = state::not_applicable;
  std::string metric;               // what `error` measures, e.g. "max_normalized_error"
  std::optional<double> error;      // the worst error found
  std::optional<double> tolerance;  // the largest error accepted
  std::string detail;               // where and how it was checked (points checked, worst index)
};
std::string to_string(verification::state s);

struct support {
  bool ok = true;
  std::string reason;  // why not, in words a person can act on
  static support yes() { return {}; }
  static support no(std::string why) { return {false, std::move(why)}; }
};

class communicator;

// What a problem may use, decided by the runner: its threads, its seed and the ranks of the job
// (a collective runs across them; any other problem runs one copy per rank and must not use
// it). Later: a device and a scratch directory.
struct problem_env {
  int threads = 1;
  std::uint64_t seed = 0;
  communicator* comm = nullptr;  // never null when the runner creates the problem
  std::string scratch_root;      // --dir: where a problem that writes files makes its directory
};

class problem {
 public:
  virtual ~problem() = default;
  // Allocates and fills inputs (seeded; never all ones). Not timed. May throw.
  virtual void setup() = 0;
  // Work of exactly one call to run(); valid after setup().
  virtual work_model work() const = 0;
  // Exactly one timed repetition. It leaves its output for verify().
  virtual void run() = 0;
  // Checks the output of the last run() against a reference. Not timed.
  virtual verification verify() = 0;
  // Untimed repetitions this problem needs before timing, whatever --warmup says (OSU warms a
  // collective up with 100 calls up to 8 KiB and 10 above); the runner takes the larger.
  virtual int minimum_warmup() const { return 0; }
  // Untimed, before every warm-up repetition and every timed sample (before the ranks' barrier):
  // where a problem restores the state a repetition must start from (io evicts its files from
  // the page cache and checks the eviction). May throw: the run then fails as if run() threw.
  virtual void before_sample() {}
  // True when each sample must time exactly one run() (after one before_sample()): a second
  // call in the same sample would find the state the first left (a warm page cache). The runner
  // then ignores --inner-repetitions and its own batching.
  virtual bool one_run_per_sample() const { return false; }
  // Non-empty when the data a timed repetition read may have come from memory rather than the
  // storage it claims to measure, saying why: the result's status becomes "cached" with this as
  // its reason (a measurement, but not of what its name says). Asked after verify().
  virtual std::string memory_caveat() const { return {}; }
  // Trust issues only the problem can see ([{"code", "detail"}]), added to the runner's own.
  virtual nlohmann::json trust_notes() const { return nlohmann::json::array(); }
  // True for a problem that waits on storage or the network by design (io, the collectives):
  // fewer busy threads than requested is then its nature, not a sign of a disturbed run, and the
  // `fewer_busy_threads` trust issue is not raised for it.
  virtual bool waits_by_design() const { return false; }
  // A problem on a device whose run() enqueues one repetition and returns without waiting:
  // the timer of its stream, which the runner starts and stops around each sample and reads
  // after synchronising (bench/interval_timer.hpp). nullptr (host problems): the runner's own
  // clock times run(). Owned by the problem, valid from setup() to teardown().
  virtual interval_timer* device_timer() { return nullptr; }
  // Releases resources early. Not timed. The destructor must also release them.
  virtual void teardown() {}
  // Facts about this instance worth recording: implementation chosen, input fill, sizes. Called
  // on every rank at the same point, after verify(), so a problem may gather its ranks' figures
  // here through env.comm (io's aggregate and straggling reader).
  virtual nlohmann::json details() const { return nlohmann::json::object(); }
};

struct variant_info {
  std::string name;
  std::string description;
};

// A measured upper bound that other results are reported as a share of: "flops:f32" (flop/s)
// or "bytes:memory" (byte/s), judged by a metric of the rate vocabulary (bench/rates.hpp).
struct ceiling_ref {
  std::string key;
  std::string metric = "flops_per_s";
};

class workload {
 public:
  virtual ~workload() = default;
  virtual std::string name() const = 0;
  virtual std::string description() const = 0;
  virtual std::vector<variant_info> variants() const = 0;
  // Declared parameters with defaults, for one variant.
  virtual std::vector<param_spec> parameters(const std::string& variant) const = 0;
  // Checks a fully expanded problem beyond single values (e.g. relations between parameters).
  // Throws usage_error naming the value and what was expected.
  virtual void check(const std::string& variant, const problem_params& p) const {
    (void)variant;
    (void)p;
  }
  // Whether this build and machine can run the problem (library, ISA), or why not. The answer
  // becomes a `skipped` result, never a crash.
  virtual support supported(const std::string& variant, const problem_params& p) const = 0;
  // Whether the job's ranks suit the problem (a collective needs an MPI launch of 2 ranks or
  // more), or why not. Asked on every rank before create(); one rank's "no" skips it on all.
  virtual support supported_with(const std::string& variant, const communicator& comm) const {
    (void)variant;
    (void)comm;
    return support::yes();
  }
  // True when all ranks take part in one operation (a collective); false when each rank runs its
  // own copy, whose per-rank times node acceptance compares.
  virtual bool collective(const std::string& variant) const {
    (void)variant;
    return false;
  }
  // Bytes of memory the problem allocates; checked against available memory before running.
  virtual std::uint64_t footprint_bytes(const std::string& variant,
                                        const problem_params& p) const = 0;
  virtual std::unique_ptr<problem> create(const std::string& variant, const problem_params& p,
                                          const problem_env& env) const = 0;
  // The ceiling this problem's rate is a share of, if any.
  virtual std::optional<ceiling_ref> ceiling_of(const std::string& variant,
                                                const problem_params& p) const {
    (void)variant;
    (void)p;
    return std::nullopt;
  }
  // The ceiling this problem measures, if any (its best rate becomes the ceiling).
  virtual std::optional<ceiling_ref> provides_ceiling(const std::string& variant) const {
    (void)variant;
    return std::nullopt;
  }
  // Shape lists this workload generates from its own data (conv: ResNet-50's layers from the
  // network description), name -> list text, looked up before the shipped files.
  virtual std::map<std::string, std::string> builtin_shape_lists() const { return {}; }
  // Networks whose layers this workload's shape lists hold, for --set network=NAME: name -> list.
  // The run adds the network's synthetic summary (reports/network_summary.hpp).
  virtual std::map<std::string, std::string> networks() const { return {}; }
  // Names and run-time versions of the libraries behind this workload ({"onednn": {...}}).
  virtual nlohmann::json libraries() const { return nlohmann::json::object(); }
};

}  // namespace mlhpc
