#include "workloads/resnet50/data_parallel.hpp"

#include <algorithm>
#include <chrono>

#include "bench/error.hpp"

namespace mlhpc::resnet50 {

std::vector<bucket> make_buckets(const std::vector<gradient_span>& spans, std::size_t bucket_bytes,
                                 std::size_t first_bucket_bytes) {
  std::vector<bucket> out;
  bucket cur;
  for (const auto& s : spans) {
    if (cur.params.empty()) cur.offset = s.offset;
    MLHPC_ASSERT(s.offset >= cur.offset + cur.count);  // completion order is address order
    cur.params.push_back(s.param);
    cur.count = s.offset + s.count - cur.offset;
    const std::size_t cap = out.empty() ? first_bucket_bytes : bucket_bytes;
    if (cur.count * sizeof(float) >= cap) {
      out.push_back(std::move(cur));
      cur = {};
    }
  }
  if (!cur.params.empty()) out.push_back(std::move(cur));
  return out;
}

gradient_averager::gradient_averager(std::unique_ptr<gradient_allreduce> sum,
                                     std::size_t bucket_bytes, std::size_t first_bucket_bytes)
    : m_sum(std::move(sum)),
      m_bucket_bytes(bucket_bytes),
      m_first_bucket_bytes(first_bucket_bytes) {
  MLHPC_ASSERT(m_sum != nullptr);
}

int gradient_averager::ranks() const {
  return m_sum->ranks();
}
std::string gradient_averager::describe() const {
  return m_sum->describe();
}

void gradient_averager::attach(std::span<float> region, const std::vector<gradient_span>& spans) {
  m_region = region;
  m_buckets = make_buckets(spans, m_bucket_bytes, m_first_bucket_bytes);
  MLHPC_ASSERT(!m_buckets.empty() &&
               m_buckets.back().offset + m_buckets.back().count <= region.size());
  int max_param = -1;
  for (const auto& s : spans) max_param = std::max(max_param, s.param);
  m_bucket_of.assign(static_cast<std::size_t>(max_param + 1), -1);
  for (std::size_t b = 0; b < m_buckets.size(); ++b)
    for (const int p : m_buckets[b].params)
      m_bucket_of[static_cast<std::size_t>(p)] = static_cast<int>(b);
  m_remaining.assign(m_buckets.size(), 0);
  m_next = 0;
}

void gradient_averager::ready(int param) {
  if (m_next == 0 && m_remaining.front() == 0) {
    // The first gradient of a step: every bucket waits for all of its gradients again.
    for (std::size_t b = 0; b < m_buckets.size(); ++b)
      m_remaining[b] = static_cast<int>(m_buckets[b].params.size());
  }
  const int b = m_bucket_of.at(static_cast<std::size_t>(param));
  MLHPC_ASSERT(b >= 0 && m_remaining[static_cast<std::size_t>(b)] > 0);
  --m_remaining[static_cast<std::size_t>(b)];
  // Buckets start in order, each once all of its gradients are complete: every rank starts the
  // same sums in the same order, as MPI requires of non-blocking collectives.
  while (m_next < static_cast<int>(m_buckets.size()) &&
         m_remaining[static_cast<std::size_t>(m_next)] == 0) {
    const auto& bk = m_buckets[static_cast<std::size_t>(m_next)];
    m_sum->start(m_region.subspan(bk.offset, bk.count));
    ++m_next;
  }
  m_sum->progress();
}

void gradient_averager::finish() {
  MLHPC_ASSERT(m_next == static_cast<int>(m_buckets.size()));
  const auto t0 = std::chrono::steady_clock::now();
  m_sum->wait_all();
  m_last_wait_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  m_next = 0;
}

}  // namespace mlhpc::resnet50
