#include "bench/ab.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstring>
#include <filesystem>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "bench/error.hpp"
#include "bench/files.hpp"

namespace mlhpc {

std::vector<std::string> split_command(const std::string& text, const std::string& what) {
  std::istringstream in(text);
  std::vector<std::string> out;
  std::string word;
  while (in >> word) out.push_back(word);
  if (out.empty())
    throw usage_error(
        fmt::format("{} '{}': expected a command (the mlhpc to run, e.g. "
                    "build/bin/mlhpc)",
                    what, text));
  return out;
}

namespace {

// fork + execvp with stdout and stderr to `log`; returns the exit status (128 + signal when
// killed by one, 127 when the command cannot be run). The child is waited for by polling, so
// that an interrupt of this process is seen while the child runs (or hangs): it is passed on
// as SIGTERM, and SIGKILL follows after kill_grace_s.
int run_command(const std::vector<std::string>& argv, const std::string& log,
                const std::atomic<bool>* interrupt) {
  // A new file only: a link or anything else planted at the log's name is never followed or
  // truncated (each round's log has its own name in the protocol's directory).
  const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
  if (fd < 0)
    throw std::runtime_error(fmt::format("cannot create '{}': {}", log, std::strerror(errno)));
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  const pid_t pid = ::fork();
  if (pid < 0) {
    ::close(fd);
    throw std::runtime_error(fmt::format("fork failed: {}", std::strerror(errno)));
  }
  if (pid == 0) {
    ::dup2(fd, STDOUT_FILENO);
    ::dup2(fd, STDERR_FILENO);
    ::execvp(args[0], args.data());
    const std::string msg = fmt::format("cannot run '{}': {}\n", argv[0], std::strerror(errno));
    (void)!::write(STDERR_FILENO, msg.data(), msg.size());
    ::_exit(127);
  }
  ::close(fd);
  int status = 0;
  using clock = std::chrono::steady_clock;
  std::optional<clock::time_point> terminated;
  bool killed = false;
  while (true) {
    const pid_t got = ::waitpid(pid, &status, WNOHANG);
    if (got == pid) break;
    if (got < 0 && errno != EINTR)
      throw std::runtime_error(fmt::format("waitpid: {}", std::strerror(errno)));
    if (interrupt != nullptr && interrupt->load() && !terminated) {
      ::kill(pid, SIGTERM);
      terminated = clock::now();
    }
    if (terminated && !killed &&
        std::chrono::duration<double>(clock::now() - *terminated).count() > kill_grace_s) {
      ::kill(pid, SIGKILL);
      killed = true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return 255;
}

std::string joined(const std::vector<std::string>& argv) {
  std::string cmd;
  for (const auto& a : argv) {
    if (!cmd.empty()) cmd += ' ';
    cmd += a;
  }
  return cmd;
}

}  // namespace

ab_outcome run_ab(const ab_plan& plan, const std::atomic<bool>* interrupt,
                  const std::function<void(const ab_run&)>& on_run) {
  MLHPC_ASSERT(plan.rounds >= 1);
  make_directories(plan.dir, "--dir");
  ab_outcome out;
  for (int round = 1; round <= plan.rounds; ++round) {
    // AB in odd rounds, BA in even ones.
    const bool base_first = round % 2 == 1;
    for (int k = 0; k < 2; ++k) {
      if (interrupt != nullptr && interrupt->load()) {
        out.interrupted = true;
        out.stopped = fmt::format("interrupted before round {}", round);
        return out;
      }
      const bool base = (k == 0) == base_first;
      ab_run r;
      r.side = base ? "base" : "new";
      r.round = round;
      r.result_file =
          (std::filesystem::path(plan.dir) / fmt::format("{}-{}.json", r.side, round)).string();
      r.log_file =
          (std::filesystem::path(plan.dir) / fmt::format("{}-{}.log", r.side, round)).string();
      std::vector<std::string> argv = base ? plan.base_command : plan.new_command;
      argv.insert(argv.end(), plan.run_args.begin(), plan.run_args.end());
      argv.insert(argv.end(), {"--out", r.result_file, "--quiet"});
      const auto t0 = std::chrono::steady_clock::now();
      r.exit_status = run_command(argv, r.log_file, interrupt);
      r.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      out.runs.push_back(r);
      if (on_run) on_run(r);
      if (interrupt != nullptr && interrupt->load()) {
        out.interrupted = true;
        out.stopped = fmt::format("interrupted during round {} ({}; its run exited with status {})",
                                  round, r.side, r.exit_status);
        return out;
      }
      if (r.exit_status != 0 && r.exit_status != 1) {
        out.stopped = fmt::format(
            "round {}, {}: '{}' did not finish: exit status {}{} (see {})", round, r.side,
            joined(argv), r.exit_status,
            r.exit_status > 128 ? fmt::format(", signal {}", r.exit_status - 128) : std::string(),
            r.log_file);
        return out;
      }
    }
  }
  return out;
}

std::vector<std::pair<std::size_t, std::size_t>> finished_rounds(const std::vector<ab_run>& runs) {
  std::vector<std::pair<std::size_t, std::size_t>> out;
  const auto done = [](const ab_run& r) { return r.exit_status == 0 || r.exit_status == 1; };
  for (std::size_t i = 0; i < runs.size(); ++i) {
    if (runs[i].side != "base" || !done(runs[i])) continue;
    for (std::size_t j = 0; j < runs.size(); ++j)
      if (runs[j].side == "new" && runs[j].round == runs[i].round && done(runs[j]))
        out.emplace_back(i, j);
  }
  return out;
}

}  // namespace mlhpc
