#pragma once
// Runs a command with arguments (no shell), capturing stdout, stderr and the exit status.
#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/build_config.hpp"

namespace mlhpc::test {

struct process_result {
  int status = -1;  // exit code, or 128 + signal
  std::string out, err;
};

inline std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// `signal_after_s` > 0 sends SIGINT to the child that many seconds after `signal_once` appears
// on its stderr (at once when empty; after 60 s at the latest, so that a slow host delays the
// signal rather than the test landing it before the work began); `address_space` > 0 limits the
// child's virtual memory (RLIMIT_AS), so that large allocations really fail.
// `signal_number` is the signal sent (SIGINT unless given).
inline process_result run_process(const std::vector<std::string>& args, double signal_after_s = 0,
                                  rlim_t address_space = 0, const std::string& signal_once = "",
                                  int signal_number = SIGINT) {
  char out_tpl[] = "/tmp/mlhpc-test-out-XXXXXX";
  char err_tpl[] = "/tmp/mlhpc-test-err-XXXXXX";
  const int out_fd = mkstemp(out_tpl);
  const int err_fd = mkstemp(err_tpl);
  const pid_t pid = fork();
  if (pid == 0) {
    if (address_space > 0) {
      const rlimit lim{address_space, address_space};
      setrlimit(RLIMIT_AS, &lim);
    }
    dup2(out_fd, STDOUT_FILENO);
    dup2(err_fd, STDERR_FILENO);
    const int devnull = open("/dev/null", O_RDONLY);
    dup2(devnull, STDIN_FILENO);
    std::vector<char*> argv;
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    execv(argv[0], argv.data());
    _exit(127);
  }
  if (signal_after_s > 0) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    auto running = [pid] {  // without reaping it: the status is collected below
      siginfo_t info{};
      return waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOHANG | WNOWAIT) == 0 &&
             info.si_pid == 0;
    };
    while (!signal_once.empty() && std::chrono::steady_clock::now() < deadline && running() &&
           slurp(err_tpl).find(signal_once) == std::string::npos)
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    std::this_thread::sleep_for(std::chrono::duration<double>(signal_after_s));
    kill(pid, signal_number);
  }
  int st = 0;
  waitpid(pid, &st, 0);
  close(out_fd);
  close(err_fd);
  process_result r;
  r.status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
  r.out = slurp(out_tpl);
  r.err = slurp(err_tpl);
  unlink(out_tpl);
  unlink(err_tpl);
  return r;
}

inline process_result mlhpc(std::vector<std::string> args, double signal_after_s = 0,
                            rlim_t address_space = 0, const std::string& signal_once = "") {
  args.insert(args.begin(), test::build::mlhpc_bin);
  return run_process(args, signal_after_s, address_space, signal_once);
}

}  // namespace mlhpc::test
