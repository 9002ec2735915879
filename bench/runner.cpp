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
  interval_timer* const device = p.device_timer();
  if (device) m.timer = device->name();
  const double wall0 = now();
  auto interrupted = [&] { return interrupt != nullptr && interrupt->load(); };
  // A problem that throws on one rank must not leave the others waiting in a barrier: the rank
  // keeps meeting every collective of the loop without running the problem, and the next
  // decision stops every rank (the session then exchanges the messages).
  auto guarded = [&](const auto& runs) {
    if (!m.error.empty()) return;
    try {
      runs();
    } catch (const std::bad_alloc&) {
      m.error = "out of memory";
    } catch (const std::exception& e) {
      m.error = e.what();
    }
  };
  // One timed batch of `reps` repetitions: {seconds by the problem's timer, seconds by the host
  // clock}. The timed region: two clock reads around the repetitions on the host; on a device,
  // the start and stop marks around the enqueued repetitions, then the wait for the stop mark.
  auto timed = [&](long long reps) {
    const double t0 = now();
    if (!device) {
      guarded([&] {
        for (long long i = 0; i < reps; ++i) p.run();
      });
      const double t = now() - t0;
      return std::pair{t, t};
    }
    double t = 0;
    guarded([&] {
      device->start();
      for (long long i = 0; i < reps; ++i) p.run();
      device->stop();
      t = device->elapsed_s();
    });
    return std::pair{t, now() - t0};
  };

  // Warm-up. The fastest local warm-up repetition sizes the batch, and the ranks agree on the
  // largest batch, so that every rank times the same number of repetitions per sample.
  double warm_best = 0;
  const bool warm_interrupted = comm.any(interrupted());
  for (int i = 0; i < s.warmup && !warm_interrupted; ++i) {
    guarded([&] { p.before_sample(); });
    if (device) guarded([&] { device->synchronize(); });
    comm.barrier();
    const double t = timed(1).first;
    warm_best = i == 0 ? t : std::min(warm_best, t);
    ++m.warmup_repetitions;
  }
  long long inner = 1;
  if (m.warmup_repetitions > 0 && warm_best > 0 && warm_best < s.min_sample_s)
    inner = static_cast<long long>(std::ceil(s.min_sample_s / warm_best));
  if (s.inner_repetitions > 0) inner = s.inner_repetitions;
  if (p.one_run_per_sample()) inner = 1;
  // A rank whose warm-up failed still takes part in both decisions: the batch, then whether
  // any rank failed (then no sample is timed anywhere).
  m.inner_repetitions = static_cast<int>(comm.max(inner));
  if (comm.any(!m.error.empty())) {
    m.stop_reason = m.error.empty() ? "failed_on_other_rank" : "failed";
    m.wall_s = now() - wall0;
    return m;
  }
  if (hooks) hooks->start();

  std::vector<double> sorted;  // the samples kept sorted as they come, for the stop rule
  // This rank's time in the loop's two collectives (the barrier before each sample, the
  // decision after it), outside the timed region: recorded, not judged (a rank throttled by a
  // quota is often stopped inside a spinning barrier, so it can wait as long as the others).
  const double loop0 = now();
  while (true) {
    guarded([&] { p.before_sample(); });
    if (device) guarded([&] { device->synchronize(); });
    const double b0 = now();
    comm.barrier();
    const double wait_barrier = now() - b0;
    if (hooks) hooks->before_sample();
    const auto [t, host_t] = timed(m.inner_repetitions);
    if (hooks) hooks->after_sample(t, m.inner_repetitions);
    const double sample = t / m.inner_repetitions;
    if (m.error.empty()) {
      m.samples_s.push_back(sample);
      if (device) m.host_samples_s.push_back(host_t / m.inner_repetitions);
      sorted.insert(std::upper_bound(sorted.begin(), sorted.end(), sample), sample);
      m.timed_s += t;
      if (on_sample) on_sample(m);
    }

    // The stop rule. Every rank evaluates it on its own samples; ranks go on while any wants to,
    // and all stop at once when any was interrupted or failed. One reduction decides:
    // 2 x urgency (0 none, 1 interrupted, 2 failed) + 1 while the rank wants more samples.
    const auto n = static_cast<int>(m.samples_s.size());
    std::string reason;
    int urgency = 0;
    if (!m.error.empty()) {
      urgency = 2;
    } else if (interrupted()) {
      urgency = 1;
    } else if (n >= s.max_repetitions) {
      reason = "max_repetitions_reached";
    } else if (n >= s.repetitions && m.timed_s >= s.min_time_s) {
      const auto hw = relative_ci_halfwidth_sorted(sorted);
      if (hw && *hw <= s.ci_target)
        reason = "ci_target_met";
      else if (m.timed_s >= s.max_time_s)
        reason = "max_time_reached";
    }
    const double d0 = now();
    const long long decision = comm.max(2LL * urgency + (urgency == 0 && reason.empty() ? 1 : 0));
    const double d1 = now();
    if (m.error.empty()) {
      m.collective_wait_s += wait_barrier + (d1 - d0);
      m.loop_s = d1 - loop0;
    }
    if (decision == 1) continue;
    if (decision >= 4)
      m.stop_reason = m.error.empty() ? "failed_on_other_rank" : "failed";
    else if (decision >= 2)
      m.stop_reason = "interrupted";
    else
      m.stop_reason = reason.empty() ? "other_rank_stopped" : reason;
    break;
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
