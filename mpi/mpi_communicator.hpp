#pragma once
// The communicator over MPI (its own target, mlhpc_mpi, built when MLHPC_WITH_MPI finds MPI):
// bench/ includes no MPI header; the driver starts it through launch.hpp when a launcher
// (mpirun, srun) started the process, and the collective workloads use its MPI_Comm.
#include <mpi.h>

#include <string>

#include "bench/communicator.hpp"
#include "mpi/launch.hpp"

namespace mlhpc::mpi {

// Throws runtime_failure (exit 3) naming the call and MPI's own words when `rc` is an error.
void check(int rc, const char* what);

class mpi_communicator final : public communicator {
 public:
  // Duplicates `comm` (two duplicates: the lockstep's and the watchdog's side channel).
  explicit mpi_communicator(MPI_Comm comm, int thread_level);
  ~mpi_communicator() override;
  mpi_communicator(const mpi_communicator&) = delete;
  mpi_communicator& operator=(const mpi_communicator&) = delete;
  int rank() const override { return m_rank; }
  int size() const override { return m_size; }
  void barrier() override;
  bool any(bool local) override;
  long long max(long long local) override;
  std::vector<std::string> allgather(const std::string& local) override;
  std::string kind() const override { return "mpi"; }
  nlohmann::json describe() const override;
  [[noreturn]] void abort(int status) override;
  void post_status(const std::string& line) override;
  std::vector<std::pair<int, std::string>> collect_statuses(double wait_s) override;
  // For collective workloads: the job's communicator (a duplicate of the world's).
  MPI_Comm comm() const { return m_comm; }

 private:
  MPI_Comm m_comm = MPI_COMM_NULL;
  MPI_Comm m_side = MPI_COMM_NULL;
  int m_rank = 0, m_size = 1;
  int m_thread_level = 0;
};

}  // namespace mlhpc::mpi
