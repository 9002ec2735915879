#include "workloads/stream/stream.hpp"

#include <fmt/format.h>

#include <sys/mman.h>
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <optional>

#include "bench/context.hpp"
#include "bench/error.hpp"
#include "bench/fill.hpp"
#include "bench/sysfs.hpp"

namespace mlhpc::stream {

namespace {

constexpr double kScalar = 3.0;

struct kernel_desc {
  const char* name;
  int arrays;
  int bytes_per_element;
  int flops_per_element;
  const char* formula;
};
const kernel_desc kKernels[] = {{"copy", 2, 16, 0, "c[i] = a[i]"},
                                {"scale", 2, 16, 1, "b[i] = s * c[i]"},
                                {"add", 3, 24, 1, "c[i] = a[i] + b[i]"},
                                {"triad", 3, 24, 2, "a[i] = b[i] + s * c[i]"}};

const kernel_desc& find_kernel(const std::string& v) {
  for (const auto& k : kKernels)
    if (v == k.name) return k;
  MLHPC_ASSERT(false);
}

// Each kernel is cloned for AVX-512, AVX2 and baseline x86-64; the loader picks the widest.
#if defined(__x86_64__)
#define MLHPC_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define MLHPC_CLONES
#endif

MLHPC_CLONES void k_copy(double* __restrict c, const double* __restrict a, std::int64_t n) {
#pragma omp parallel for schedule(static)
  for (std::int64_t i = 0; i < n; ++i) c[i] = a[i];
}
MLHPC_CLONES void k_scale(double* __restrict b, const double* __restrict c, double s,
                          std::int64_t n) {
#pragma omp parallel for schedule(static)
  for (std::int64_t i = 0; i < n; ++i) b[i] = s * c[i];
}
MLHPC_CLONES void k_add(double* __restrict c, const double* __restrict a,
                        const double* __restrict b, std::int64_t n) {
#pragma omp parallel for schedule(static)
  for (std::int64_t i = 0; i < n; ++i) c[i] = a[i] + b[i];
}
MLHPC_CLONES void k_triad(double* __restrict a, const double* __restrict b,
                          const double* __restrict c, double s, std::int64_t n) {
#pragma omp parallel for schedule(static)
  for (std::int64_t i = 0; i < n; ++i) a[i] = b[i] + s * c[i];
}

// Arrays are anonymous mappings with transparent huge pages requested (madvise): arrays of
// several GiB otherwise spend most of their set-up in page faults, and TLB misses would be part
// of the measured bandwidth. Whether the kernel granted them is recorded (AnonHugePages).
class buffer {
 public:
  buffer() = default;
  explicit buffer(std::int64_t n) {
    constexpr std::size_t huge = std::size_t{2} << 20;
    m_bytes = (static_cast<std::size_t>(n) * sizeof(double) + huge - 1) / huge * huge;
    void* p = ::mmap(nullptr, m_bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) throw std::bad_alloc();
#ifdef MADV_HUGEPAGE
    m_huge = ::madvise(p, m_bytes, MADV_HUGEPAGE) == 0;
#endif
    m_data = static_cast<double*>(p);
  }
  ~buffer() {
    reset();
  }
  buffer(buffer&& o) noexcept {
    *this = std::move(o);
  }
  buffer& operator=(buffer&& o) noexcept {
    std::swap(m_data, o.m_data);
    std::swap(m_bytes, o.m_bytes);
    std::swap(m_huge, o.m_huge);
    return *this;
  }
  void reset() {
    if (m_data != nullptr) ::munmap(m_data, m_bytes);
    m_data = nullptr;
  }
  double* get() const {
    return m_data;
  }
  bool huge_pages_requested() const {
    return m_huge;
  }

