#include "mpi/mpi_communicator.hpp"

#include <fmt/format.h>

#include <chrono>
#include <cstdlib>
#include <thread>

#include "bench/error.hpp"

namespace mlhpc::mpi {

void check(int rc, const char* what) {
  if (rc == MPI_SUCCESS) return;
  char text[MPI_MAX_ERROR_STRING];
  int len = 0;
  MPI_Error_string(rc, text, &len);
  MLHPC_FAIL("{}: {}", what, std::string(text, static_cast<std::size_t>(len)));
}

namespace {

constexpr int status_tag = 7;

}  // namespace

bool launched() {
  for (const char* v :
       {"OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_RANK", "PMI_SIZE", "MPI_LOCALNRANKS"})
    if (std::getenv(v) != nullptr) return true;
  return false;
}

std::string launcher_command(int size) {
  if (std::getenv("OMPI_COMM_WORLD_SIZE") == nullptr && std::getenv("SLURM_STEP_ID") != nullptr)
    return fmt::format("srun -n {}", size);
  return fmt::format("mpirun -np {}", size);
}

session::session(int& argc, char**& argv, bool thread_multiple) {
  const int wanted = thread_multiple ? MPI_THREAD_MULTIPLE : MPI_THREAD_SINGLE;
  check(MPI_Init_thread(&argc, &argv, wanted, &m_provided), "MPI_Init_thread");
}

session::~session() {
  int finalized = 0;
  MPI_Finalized(&finalized);
  if (finalized == 0) MPI_Finalize();
}

std::unique_ptr<communicator> world(const session& s) {
  return std::make_unique<mpi_communicator>(MPI_COMM_WORLD, s.thread_level());
}

mpi_communicator::mpi_communicator(MPI_Comm comm, int thread_level) : m_thread_level(thread_level) {
  check(MPI_Comm_dup(comm, &m_comm), "MPI_Comm_dup");
  check(MPI_Comm_dup(comm, &m_side), "MPI_Comm_dup");
  MPI_Comm_rank(m_comm, &m_rank);
  MPI_Comm_size(m_comm, &m_size);
}

mpi_communicator::~mpi_communicator() {
  MPI_Comm_free(&m_side);
  MPI_Comm_free(&m_comm);
}

void mpi_communicator::barrier() {
  check(MPI_Barrier(m_comm), "MPI_Barrier");
}

bool mpi_communicator::any(bool local) {
  int in = local ? 1 : 0, out = 0;
  check(MPI_Allreduce(&in, &out, 1, MPI_INT, MPI_MAX, m_comm), "MPI_Allreduce");
  return out != 0;
}

long long mpi_communicator::max(long long local) {
  long long out = 0;
  check(MPI_Allreduce(&local, &out, 1, MPI_LONG_LONG, MPI_MAX, m_comm), "MPI_Allreduce");
  return out;
}

std::vector<std::string> mpi_communicator::allgather(const std::string& local) {
  if (local.size() > static_cast<std::size_t>(1 << 30))
    MLHPC_FAIL("allgather: {} bytes from one rank, more than 1 GiB", local.size());
  const int n = static_cast<int>(local.size());
  std::vector<int> sizes(static_cast<std::size_t>(m_size));
  check(MPI_Allgather(&n, 1, MPI_INT, sizes.data(), 1, MPI_INT, m_comm), "MPI_Allgather");
  std::vector<int> offsets(sizes.size());
  long long total = 0;
  for (std::size_t i = 0; i < sizes.size(); ++i) {
    offsets[i] = static_cast<int>(total);
    total += sizes[i];
    if (total > (1LL << 31) - 1) MLHPC_FAIL("allgather: more than 2 GiB over all ranks");
  }
  std::string all(static_cast<std::size_t>(total), '\0');
  check(MPI_Allgatherv(local.data(), n, MPI_CHAR, all.data(), sizes.data(), offsets.data(),
                       MPI_CHAR, m_comm),
        "MPI_Allgatherv");
  std::vector<std::string> out;
  for (std::size_t i = 0; i < sizes.size(); ++i)
    out.push_back(
        all.substr(static_cast<std::size_t>(offsets[i]), static_cast<std::size_t>(sizes[i])));
  return out;
}

nlohmann::json mpi_communicator::describe() const {
  char lib[MPI_MAX_LIBRARY_VERSION_STRING];
  int len = 0;
  MPI_Get_library_version(lib, &len);
  std::string library(lib, static_cast<std::size_t>(len));
  while (!library.empty() && (library.back() == '\n' || library.back() == '\0')) library.pop_back();
  int major = 0, minor = 0;
  MPI_Get_version(&major, &minor);
  const char* levels[] = {"MPI_THREAD_SINGLE", "MPI_THREAD_FUNNELED", "MPI_THREAD_SERIALIZED",
                          "MPI_THREAD_MULTIPLE"};
  std::string level = "unknown";
  if (m_thread_level == MPI_THREAD_SINGLE) level = levels[0];
  if (m_thread_level == MPI_THREAD_FUNNELED) level = levels[1];
  if (m_thread_level == MPI_THREAD_SERIALIZED) level = levels[2];
  if (m_thread_level == MPI_THREAD_MULTIPLE) level = levels[3];
  return {{"kind", "mpi"},
          {"size", m_size},
          {"library", library},
          {"standard", fmt::format("{}.{}", major, minor)},
          {"thread_level", level}};
}

void mpi_communicator::abort(int status) {
  MPI_Abort(MPI_COMM_WORLD, status);
  std::_Exit(status);
}

void mpi_communicator::post_status(const std::string& line) {
  // Only where MPI lets a second thread call it while the first waits in a collective.
  if (m_thread_level != MPI_THREAD_MULTIPLE || m_rank == 0) return;
  MPI_Send(line.data(), static_cast<int>(line.size()), MPI_CHAR, 0, status_tag, m_side);
}

std::vector<std::pair<int, std::string>> mpi_communicator::collect_statuses(double wait_s) {
  std::vector<std::pair<int, std::string>> out;
  if (m_thread_level != MPI_THREAD_MULTIPLE || m_rank != 0) return out;
  const auto end = std::chrono::steady_clock::now() + std::chrono::duration<double>(wait_s);
  while (static_cast<int>(out.size()) < m_size - 1 && std::chrono::steady_clock::now() < end) {
    int flag = 0;
    MPI_Status st;
    MPI_Iprobe(MPI_ANY_SOURCE, status_tag, m_side, &flag, &st);
    if (flag == 0) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
      continue;
    }
    int count = 0;
    MPI_Get_count(&st, MPI_CHAR, &count);
    std::string line(static_cast<std::size_t>(count), '\0');
    MPI_Recv(line.data(), count, MPI_CHAR, st.MPI_SOURCE, status_tag, m_side, MPI_STATUS_IGNORE);
    out.emplace_back(st.MPI_SOURCE, line);
  }
  return out;
}

}  // namespace mlhpc::mpi
