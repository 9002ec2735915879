#pragma once
// Completion latencies kept as fio keeps them: a log-linear histogram, not every sample. Values
// below 128 ns have a bucket each; above, every power of two is split into 64 equal buckets, so
// a value is reported as the middle of its bucket, within 1/128 of the truth (fio's
// FIO_IO_U_PLAT_BITS = 6). Fixed size (3776 counters, 30 KiB), no allocation while recording:
// one per I/O thread, merged after the run.
#include <array>
#include <cstdint>
#include <vector>

namespace mlhpc::io {

class latency_histogram {
 public:
  static constexpr int sub_bits = 6;                               // 64 buckets per power of two
  static constexpr int buckets = (64 - sub_bits + 1) << sub_bits;  // up to 2^64 ns
  // The largest relative error of a reported value (half a bucket over its lower edge).
  static constexpr double relative_error = 1.0 / (2 << sub_bits);

  void add(std::uint64_t ns) {
    ++m_counts[static_cast<std::size_t>(index_of(ns))];
    ++m_total;
    m_sum += static_cast<double>(ns);
    if (ns < m_min) m_min = ns;
    if (ns > m_max) m_max = ns;
  }
  void merge(const latency_histogram& o);

  std::uint64_t count() const { return m_total; }
  double mean_ns() const { return m_total ? m_sum / static_cast<double>(m_total) : 0; }
  std::uint64_t min_ns() const { return m_min; }
  std::uint64_t max_ns() const { return m_max; }
  // The p-th percentile (0 < p <= 100), as fio computes it: the middle of the bucket holding the
  // ceil(p/100 x count)-th smallest value. Needs count() > 0.
  double percentile_ns(double p) const;

  static int index_of(std::uint64_t ns);
  // The value a bucket reports (its middle; below 128 the value itself) and its edges.
  static double value_of(int index);
  static std::uint64_t lower_edge(int index);

 private:
  std::array<std::uint64_t, buckets> m_counts{};
  std::uint64_t m_total = 0, m_min = UINT64_MAX, m_max = 0;
  double m_sum = 0;
};

// fio's default percentile list.
const std::vector<double>& fio_percentiles();

}  // namespace mlhpc::io