 private:
  double* m_data = nullptr;
  std::size_t m_bytes = 0;
  bool m_huge = false;
};

// AnonHugePages from /proc/meminfo, bytes; -1 when unreadable.
std::int64_t anon_huge_bytes() {
  const auto text = sysfs::read_text(sysfs::proc("meminfo"));
  if (!text) return -1;
  const auto pos = text->find("AnonHugePages:");
  if (pos == std::string::npos) return -1;
  return std::strtoll(text->c_str() + pos + 14, nullptr, 10) * 1024;
}

class stream_problem final : public problem {
 public:
  stream_problem(const kernel_desc& k, std::int64_t n, std::uint64_t llc, const problem_env& env)
      : m_k(k), m_n(n), m_llc(llc), m_seed(env.seed) {}

  void setup() override {
    const std::int64_t huge_before = anon_huge_bytes();
    m_a = buffer(m_n);
    m_b = buffer(m_n);
    m_c = buffer(m_n);
    // Parallel first touch with the same static schedule as the kernels places pages where the
    // threads that use them run.
    fill_uniform(std::span<double>(m_a.get(), m_n), m_seed, 1, 1.0, 2.0);
    fill_uniform(std::span<double>(m_b.get(), m_n), m_seed, 2, 1.0, 2.0);
    fill_uniform(std::span<double>(m_c.get(), m_n), m_seed, 3, 1.0, 2.0);
    const std::int64_t huge_after = anon_huge_bytes();
    if (huge_before >= 0 && huge_after >= 0) m_huge_gained = huge_after - huge_before;
  }

  work_model work() const override {
    work_model w;
    w.bytes = static_cast<double>(m_k.bytes_per_element) * static_cast<double>(m_n);
    if (m_k.flops_per_element > 0)
      w.flops = static_cast<double>(m_k.flops_per_element) * static_cast<double>(m_n);
    return w;
  }

  void run() override {
    double* a = m_a.get();
    double* b = m_b.get();
    double* c = m_c.get();
    switch (m_k.name[0]) {
      case 'c':
        k_copy(c, a, m_n);
        break;
      case 's':
        k_scale(b, c, kScalar, m_n);
        break;
      case 'a':
        k_add(c, a, b, m_n);
        break;
      case 't':
        k_triad(a, b, c, kScalar, m_n);
        break;
      default:
        MLHPC_ASSERT(false);
    }
  }

  // Each kernel alone is idempotent, so the output after any number of repetitions is known
  // exactly from the (unchanged) inputs. The triad may be contracted to an FMA or not; both
  // roundings are accepted, nothing else is.
  verification verify() override {
    verification v;
    v.metric = "mismatched_elements";
    v.tolerance = 0;
    std::int64_t bad = 0, first = m_n;
    const char kind = m_k.name[0];
    // The inputs are regenerated from the seed: verification trusts no array the kernel touched.
    const double* a = m_a.get();
    const double* b = m_b.get();
    const double* c = m_c.get();
#pragma omp parallel for schedule(static) reduction(+ : bad) reduction(min : first)
    for (std::int64_t i = 0; i < m_n; ++i) {
      const auto u = static_cast<std::uint64_t>(i);
      const double ai = 1.0 + unit_random(m_seed, 1, u);
      const double bi = 1.0 + unit_random(m_seed, 2, u);
      const double ci = 1.0 + unit_random(m_seed, 3, u);
      bool ok = true;
      switch (kind) {
        case 'c':
          ok = c[i] == ai;
          break;
        case 's':
          ok = b[i] == kScalar * ci;
          break;
        case 'a':
          ok = c[i] == ai + bi;
          break;
        case 't': {
          volatile double prod = kScalar * ci;
          ok = a[i] == bi + prod || a[i] == std::fma(kScalar, ci, bi);
          break;
        }
      }
      if (!ok) {
        ++bad;
        first = std::min(first, i);
      }
    }
    v.error = static_cast<double>(bad);
    v.status = bad == 0 ? verification::state::passed : verification::state::failed;
    v.detail =
        fmt::format("all {} elements checked exactly against {} recomputed from the seed{}", m_n,
                    m_k.formula, bad > 0 ? fmt::format("; first bad index {}", first) : "");
    return v;
  }

