// The MPI backend of the collectives: the operation on the job's communicator (a duplicate of
// MPI_COMM_WORLD held by mpi/), with MPI_FLOAT or MPI_DOUBLE, and for bf16 and f16, which
// MPI has no type for, MPI_UINT16_T with a user-defined sum (MPI_Op_create) that adds in f32 and
// rounds back to the type (recorded in the result's details).
#include "workloads/collectives/collectives-mpi.hpp"

#include <fmt/format.h>

#include <cstdlib>
#include <cstring>
#include <new>

#include "bench/error.hpp"
#include "bench/fill.hpp"
#include "mpi/mpi_communicator.hpp"

namespace mlhpc::collectives {

namespace {

extern "C" void sum_bf16(void* in, void* inout, int* len, MPI_Datatype*) {
  const auto* a = static_cast<const std::uint16_t*>(in);
  auto* b = static_cast<std::uint16_t*>(inout);
  for (int i = 0; i < *len; ++i) b[i] = to_bf16(from_bf16(a[i]) + from_bf16(b[i]));
}
extern "C" void sum_f16(void* in, void* inout, int* len, MPI_Datatype*) {
  const auto* a = static_cast<const std::uint16_t*>(in);
  auto* b = static_cast<std::uint16_t*>(inout);
  for (int i = 0; i < *len; ++i) b[i] = to_f16(from_f16(a[i]) + from_f16(b[i]));
}

// A page-aligned buffer (64-byte alignment would do for MPI; pages keep large buffers apart).
struct aligned_buffer {
  explicit aligned_buffer(std::size_t bytes)
      : size(bytes),
        data(static_cast<unsigned char*>(
            ::operator new[](std::max<std::size_t>(bytes, 64), std::align_val_t{4096}))) {}
  ~aligned_buffer() { ::operator delete[](data, std::align_val_t{4096}); }
  aligned_buffer(const aligned_buffer&) = delete;
  aligned_buffer& operator=(const aligned_buffer&) = delete;
  std::size_t size;
  unsigned char* data;
};

void store(dtype t, unsigned char* p, std::size_t i, int v) {
  if (t == dtype::f32) {
    const float f = static_cast<float>(v);
    std::memcpy(p + i * 4, &f, 4);
  } else if (t == dtype::f64) {
    const double d = v;
    std::memcpy(p + i * 8, &d, 8);
  } else {
    const std::uint16_t h =
        t == dtype::bf16 ? to_bf16(static_cast<float>(v)) : to_f16(static_cast<float>(v));
    std::memcpy(p + i * 2, &h, 2);
  }
}

double load(dtype t, const unsigned char* p, std::size_t i) {
  if (t == dtype::f32) {
    float f = 0;
    std::memcpy(&f, p + i * 4, 4);
    return f;
  }
  if (t == dtype::f64) {
    double d = 0;
    std::memcpy(&d, p + i * 8, 8);
    return d;
  }
  std::uint16_t h = 0;
  std::memcpy(&h, p + i * 2, 2);
  return t == dtype::bf16 ? from_bf16(h) : from_f16(h);
}

class mpi_problem final : public problem {
 public:
  // A collective waits on the network (and on the other ranks) by design.
  bool waits_by_design() const override { return true; }
  mpi_problem(const spec& s, const problem_env& env, MPI_Comm comm)
      : m_spec(s), m_seed(env.seed), m_comm(comm) {
    MPI_Comm_rank(comm, &m_rank);
    MPI_Comm_size(comm, &m_size);
    m_elem = storage_bytes(s.type);
    m_buf = buffers_of(s.kind, s.bytes / m_elem, m_size);
    if (m_buf.recv == 0 || m_buf.send == 0)
      throw usage_error(
          fmt::format("{} bytes={}: on {} ranks each rank's share is empty; "
                      "expected at least {} bytes ({} elements of {} B per rank)",
                      name_of(s.kind), s.bytes, m_size, m_size * m_elem, m_size, m_elem));
    if (m_buf.count > static_cast<std::size_t>(INT32_MAX))
      throw usage_error(fmt::format("{} bytes={}: {} elements, more than MPI's int count",
                                    name_of(s.kind), s.bytes, m_buf.count));
    if (s.type == dtype::f32) m_type = MPI_FLOAT;
    if (s.type == dtype::f64) m_type = MPI_DOUBLE;
    if (s.type == dtype::bf16 || s.type == dtype::f16) m_type = MPI_UINT16_T;
    const bool reduces = s.kind == op::allreduce || s.kind == op::reduce_scatter;
    if (reduces && (s.type == dtype::bf16 || s.type == dtype::f16)) {
      mpi::check(MPI_Op_create(s.type == dtype::bf16 ? sum_bf16 : sum_f16, 1, &m_op),
                 "MPI_Op_create");
      m_user_op = true;
    }
  }
  ~mpi_problem() override {
    if (m_user_op) MPI_Op_free(&m_op);
  }

