#include "workloads/io/histogram.hpp"

#include <bit>
#include <cmath>

namespace mlhpc::io {

int latency_histogram::index_of(std::uint64_t ns) {
  if (ns < (std::uint64_t{2} << sub_bits)) return static_cast<int>(ns);
  const int msb = 63 - std::countl_zero(ns);  // >= sub_bits + 1
  const int error_bits = msb - sub_bits;
  const int base = (error_bits + 1) << sub_bits;
  const int offset = static_cast<int>((ns >> error_bits) & ((1u << sub_bits) - 1));
  return base + offset;
}

std::uint64_t latency_histogram::lower_edge(int index) {
  if (index < (2 << sub_bits)) return static_cast<std::uint64_t>(index);
  const int error_bits = (index >> sub_bits) - 1;
  const std::uint64_t k = static_cast<std::uint64_t>(index & ((1 << sub_bits) - 1));
  return (std::uint64_t{1} << (error_bits + sub_bits)) + (k << error_bits);
}

double latency_histogram::value_of(int index) {
  if (index < (2 << sub_bits)) return index;
  const int error_bits = (index >> sub_bits) - 1;
  return static_cast<double>(lower_edge(index)) + std::ldexp(1.0, error_bits) / 2;
}

void latency_histogram::merge(const latency_histogram& o) {
  for (std::size_t i = 0; i < m_counts.size(); ++i) m_counts[i] += o.m_counts[i];
  m_total += o.m_total;
  m_sum += o.m_sum;
  if (o.m_min < m_min) m_min = o.m_min;
  if (o.m_max > m_max) m_max = o.m_max;
}

double latency_histogram::percentile_ns(double p) const {
  const auto rank = static_cast<std::uint64_t>(std::ceil(p / 100.0 * static_cast<double>(m_total)));
  const std::uint64_t want = rank == 0 ? 1 : rank;
  std::uint64_t seen = 0;
  for (int i = 0; i < buckets; ++i) {
    seen += m_counts[static_cast<std::size_t>(i)];
    if (seen >= want) return value_of(i);
  }
  return value_of(buckets - 1);
}

const std::vector<double>& fio_percentiles() {
  static const std::vector<double> p = {1,  5,  10, 20, 30,   40,   50,    60,   70,
                                        80, 90, 95, 99, 99.5, 99.9, 99.95, 99.99};
  return p;
}

}  // namespace mlhpc::io
