#pragma once
// The collector contract: one data source of counters or energy (perf_event, PAPI, RAPL powercap,
// NVML, rusage), implemented in profilers/<source>/. The harness only sees this interface; no
// collector header reaches bench/. A collector is built for the metrics a user asked for, keeps
// those it can measure here and says why it cannot measure the others.
#include <nlohmann/json.hpp>

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace mlhpc {

// counter: a cumulative value, differenced over a window and divided by its repetitions;
// gauge: a level read at the end of each window (a clock, a temperature, a peak RSS).
enum class metric_kind { counter, gauge };

struct metric_info {
  std::string name;  // key in the result: "cycles", "energy:package-0", "gpu0:energy"
  std::string unit;  // "count", "second", "joule", "byte", "hertz", "celsius", "watt", "bitmask"
  metric_kind kind = metric_kind::counter;
  std::string scope;  // what is counted: "all threads of this process, user space only"
  // The counter advances in steps this far apart (RAPL about 1 ms); 0 for an exact counter. A
  // window must last 100 such steps, so that quantisation stays below 1 %.
  double update_interval_s = 0;
  // For a bitmask gauge (GPU throttle reasons): the name of each bit.
  std::map<unsigned, std::string> bits;
};

// One metric over one window.
struct window_value {
  double value = 0;
  // perf_event multiplexing: the share of the window the counter was on the PMU. Below 1 the
  // value was scaled up by 1 / running_fraction.
  std::optional<double> running_fraction;
  // Wall time the counter counted over the window, where the collector can say (perf_event
  // stamps the clock beside each thread's read; mean over threads). It exceeds the timed seconds
  // by the reads that sit outside the timed region: reading a counter of a thread on another CPU
  // interrupts it, which took 50 us on one VM and milliseconds on a busier one.
  std::optional<double> counted_s;
};

class collector {
 public:
  virtual ~collector() = default;
  // The data source: "perf_event", "papi", "rapl", "nvml", "rusage".
  virtual std::string name() const = 0;
  // The metrics measured, in the order of read() and difference(). Fixed after construction.
  const std::vector<metric_info>& metrics() const { return m_metrics; }
  // Requested metrics this source cannot measure here, each with a reason a person can act on.
  const std::map<std::string, std::string>& unavailable() const { return m_unavailable; }
  // When nothing can be measured: why, in one line ("no PMU in this VM ...").
  const std::string& unavailable_reason() const { return m_reason; }
  // Facts for the context: how it counts, library versions, permission levels.
  const nlohmann::json& describe() const { return m_describe; }

  // Begins one problem's measurement; the workload's threads exist now (after warm-up). Throws
  // runtime_failure when the source fails; the caller then drops this collector.
  virtual void start() = 0;
  // Cumulative readings of every metric (their layout is the collector's own). Called outside
  // the timed region, as close to it as possible.
  virtual std::vector<double> read() = 0;
  // Each metric over the window between two readings: wrap-around, multiplex scaling and units
  // are resolved here (counters as totals over the window, gauges as the level at `to`).
  virtual std::vector<window_value> difference(const std::vector<double>& from,
                                               const std::vector<double>& to) const = 0;
  // Ends the problem's measurement (closes per-thread counters). Never throws.
  virtual void stop() noexcept = 0;

 protected:
  std::vector<metric_info> m_metrics;
  std::map<std::string, std::string> m_unavailable;
  std::string m_reason;
  nlohmann::json m_describe = nlohmann::json::object();
};

}  // namespace mlhpc