  void setup() override {
    // In place, the receive buffer holds the input (reduce_scatter: the whole input; allgather:
    // this rank's block at its offset); otherwise a separate send buffer does.
    const bool separate = !m_spec.in_place && m_spec.kind != op::broadcast;
    m_send = std::make_unique<aligned_buffer>(separate ? m_buf.send * m_elem : 0);
    const std::size_t recv_elems =
        m_spec.in_place && m_spec.kind == op::reduce_scatter ? m_buf.send : m_buf.recv;
    m_recv = std::make_unique<aligned_buffer>(recv_elems * m_elem);
    fill();
  }

  work_model work() const override {
    work_model w;
    const double s = static_cast<double>(m_buf.count * m_elem);
    w.bytes = s;
    if (m_size > 1) w.bus_bytes = s * bus_factor(m_spec.kind, m_size);
    return w;
  }

  int minimum_warmup() const override {
    return m_buf.count * m_elem <= 8192 ? 100 : 10;  // OSU's warm-up
  }

  void run() override {
    const int send = static_cast<int>(m_buf.send);
    const int recv = static_cast<int>(m_buf.recv);
    void* sb = m_spec.in_place ? MPI_IN_PLACE : m_send->data;
    void* rb = m_recv->data;
    switch (m_spec.kind) {
      case op::allreduce:
        mpi::check(MPI_Allreduce(sb, rb, send, m_type, m_op, m_comm), "MPI_Allreduce");
        break;
      case op::reduce_scatter:
        mpi::check(MPI_Reduce_scatter_block(sb, rb, recv, m_type, m_op, m_comm),
                   "MPI_Reduce_scatter_block");
        break;
      case op::allgather:
        mpi::check(MPI_Allgather(sb, send, m_type, rb, send, m_type, m_comm), "MPI_Allgather");
        break;
      case op::broadcast:
        mpi::check(MPI_Bcast(rb, recv, m_type, 0, m_comm), "MPI_Bcast");
        break;
      case op::alltoall: {
        const int chunk = recv / m_size;
        mpi::check(MPI_Alltoall(sb, chunk, m_type, rb, chunk, m_type, m_comm), "MPI_Alltoall");
        break;
      }
    }
  }

  // The timed calls reduce their own output again when in place, and broadcast leaves the
  // root's data everywhere: the input is written afresh, one call made, and every received
  // element compared with what the ranks' seeded data must give.
  verification verify() override {
    fill();
    run();
    std::size_t wrong = 0, first = 0;
    double got_first = 0;
    int want_first = 0;
    for (std::size_t j = 0; j < m_buf.recv; ++j) {
      const int want = expected(m_spec.kind, m_seed, m_rank, m_size, j, m_buf);
      const double got = load(m_spec.type, m_recv->data, j);
      if (got != static_cast<double>(want)) {
        if (wrong == 0) {
          first = j;
          got_first = got;
          want_first = want;
        }
        ++wrong;
      }
    }
    verification v;
    v.metric = "wrong_elements";
    v.error = static_cast<double>(wrong);
    v.tolerance = 0;
    v.status = wrong == 0 ? verification::state::passed : verification::state::failed;
    v.detail = fmt::format(
        "rank {}: {} received elements against the sum or copy of every rank's seeded integers "
        "in [-4, 4] (exact in {})",
        m_rank, m_buf.recv, to_string(m_spec.type));
    if (wrong > 0)
      v.detail += fmt::format("; {} wrong, the first at {}: {} instead of {}", wrong, first,
                              got_first, want_first);
    return v;
  }

  void teardown() override {
    m_send.reset();
    m_recv.reset();
  }

