#pragma once
// Starting MPI, without the MPI header: the driver includes this one, so that nothing under
// bench/ includes <mpi.h> (the communicator itself is mpi_communicator.hpp, for the collective
// workloads). Built in the mlhpc_mpi target when MLHPC_WITH_MPI finds MPI.
#include <memory>
#include <string>

#include "bench/communicator.hpp"

namespace mlhpc::mpi {

// True when an MPI launcher started this process (Open MPI's mpirun, Slurm's srun with PMI or
// PMIx, MPICH's hydra): a plain `mlhpc run` never initialises MPI.
bool launched();

// "mpirun -np 4" or "srun -n 4": how the repro line should start.
std::string launcher_command(int size);

// MPI_Init_thread and MPI_Finalize. Only the main thread calls MPI (the workloads' OpenMP
// threads and the watchdog never do), so MPI_THREAD_SINGLE is asked for, as MPI_Init and the OSU
// benchmarks do: Open MPI 4.1 takes its thread-safety paths above it, and small messages pay for
// them (an 8 B allreduce on 2 ranks: FUNNELED / SINGLE 1.05-1.37, median 1.17 over 10
// interleaved runs; MULTIPLE / FUNNELED up to 1.4x at 256 B). MPI_THREAD_MULTIPLE only for a run
// with --timeout: its watchdog thread then reports to rank 0 while the main thread waits in a
// collective.
class session {
 public:
  session(int& argc, char**& argv, bool thread_multiple);
  session(const session&) = delete;
  session& operator=(const session&) = delete;
  ~session();
  int thread_level() const { return m_provided; }

 private:
  int m_provided = 0;
};

// The job's communicator: a duplicate of MPI_COMM_WORLD.
std::unique_ptr<communicator> world(const session& s);

}  // namespace mlhpc::mpi