  void teardown() override {
    m_a.reset();
    m_b.reset();
    m_c.reset();
  }

  nlohmann::json details() const override {
    nlohmann::json d = {{"kernel", m_k.formula},
                        {"elements", m_n},
                        {"array_bytes", m_n * 8},
                        {"arrays_touched", m_k.arrays},
                        {"scalar", kScalar},
                        {"element_type", "f64"},
                        {"huge_pages_requested", m_a.huge_pages_requested()},
                        {"counting", "STREAM convention, no write-allocate traffic counted"},
                        {"fill", describe_fill("[1,2)", 1) + " (a), streams 2 (b) and 3 (c)"}};
    if (m_huge_gained) d["anon_huge_pages_gained_bytes"] = *m_huge_gained;
    if (m_llc > 0) {
      d["last_level_cache_bytes"] = m_llc;
      d["array_to_llc_ratio"] = static_cast<double>(m_n * 8) / static_cast<double>(m_llc);
      if (static_cast<std::uint64_t>(m_n * 8) < 4 * m_llc)
        d["warning"] =
            "arrays are smaller than 4x the last-level cache: this measures caches, "
            "not memory";
    } else {
      d["last_level_cache_bytes_unavailable"] = "hwloc reported no cache sizes";
    }
    return d;
  }

 private:
  const kernel_desc& m_k;
  std::int64_t m_n;
  std::uint64_t m_llc;
  std::uint64_t m_seed;
  buffer m_a, m_b, m_c;
  std::optional<std::int64_t> m_huge_gained;
};

// Per array: 4x the LLC (64 MiB when the LLC is unknown), but never more than a quarter of the
// available memory (three quarters for the three arrays), so that `auto` runs on any node; a
// capped size is flagged in the details ("warning") since it no longer meets the 4x rule.
std::int64_t auto_elements() {
  const std::uint64_t llc = last_level_cache_bytes();
  std::uint64_t bytes = llc > 0 ? 4 * llc : (std::uint64_t{64} << 20);
  const std::uint64_t available = available_memory_bytes();
  if (available > 0) bytes = std::min(bytes, std::max<std::uint64_t>(available / 4, 4096));
  return static_cast<std::int64_t>((bytes + 7) / 8);
}

std::int64_t elements(const problem_params& p) {
  return p.get("array_bytes") == "auto" ? auto_elements() : (p.get_int("array_bytes") + 7) / 8;
}

class stream_workload final : public workload {
 public:
  std::string name() const override { return "stream"; }
  std::string description() const override {
    return "memory bandwidth: STREAM copy, scale, add, triad on f64 arrays >= 4x the last-level "
           "cache, all threads";
  }
  std::vector<variant_info> variants() const override {
    std::vector<variant_info> v;
    for (const auto& k : kKernels) v.push_back({k.name, k.formula});
    return v;
  }
  std::vector<param_spec> parameters(const std::string&) const override {
    return {{"array_bytes",
             param_type::integer,
             "auto",
             "bytes per array; auto = 4x the last-level cache (hwloc), at most 1/4 of free memory",
             {},
             4096,
             std::int64_t{1} << 46,
             {"auto"}}};
  }
  support supported(const std::string&, const problem_params&) const override {
    return support::yes();
  }
  std::uint64_t footprint_bytes(const std::string&, const problem_params& p) const override {
    return 3 * static_cast<std::uint64_t>(elements(p)) * 8;
  }
  std::unique_ptr<problem> create(const std::string& variant, const problem_params& p,
                                  const problem_env& env) const override {
    return std::make_unique<stream_problem>(find_kernel(variant), elements(p),
                                            last_level_cache_bytes(), env);
  }
  std::optional<ceiling_ref> provides_ceiling(const std::string&) const override {
    return ceiling_ref{"bytes:memory", "bytes_per_s"};
  }
};

}  // namespace

std::unique_ptr<workload> make_workload() {
  return std::make_unique<stream_workload>();
}

}  // namespace mlhpc::stream
