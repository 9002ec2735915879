#pragma once
// An interleaved A/B protocol: two commands (two builds, or one build with two settings) run the
// same `mlhpc run` arguments alternately, round after round, in one job, so that the drift of a
// shared machine falls on both sides alike (Kalibera and Jones, ISMM 2013). Rounds alternate the
// order (AB, BA, AB, ...), so that a trend within a round does not favour one side. Each run
// writes its own result file; the comparison of the rounds is reports::compare_groups.
#include <atomic>
#include <functional>
#include <string>
#include <vector>

namespace mlhpc {

struct ab_plan {
  std::vector<std::string> base_command;  // argv prefix: {"old/bin/mlhpc"}
  std::vector<std::string> new_command;
  std::vector<std::string> run_args;  // {"run", "--suite", "ci"}
  int rounds = 48;
  std::string dir;  // where the result files and logs go (created if missing)
};

struct ab_run {
  std::string side;  // "base" or "new"
  int round = 0;
  std::string result_file, log_file;
  int exit_status = 0;  // of the command; 0 or 1 (a problem failed) leave a result file
  double wall_s = 0;
};

// Splits a command given as one string on white space ("env OMP_PROC_BIND=close bin/mlhpc");
// quotes are not interpreted. Throws usage_error for an empty command.
std::vector<std::string> split_command(const std::string& text, const std::string& what);

// What a protocol did: its runs in the order they ran, and why it stopped early, if it did.
struct ab_outcome {
  std::vector<ab_run> runs;
  // "" when every round ran; otherwise the run that did not finish (its command, status and log)
  // or the interrupt. A run "finishes" when it exits 0 or 1 (its result file is then complete).
  std::string stopped;
  bool interrupted = false;  // `interrupt` was set: the running child was stopped by SIGTERM
};

// Runs the protocol: for each round, both commands with run_args + {"--out", FILE, "--quiet"},
// their output to a log file beside it. Stops at the first run that does not finish (another
// exit status, a signal) and at `interrupt`: then the running child gets SIGTERM (it saves what
// it finished and exits), and SIGKILL after `kill_grace` if it does not; nothing is left
// running. `on_run` is told of each run as it ends (progress). Throws runtime_error only when a
// run cannot be started at all (its log cannot be created, fork fails).
ab_outcome run_ab(const ab_plan& plan, const std::atomic<bool>* interrupt,
                  const std::function<void(const ab_run&)>& on_run = {});

inline constexpr double kill_grace_s = 10.0;

// The rounds in which both sides finished (exit 0 or 1), as pairs of indices into `runs`.
std::vector<std::pair<std::size_t, std::size_t>> finished_rounds(const std::vector<ab_run>& runs);

}  // namespace mlhpc
