#pragma once
// The collective operations the runner needs to keep ranks in lockstep. A single process uses
// `local_communicator`; an MPI build provides one over MPI_COMM_WORLD (later issue), so the stop
// rule and the timer stay in one place that every rank runs identically.
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
};

class local_communicator final : public communicator {
 public:
  int rank() const override { return 0; }
  int size() const override { return 1; }
  void barrier() override {}
  bool any(bool local) override { return local; }
  long long max(long long local) override { return local; }
};

}  // namespace mlhpc
