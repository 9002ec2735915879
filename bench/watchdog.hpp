#pragma once
// Signals and time limits of a run. SIGINT and SIGTERM set a flag the runner reads between
// samples (every rank stops at the same sample); a single repetition can last much longer than
// that, and under MPI a rank can wait for a dead peer forever, so the watchdog bounds both:
//  - on a signal it saves what has finished at once (`on_signal_save`), gives the run
//    `interrupt_grace` to stop by itself, then calls `abandon` and ends the process;
//  - with a per-problem time limit (--timeout) it calls `on_timeout` when a problem runs
//    longer, which names the rank and what it was doing, saves, and ends the job.
// Its thread sleeps in poll() on a pipe that only the signal handler, the run's own problem
// start/end notices and its destructor write to: nothing wakes it while samples are timed.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

namespace mlhpc {

// Installs the SIGINT and SIGTERM handlers (idempotent).
void install_interrupt_handlers();
// Set by the handlers; read by the runner between samples.
const std::atomic<bool>& interrupt_flag();
bool interrupted();
// 128 + the signal, as a shell reports a process that a signal ended: 130 SIGINT, 143 SIGTERM.
int interrupted_status();
// "SIGINT" or "SIGTERM".
std::string signal_name();

inline constexpr auto interrupt_grace = std::chrono::seconds(2);

class run_watchdog {
 public:
  struct actions {
    std::function<void()> on_signal_save;  // with `mutex` held: save the finished results
    std::function<void()> abandon;         // with `mutex` held: the run did not stop in time
    std::function<void()> on_timeout;      // without the mutex: a problem exceeded the limit;
                                           // must not return (it ends the job)
  };
  // `timeout_s` <= 0: no time limit.
  run_watchdog(std::mutex& mutex, double timeout_s, actions a);
  run_watchdog(const run_watchdog&) = delete;
  run_watchdog& operator=(const run_watchdog&) = delete;
  ~run_watchdog();
  // A problem starts or ends: the time limit runs from the start.
  void problem_started();
  void problem_ended();
  // The run reached its end by itself (call with the mutex held): the watchdog does nothing.
  void run_ended();

 private:
  void watch();
  void wake();
  std::mutex& m_mutex;
  double m_timeout_s;
  actions m_actions;
  std::condition_variable m_cv;
  bool m_ended = false;  // under m_mutex
  std::atomic<bool> m_quit{false};
  std::atomic<long long> m_deadline_ns{0};  // steady clock; 0: no problem running
  int m_pipe[2] = {-1, -1};
  std::thread m_thread;
};

}  // namespace mlhpc