  nlohmann::json details() const override {
    nlohmann::json d = {
        {"operation", name_of(m_spec.kind)},
        {"ranks", m_size},
        {"size_bytes", m_buf.count * m_elem},
        {"requested_bytes", m_spec.bytes},
        {"send_elements", m_buf.send},
        {"recv_elements", m_buf.recv},
        {"in_place", m_spec.in_place},
        {"bus_factor", bus_factor(m_spec.kind, m_size)},
        {"definitions",
         "nccl-tests: algbw = size / time (bytes_per_s), busbw = algbw x bus_factor "
         "(bus_bytes_per_s); time per call on each rank as OSU times it; the headline is the "
         "slowest rank's"},
        {"inputs", "integers in [-4, 4] from splitmix64(seed, rank, index)"}};
    if (m_spec.type == dtype::bf16 || m_spec.type == dtype::f16) {
      d["mpi_datatype"] = "MPI_UINT16_T";
      if (m_user_op)
        d["reduction"] = fmt::format(
            "user-defined MPI_Op (MPI_Op_create, commutative): each pair of {} elements added "
            "in f32 and rounded to nearest even; MPI has no {} type",
            to_string(m_spec.type), to_string(m_spec.type));
    } else {
      d["mpi_datatype"] = m_spec.type == dtype::f32 ? "MPI_FLOAT" : "MPI_DOUBLE";
      if (m_spec.kind == op::allreduce || m_spec.kind == op::reduce_scatter)
        d["reduction"] = "MPI_SUM";
    }
    if (m_buf.count * m_elem != m_spec.bytes)
      d["rounding"] = fmt::format("{} B requested; rounded down to a multiple of {} ranks x {} B",
                                  m_spec.bytes, m_size, m_elem);
    return d;
  }

 private:
  void fill() {
    unsigned char* dst = nullptr;
    std::size_t offset = 0, n = m_buf.send;
    if (m_spec.kind == op::broadcast) {
      dst = m_recv->data;
      // Only the root's data is sent; the others start from zeros so that a missing broadcast
      // shows.
      if (m_rank != 0) {
        std::memset(dst, 0, m_recv->size);
        return;
      }
    } else if (!m_spec.in_place) {
      dst = m_send->data;
      std::memset(m_recv->data, 0, m_recv->size);
    } else {
      dst = m_recv->data;
      std::memset(dst, 0, m_recv->size);
      if (m_spec.kind == op::allgather) offset = static_cast<std::size_t>(m_rank) * m_buf.send;
    }
    for (std::size_t i = 0; i < n; ++i)
      store(m_spec.type, dst, offset + i, element(m_seed, m_rank, i));
  }

  spec m_spec;
  std::uint64_t m_seed;
  MPI_Comm m_comm;
  int m_rank = 0, m_size = 1;
  std::size_t m_elem = 4;
  buffers m_buf;
  MPI_Datatype m_type = MPI_FLOAT;
  MPI_Op m_op = MPI_SUM;
  bool m_user_op = false;
  std::unique_ptr<aligned_buffer> m_send, m_recv;
};

class mpi_backend final : public backend {
 public:
  support supported_with(const communicator& comm) const override {
    const auto* mpi = dynamic_cast<const mpi::mpi_communicator*>(&comm.base());
    if (mpi == nullptr)
      return support::no(
          "a collective needs an MPI launch: run it as 'mpirun -np 2 mlhpc run -w ...' (or srun); "
          "this process was not started by an MPI launcher");
    if (mpi->size() < 2)
      return support::no(fmt::format(
          "a collective needs 2 ranks or more (this job has {}): its bus bandwidth would be 0",
          mpi->size()));
    return support::yes();
  }
  std::unique_ptr<problem> create(const spec& s, const problem_env& env) const override {
    MLHPC_ASSERT(env.comm != nullptr);
    auto* mpi = dynamic_cast<mpi::mpi_communicator*>(&env.comm->base());
    MLHPC_ASSERT(mpi != nullptr);
    return std::make_unique<mpi_problem>(s, env, mpi->comm());
  }
  nlohmann::json libraries() const override {
    char lib[MPI_MAX_LIBRARY_VERSION_STRING];
    int len = 0;
    MPI_Get_library_version(lib, &len);
    std::string text(lib, static_cast<std::size_t>(len));
    while (!text.empty() && (text.back() == '\n' || text.back() == '\0')) text.pop_back();
    return {{"mpi", {{"version", text}}}};
  }
};

}  // namespace

std::shared_ptr<const backend> make_mpi_backend() {
  return std::make_shared<mpi_backend>();
}

}  // namespace mlhpc::collectives
