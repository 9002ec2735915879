#pragma once
// Counters and energy around the timed samples: drives the collectors (collector.hpp) through
// the runner's sample hooks, groups samples into windows long enough for coarse counters
// (energy), and turns the windows into the result's "counters" object: values per repetition,
// their statistics and derived metrics (IPC, GHz, miss rates, joules, watts, GFLOP/J).
#include <nlohmann/json.hpp>

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "bench/collector.hpp"
#include "bench/runner.hpp"
#include "bench/workload.hpp"

namespace mlhpc {

// What a run collects, shared by its problems.
struct counter_setup {
  std::string spec = "none";   // --counters as given
  bool separate_pass = false;  // --counter-pass separate
  // The collectors still in use; one that fails is removed and its reason kept in `failed`.
  std::vector<collector*> collectors;
  std::map<std::string, std::string> failed;
  std::function<void(const std::string&)> log;  // one line per collector that drops out
};

// A window must hold this many update steps of its coarsest counter (1 % quantisation).
inline constexpr double window_updates = 100;

class counter_session final : public sample_hooks {
 public:
  explicit counter_session(counter_setup& setup);
  ~counter_session() override;
  counter_session(const counter_session&) = delete;
  counter_session& operator=(const counter_session&) = delete;

  void start() override;
  void before_sample() override;
  void after_sample(double seconds, long long repetitions) override;
  void stop() noexcept override;

  // The result's "counters" object for a problem with `work` per repetition, whose timing
  // samples are `timing_samples_s`; `pass` is "inline" or "separate".
  nlohmann::json to_json(const work_model& work, const std::string& pass) const;

 private:
  struct window {
    std::vector<window_value> values;
    std::vector<double> from;  // the reading it started with (kept to merge a short last window)
    double seconds = 0;
    long long repetitions = 0;
    int samples = 0;
  };
  struct track {
    collector* c = nullptr;
    double min_window_s = 0;
    bool started = false;
    bool failed = false;
    bool open = false;
    bool last_merged = false;
    bool last_short = false;
    std::vector<double> from;
    double seconds = 0;
    long long repetitions = 0;
    int samples = 0;
    std::vector<window> windows;
  };
  void fail(track& t, const std::string& what) noexcept;
  void close_window(track& t);

  counter_setup& m_setup;
  std::vector<track> m_tracks;
  // Seconds spent reading counters before and after each sample: counters of threads on other
  // CPUs are read with an interrupt there, which widens the counted window past the timed one.
  std::vector<double> m_before_s, m_after_s;
  bool m_stopped = false;
};

// The context's "collectors" object: every collector of the run with available/unavailable,
// what it measures, and the reasons for what it does not.
nlohmann::json collectors_context(const std::vector<const collector*>& all,
                                  const std::map<std::string, std::string>& failed);

}  // namespace mlhpc
