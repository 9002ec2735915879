#include "bench/runner.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>

#include "bench/stats.hpp"

namespace mlhpc {

namespace {
double steady_seconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}
}  // namespace

namespace {

// The measurement loop, on a clock chosen once (the steady clock, or a test's virtual one), so
// that the timed region holds nothing but two clock reads around the repetitions.
template <class Clock>
measurement measure_on(Clock now, problem& p, const runner_settings& s, communicator& comm,
                       const std::atomic<bool>* interrupt,
                       const std::function<void(const measurement&)>& on_sample,
                       sample_hooks* hooks) {
  measurement m;
  const double wall0 = now();
  auto interrupted = [&] { return interrupt != nullptr && interrupt->load(); };

  // Warm-up. The fastest local warm-up repetition sizes the batch, and the ranks agree on the
  // largest batch, so that every rank times the same number of repetitions per sample.
  double warm_best = 0;
  for (int i = 0; i < s.warmup && !interrupted(); ++i) {
    comm.barrier();
    const double t0 = now();
    p.run();
    const double t = now() - t0;
    warm_best = i == 0 ? t : std::min(warm_best, t);
    ++m.warmup_repetitions;
  }
  long long inner = 1;
  if (m.warmup_repetitions > 0 && warm_best > 0 && warm_best < s.min_sample_s)
    inner = static_cast<long long>(std::ceil(s.min_sample_s / warm_best));
  if (s.inner_repetitions > 0) inner = s.inner_repetitions;
  m.inner_repetitions = static_cast<int>(comm.max(inner));
  if (hooks) hooks->start();

  std::vector<double> sorted;  // the samples kept sorted as they come, for the stop rule
  while (true) {
    comm.barrier();
    if (hooks) hooks->before_sample();
    const double t0 = now();
    for (int i = 0; i < m.inner_repetitions; ++i) p.run();
    const double t = now() - t0;
    if (hooks) hooks->after_sample(t, m.inner_repetitions);
    const double sample = t / m.inner_repetitions;
    m.samples_s.push_back(sample);
    sorted.insert(std::upper_bound(sorted.begin(), sorted.end(), sample), sample);
    m.timed_s += t;
    if (on_sample) on_sample(m);

    // The stop rule. Every rank evaluates it on its own samples; ranks go on while any wants to.
    const auto n = static_cast<int>(m.samples_s.size());
    std::string reason;
    if (interrupted()) {
      reason = "interrupted";
    } else if (n >= s.max_repetitions) {
      reason = "max_repetitions_reached";
    } else if (n >= s.repetitions && m.timed_s >= s.min_time_s) {
      const auto hw = relative_ci_halfwidth_sorted(sorted);
      if (hw && *hw <= s.ci_target)
        reason = "ci_target_met";
      else if (m.timed_s >= s.max_time_s)
        reason = "max_time_reached";
    }
    const bool go_on = comm.any(reason.empty());
    if (!go_on) {
      m.stop_reason = reason.empty() ? "other_rank_stopped" : reason;
      break;
    }
  }
  if (hooks) hooks->stop();
  m.wall_s = now() - wall0;
  return m;
}

}  // namespace

measurement measure(problem& p, const runner_settings& s, communicator& comm,
                    const std::atomic<bool>* interrupt,
                    const std::function<void(const measurement&)>& on_sample,
                    const std::function<double()>& clock, sample_hooks* hooks) {
  if (clock) return measure_on(clock, p, s, comm, interrupt, on_sample, hooks);
  return measure_on(steady_seconds, p, s, comm, interrupt, on_sample, hooks);
}

}  // namespace mlhpc
