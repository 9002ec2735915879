#include "profilers/rusage/rusage.hpp"

#include <fmt/format.h>
#include <sys/resource.h>

#include <cerrno>
#include <cstring>

#include "bench/error.hpp"

namespace mlhpc::profilers {

namespace {

struct field {
  const char* name;
  const char* unit;
  metric_kind kind;
  double (*get)(const rusage&);
};

double seconds(const timeval& t) {
  return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) * 1e-6;
}

const field fields[] = {
    {"user-time", "second", metric_kind::counter,
     [](const rusage& r) { return seconds(r.ru_utime); }},
    {"system-time", "second", metric_kind::counter,
     [](const rusage& r) { return seconds(r.ru_stime); }},
    {"voluntary-context-switches", "count", metric_kind::counter,
     [](const rusage& r) { return static_cast<double>(r.ru_nvcsw); }},
    {"involuntary-context-switches", "count", metric_kind::counter,
     [](const rusage& r) { return static_cast<double>(r.ru_nivcsw); }},
    // ru_maxrss is in KiB on Linux.
    {"max-rss", "byte", metric_kind::gauge,
     [](const rusage& r) { return static_cast<double>(r.ru_maxrss) * 1024.0; }},
};

class rusage_collector final : public collector {
 public:
  explicit rusage_collector(const std::vector<std::string>& events) {
    for (const auto& e : events)
      for (std::size_t i = 0; i < std::size(fields); ++i)
        if (e == "rusage" || e == fields[i].name) {
          bool dup = false;
          for (std::size_t k : m_fields) dup = dup || k == i;
          if (dup) continue;
          m_fields.push_back(i);
          metric_info m;
          m.name = fields[i].name;
          m.unit = fields[i].unit;
          m.kind = fields[i].kind;
          m.scope = fields[i].kind == metric_kind::gauge
                        ? "this process: peak resident set size since it started"
                        : "this process, all threads (getrusage RUSAGE_SELF)";
          // The kernel splits CPU time into user and system by sampling at its tick (250 Hz
          // on Debian kernels): those two need windows of many ticks.
          if (std::string(fields[i].unit) == "second") m.update_interval_s = 4e-3;
          m_metrics.push_back(m);
        }
    m_describe = {{"interface", "getrusage(RUSAGE_SELF)"}};
  }
  std::string name() const override { return "rusage"; }
  void start() override {}
  std::vector<double> read() override {
    rusage r{};
    if (getrusage(RUSAGE_SELF, &r) != 0) MLHPC_FAIL("getrusage: {}", std::strerror(errno));
    std::vector<double> out;
    for (std::size_t i : m_fields) out.push_back(fields[i].get(r));
    return out;
  }
  std::vector<window_value> difference(const std::vector<double>& from,
                                       const std::vector<double>& to) const override {
    std::vector<window_value> out(m_fields.size());
    for (std::size_t k = 0; k < m_fields.size(); ++k)
      out[k].value = fields[m_fields[k]].kind == metric_kind::counter ? to[k] - from[k] : to[k];
    return out;
  }
  void stop() noexcept override {}

 private:
  std::vector<std::size_t> m_fields;
};

}  // namespace

bool rusage_claims(const std::string& event) {
  if (event == "rusage") return true;
  for (const auto& f : fields)
    if (event == f.name) return true;
  return false;
}

std::vector<std::string> rusage_names() {
  std::vector<std::string> out;
  for (const auto& f : fields) out.push_back(f.name);
  return out;
}

std::unique_ptr<collector> make_rusage_collector(const std::vector<std::string>& events) {
  return std::make_unique<rusage_collector>(events);
}

}  // namespace mlhpc::profilers
