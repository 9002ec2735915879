#include "bench/watchdog.hpp"

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>

#include "bench/error.hpp"
#include "bench/scratch.hpp"

namespace mlhpc {

namespace {

std::atomic<bool> g_interrupt{false};
std::atomic<int> g_signal{0};
std::atomic<int> g_wake_fd{-1};  // the write end of the watchdog's pipe while a run is on
static_assert(std::atomic<bool>::is_always_lock_free && std::atomic<int>::is_always_lock_free);

extern "C" void on_signal(int sig) {
  const int saved = errno;
  g_signal.store(sig);
  g_interrupt.store(true);
  // write() is async-signal-safe: it wakes the watchdog, which otherwise sleeps in poll().
  if (const int fd = g_wake_fd.load(); fd >= 0) {
    const char byte = 1;
    (void)!::write(fd, &byte, 1);
  }
  errno = saved;
}

long long now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace

void install_interrupt_handlers() {
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
}
const std::atomic<bool>& interrupt_flag() {
  return g_interrupt;
}
bool interrupted() {
  return g_interrupt.load();
}
int interrupted_status() {
  const int sig = g_signal.load();
  return 128 + (sig > 0 ? sig : SIGINT);
}
std::string signal_name() {
  return g_signal.load() == SIGTERM ? "SIGTERM" : "SIGINT";
}

run_watchdog::run_watchdog(std::mutex& mutex, double timeout_s, actions a)
    : m_mutex(mutex), m_timeout_s(timeout_s), m_actions(std::move(a)) {
  if (::pipe2(m_pipe, O_CLOEXEC | O_NONBLOCK) != 0) MLHPC_FAIL("pipe2: {}", std::strerror(errno));
  g_wake_fd.store(m_pipe[1]);
  m_thread = std::thread([this] { watch(); });
}

run_watchdog::~run_watchdog() {
  {
    std::lock_guard lock(m_mutex);
    m_ended = true;
  }
  m_quit.store(true);
  m_cv.notify_all();
  wake();
  m_thread.join();
  g_wake_fd.store(-1);
  ::close(m_pipe[0]);
  ::close(m_pipe[1]);
}

void run_watchdog::wake() {
  const char byte = 0;
  (void)!::write(m_pipe[1], &byte, 1);
}

void run_watchdog::problem_started() {
  if (m_timeout_s <= 0) return;
  m_deadline_ns.store(now_ns() + static_cast<long long>(m_timeout_s * 1e9));
  wake();
}

void run_watchdog::problem_ended() {
  if (m_timeout_s <= 0) return;
  m_deadline_ns.store(0);
  wake();
}

void run_watchdog::run_ended() {
  m_ended = true;
  m_cv.notify_all();
}

void run_watchdog::watch() {
  while (!m_quit.load()) {
    int wait_ms = -1;
    if (const long long d = m_deadline_ns.load(); d > 0) {
      const long long left = d - now_ns();
      if (left <= 0) {
        remove_all_scratch();    // the problem's files go with it
        m_actions.on_timeout();  // does not return
        return;
      }
      wait_ms = static_cast<int>(std::min<long long>(left / 1000000 + 1, 1 << 30));
    }
    pollfd p{m_pipe[0], POLLIN, 0};
    const int n = ::poll(&p, 1, wait_ms);
    if (n < 0 && errno != EINTR) return;
    char buf[64];
    while (::read(m_pipe[0], buf, sizeof buf) > 0) {
    }
    if (m_quit.load()) return;
    if (g_interrupt.load()) break;
  }
  if (m_quit.load()) return;
  // A signal: save what has finished now (under MPI a peer that died leaves this rank waiting
  // in a collective, and the launcher's SIGKILL follows its SIGTERM within seconds), then give
  // the run the grace to stop by itself.
  std::unique_lock lock(m_mutex);
  if (m_ended) return;
  if (m_actions.on_signal_save) m_actions.on_signal_save();
  if (!m_cv.wait_for(lock, interrupt_grace, [this] { return m_ended; })) {
    m_actions.abandon();
    remove_all_scratch();  // files of the problem that did not stop
    std::_Exit(interrupted_status());
  }
}

}  // namespace mlhpc
