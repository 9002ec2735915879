// The data-parallel step's gradient sum over MPI: MPI_Iallreduce in place (MPI_FLOAT, MPI_SUM)
// on a duplicate of the job's communicator, one request per bucket, MPI_Testall between the
// backward pass's operations, MPI_Waitall before the update. Only the main thread calls MPI
// (the step's OpenMP threads never do), within MPI_THREAD_SINGLE as the runner initialises it.
#include "workloads/resnet50/allreduce-mpi.hpp"

#include <fmt/format.h>

#include <chrono>
#include <climits>
#include <thread>

#include "bench/error.hpp"
#include "mpi/mpi_communicator.hpp"

namespace mlhpc::resnet50 {

namespace {

class mpi_allreduce final : public gradient_allreduce {
 public:
  explicit mpi_allreduce(MPI_Comm job) {
    mpi::check(MPI_Comm_dup(job, &m_comm), "MPI_Comm_dup");
    MPI_Comm_size(m_comm, &m_size);
  }
  ~mpi_allreduce() override {
    // Requests still in flight (a step that threw) are completed before the communicator goes.
    if (!m_requests.empty())
      MPI_Waitall(static_cast<int>(m_requests.size()), m_requests.data(), MPI_STATUSES_IGNORE);
    MPI_Comm_free(&m_comm);
  }
  mpi_allreduce(const mpi_allreduce&) = delete;
  mpi_allreduce& operator=(const mpi_allreduce&) = delete;

  int ranks() const override { return m_size; }
  void start(std::span<float> data) override {
    MLHPC_ASSERT(data.size() <= static_cast<std::size_t>(INT_MAX));
    MPI_Request r = MPI_REQUEST_NULL;
    mpi::check(MPI_Iallreduce(MPI_IN_PLACE, data.data(), static_cast<int>(data.size()), MPI_FLOAT,
                              MPI_SUM, m_comm, &r),
               "MPI_Iallreduce");
    m_requests.push_back(r);
  }
  void progress() override {
    if (m_requests.empty()) return;
    int done = 0;
    mpi::check(MPI_Testall(static_cast<int>(m_requests.size()), m_requests.data(), &done,
                           MPI_STATUSES_IGNORE),
               "MPI_Testall");
  }
  void wait_all() override {
    mpi::check(
        MPI_Waitall(static_cast<int>(m_requests.size()), m_requests.data(), MPI_STATUSES_IGNORE),
        "MPI_Waitall");
    m_requests.clear();
  }
  void sleeping_barrier() override {
    MPI_Request r = MPI_REQUEST_NULL;
    mpi::check(MPI_Ibarrier(m_comm, &r), "MPI_Ibarrier");
    for (int done = 0;;) {
      mpi::check(MPI_Test(&r, &done, MPI_STATUS_IGNORE), "MPI_Test");
      if (done != 0) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  }
  std::string describe() const override {
    char lib[MPI_MAX_LIBRARY_VERSION_STRING];
    int len = 0;
    MPI_Get_library_version(lib, &len);
    std::string library(lib, static_cast<std::size_t>(len));
    if (const auto nl = library.find_first_of("\n,"); nl != std::string::npos) library.resize(nl);
    return fmt::format("MPI_Iallreduce in place, MPI_FLOAT, MPI_SUM ({})", library);
  }

 private:
  MPI_Comm m_comm = MPI_COMM_NULL;
  int m_size = 1;
  std::vector<MPI_Request> m_requests;
};

}  // namespace

std::unique_ptr<gradient_allreduce> make_mpi_allreduce(communicator& comm) {
  auto* m = dynamic_cast<mpi::mpi_communicator*>(&comm.base());
  if (m == nullptr)
    MLHPC_FAIL("the data-parallel step needs the job's MPI communicator; this one is '{}'",
               comm.kind());
  return std::make_unique<mpi_allreduce>(m->comm());
}

}  // namespace mlhpc::resnet50
