#include "workloads/io/io_problem.hpp"

#include <algorithm>
#include <chrono>

#include "bench/stats.hpp"

namespace mlhpc::io {

double median_of(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return quantile_sorted(v, 0.5);
}

double now_s() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

std::string cache_statement(bool direct) {
  return direct ? "O_DIRECT: every read bypasses the page cache"
                : "buffered: before every repetition the files are written back and evicted "
                  "(POSIX_FADV_DONTNEED) and a mincore sample checks the eviction";
}

json percentiles_json(const latency_histogram& h, const char* what) {
  json pct = json::array();  // in fio's order
  for (const double p : fio_percentiles())
    pct.push_back({{"percentile", p}, {"ns", h.percentile_ns(p)}});
  return {{"count", h.count()},
          {"mean", h.mean_ns()},
          {"min", h.min_ns()},
          {"max", h.max_ns()},
          {"percentiles", pct},
          {"how", fmt::format("{}, over every timed repetition and the warm-up, in a log-linear "
                              "histogram (64 buckets per power of two, as fio): a percentile is "
                              "the middle of its bucket, within 1/128 of the value",
                              what)}};
}

const char* completion_how(const std::string& engine) {
  return engine == "sync" ? "each pread call's duration (fio's clat for psync)"
                          : "from the submitting call's return to the reaping of each read's "
                            "completion (fio's clat)";
}
const char* const submission_how =
    "from each read's preparation to the return of the io_uring_submit call that carried it "
    "(fio's slat)";

}  // namespace mlhpc::io
