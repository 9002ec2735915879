#pragma once
// The collective operations the runner needs to keep ranks in lockstep. A single process uses
// `local_communicator`; an MPI build adds `mpi_communicator` (mpi/, its own target), so
// that the stop rule and the timer stay in one place that every rank runs identically and no
// MPI header is included here.
#include <nlohmann/json.hpp>

#include <string>
#include <utility>
#include <vector>

namespace mlhpc {

class communicator {
 public:
  virtual ~communicator() = default;
  virtual int rank() const = 0;
  virtual int size() const = 0;
  // All ranks reach this point before any leaves it.
  virtual void barrier() = 0;
  // True on every rank when `local` is true on at least one rank.
  virtual bool any(bool local) = 0;
  // The largest `local` over all ranks, on every rank.
  virtual long long max(long long local) = 0;
  // Every rank's `local`, in rank order, on every rank.
  virtual std::vector<std::string> allgather(const std::string& local) = 0;
  // "local" or "mpi".
  virtual std::string kind() const = 0;
  // What the context records of it: {"kind", "size", and for MPI "library", "version"}.
  virtual nlohmann::json describe() const = 0;
  // Ends every rank of the job now with `status` (a rank that hangs cannot be waited for).
  [[noreturn]] virtual void abort(int status) = 0;
  // A side channel that works while other threads of the rank wait in a collective (the
  // watchdog uses it when a problem times out): a rank other than 0 posts one line for rank 0;
  // rank 0 collects, for at most `wait_s`, the lines of up to size() - 1 ranks.
  virtual void post_status(const std::string& line) = 0;
  virtual std::vector<std::pair<int, std::string>> collect_statuses(double wait_s) = 0;
  // The communicator itself under any decorator (the runner watches the one it is given): what
  // a collective workload casts to its implementation.
  virtual communicator& base() { return *this; }
  virtual const communicator& base() const { return *this; }
};

class local_communicator final : public communicator {
 public:
  int rank() const override { return 0; }
  int size() const override { return 1; }
  void barrier() override {}
  bool any(bool local) override { return local; }
  long long max(long long local) override { return local; }
  std::vector<std::string> allgather(const std::string& local) override { return {local}; }
  std::string kind() const override { return "local"; }
  nlohmann::json describe() const override { return {{"kind", "local"}, {"size", 1}}; }
  [[noreturn]] void abort(int status) override;
  void post_status(const std::string&) override {}
  std::vector<std::pair<int, std::string>> collect_statuses(double) override { return {}; }
};

// The first rank whose `local` message is not empty, with its message; rank -1 when every
// rank's is empty. Collective: every rank must call it at the same point.
struct rank_error {
  int rank = -1;
  std::string message;
  explicit operator bool() const { return rank >= 0; }
};
rank_error first_error(communicator& comm, const std::string& local);

}  // namespace mlhpc
