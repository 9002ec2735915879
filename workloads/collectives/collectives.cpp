#include "workloads/collectives/collectives.hpp"

#include <fmt/format.h>

#include <cmath>
#include <cstring>

#include "bench/error.hpp"
#include "bench/fill.hpp"

namespace mlhpc::collectives {

const char* name_of(op o) {
  switch (o) {
    case op::allreduce:
      return "allreduce";
    case op::reduce_scatter:
      return "reduce_scatter";
    case op::allgather:
      return "allgather";
    case op::broadcast:
      return "broadcast";
    case op::alltoall:
      return "alltoall";
  }
  MLHPC_ASSERT(false);
}

double bus_factor(op o, int n) {
  const double d = n;
  switch (o) {
    case op::allreduce:
      return 2.0 * (d - 1) / d;
    case op::reduce_scatter:
    case op::allgather:
    case op::alltoall:
      return (d - 1) / d;
    case op::broadcast:
      return 1.0;
  }
  MLHPC_ASSERT(false);
}

buffers buffers_of(op o, std::size_t count, int n) {
  const auto ranks = static_cast<std::size_t>(n);
  buffers b;
  switch (o) {
    case op::allreduce:
    case op::broadcast:
      b.count = count;
      b.send = b.recv = count;
      break;
    case op::reduce_scatter:
      b.count = count / ranks * ranks;
      b.send = b.count;
      b.recv = b.count / ranks;
      break;
    case op::allgather:
      b.count = count / ranks * ranks;
      b.send = b.count / ranks;
      b.recv = b.count;
      break;
    case op::alltoall:
      b.count = count / ranks * ranks;
      b.send = b.recv = b.count;
      break;
  }
  return b;
}

int element(std::uint64_t seed, int rank, std::size_t i) {
  const std::uint64_t h =
      splitmix64(seed ^ splitmix64(static_cast<std::uint64_t>(rank) * 0x9e3779b97f4a7c15ULL +
                                   static_cast<std::uint64_t>(i)));
  return static_cast<int>(h % 9) - 4;
}

int expected(op o, std::uint64_t seed, int rank, int n, std::size_t j, const buffers& b) {
  const std::size_t chunk = b.count / static_cast<std::size_t>(n);
  switch (o) {
    case op::allreduce: {
      int sum = 0;
      for (int r = 0; r < n; ++r) sum += element(seed, r, j);
      return sum;
    }
    case op::reduce_scatter: {
      int sum = 0;
      for (int r = 0; r < n; ++r)
        sum += element(seed, r, static_cast<std::size_t>(rank) * chunk + j);
      return sum;
    }
    case op::allgather:
      return element(seed, static_cast<int>(j / chunk), j % chunk);
    case op::broadcast:
      return element(seed, 0, j);
    case op::alltoall:
      return element(seed, static_cast<int>(j / chunk),
                     static_cast<std::size_t>(rank) * chunk + j % chunk);
  }
  MLHPC_ASSERT(false);
}

std::uint16_t to_f16(float f) {
  std::uint32_t x = 0;
  std::memcpy(&x, &f, 4);
  const std::uint32_t sign = (x >> 16) & 0x8000u;
  const std::uint32_t mag = x & 0x7fffffffu;
  if (mag >= 0x7f800000u)  // inf or NaN
    return static_cast<std::uint16_t>(sign | 0x7c00u | (mag > 0x7f800000u ? 0x200u : 0u));
  if (mag >= 0x477ff000u) return static_cast<std::uint16_t>(sign | 0x7c00u);  // overflow
  if (mag < 0x38800000u) {  // subnormal half or zero
    if (mag < 0x33000000u) return static_cast<std::uint16_t>(sign);
    const std::uint32_t e = mag >> 23;
    const std::uint32_t m = (mag & 0x7fffffu) | 0x800000u;
    const std::uint32_t shift = 126 - e;  // 14 + (112 - e) ... right shift to the half ulp
    std::uint32_t h = m >> (shift);
    const std::uint32_t rem = m & ((1u << shift) - 1);
    const std::uint32_t half = 1u << (shift - 1);
    if (rem > half || (rem == half && (h & 1u))) ++h;
    return static_cast<std::uint16_t>(sign | h);
  }
  std::uint32_t h = ((mag - 0x38000000u) >> 13);
  const std::uint32_t rem = mag & 0x1fffu;
  if (rem > 0x1000u || (rem == 0x1000u && (h & 1u))) ++h;
  return static_cast<std::uint16_t>(sign | h);
}

float from_f16(std::uint16_t h) {
  const std::uint32_t sign = static_cast<std::uint32_t>(h & 0x8000u) << 16;
  std::uint32_t e = (h >> 10) & 0x1fu;
  std::uint32_t m = h & 0x3ffu;
  std::uint32_t x = 0;
  if (e == 0x1f) {
    x = sign | 0x7f800000u | (m << 13);
  } else if (e == 0) {
    if (m == 0) {
      x = sign;
    } else {  // subnormal: normalise
      e = 113;
      while ((m & 0x400u) == 0) {
        m <<= 1;
        --e;
      }
      x = sign | (e << 23) | ((m & 0x3ffu) << 13);
    }
  } else {
    x = sign | ((e + 112) << 23) | (m << 13);
  }
  float f = 0;
  std::memcpy(&f, &x, 4);
  return f;
}

namespace {

// 8 B to 1 GiB by factors of 2: the default sweep (nccl-tests' -b 8 -e 1G -f 2).
std::string default_sizes() {
  std::string out;
  for (std::uint64_t b = 8; b <= (1ULL << 30); b *= 2) {
    if (!out.empty()) out += ',';
    out += std::to_string(b);
  }
  return out;
}

class collective_workload final : public workload {
 public:
  collective_workload(op o, std::shared_ptr<const backend> b, std::string why)
      : m_op(o), m_backend(std::move(b)), m_why(std::move(why)) {}
  std::string name() const override { return name_of(m_op); }
  std::string description() const override {
    switch (m_op) {
      case op::allreduce:
        return "MPI_Allreduce (sum) across the job's ranks: latency per call, algbw and busbw "
               "as nccl-tests defines them, every size checked";
      case op::reduce_scatter:
        return "MPI_Reduce_scatter_block (sum): sharded data parallelism's gradient step";
      case op::allgather:
        return "MPI_Allgather: sharded data parallelism's parameter gather";
      case op::broadcast:
        return "MPI_Bcast from rank 0";
      case op::alltoall:
        return "MPI_Alltoall: expert and sequence parallelism's exchange";
    }
    return "";
  }
  std::vector<variant_info> variants() const override {
    return {{"mpi", "the MPI library the job was launched with"}};
  }
  std::vector<param_spec> parameters(const std::string&) const override {
    std::vector<param_spec> p = {
        {.name = "bytes",
         .type = param_type::integer,
         .default_value = default_sizes(),
         .help = "size S as nccl-tests counts it (default 8 B to 1 GiB by x2)",
         .min_value = 2,
         .max_value = std::int64_t{1} << 34},
        {.name = "dtype",
         .type = param_type::choice,
         .default_value = "f32",
         .help = "element type; bf16 and f16 reduce through a user-defined MPI_Op",
         .choices = {"f32", "f64", "bf16", "f16"}}};
    if (m_op != op::broadcast)
      p.push_back({.name = "in_place",
                   .type = param_type::boolean,
                   .default_value = "false",
                   .help = "MPI_IN_PLACE: the receive buffer holds the input"});
    return p;
  }
  void check(const std::string&, const problem_params& p) const override {
    const std::size_t e = storage_bytes(parse_dtype(p.get("dtype"), name() + "'s dtype"));
    const auto bytes = static_cast<std::size_t>(p.get_int("bytes"));
    if (bytes % e != 0)
      throw usage_error(
          fmt::format("{} bytes={}: expected a multiple of the {} element size ({} "
                      "B)",
                      name(), bytes, p.get("dtype"), e));
  }
  support supported(const std::string&, const problem_params&) const override {
    if (!m_backend) return support::no(m_why);
    return support::yes();
  }
  support supported_with(const std::string&, const communicator& comm) const override {
    if (!m_backend) return support::no(m_why);
    return m_backend->supported_with(comm);
  }
  bool collective(const std::string&) const override { return true; }
  std::uint64_t footprint_bytes(const std::string&, const problem_params& p) const override {
    // Send and receive buffers of at most S each (alltoall, allreduce).
    return 2 * static_cast<std::uint64_t>(p.get_int("bytes"));
  }
  std::unique_ptr<problem> create(const std::string&, const problem_params& p,
                                  const problem_env& env) const override {
    MLHPC_ASSERT(m_backend != nullptr);
    spec s;
    s.kind = m_op;
    s.bytes = static_cast<std::size_t>(p.get_int("bytes"));
    s.type = parse_dtype(p.get("dtype"), name() + "'s dtype");
    s.in_place = p.has("in_place") && p.get_bool("in_place");
    return m_backend->create(s, env);
  }
  nlohmann::json libraries() const override {
    return m_backend ? m_backend->libraries() : nlohmann::json::object();
  }

 private:
  op m_op;
  std::shared_ptr<const backend> m_backend;
  std::string m_why;
};

}  // namespace

std::vector<std::unique_ptr<workload>> make_workloads(std::shared_ptr<const backend> b,
                                                      std::string why_missing) {
  std::vector<std::unique_ptr<workload>> out;
  for (op o : {op::allreduce, op::reduce_scatter, op::allgather, op::broadcast, op::alltoall})
    out.push_back(std::make_unique<collective_workload>(o, b, why_missing));
  return out;
}

}  // namespace mlhpc::collectives
