#include "profilers/papi/papi.hpp"

#include <dirent.h>
#include <fmt/format.h>
#include <papi.h>

#include <cstdlib>
#include <cstring>
#include <mutex>

#include "bench/error.hpp"

namespace mlhpc::profilers {

namespace {

// PAPI is initialised once per process; the answer (or the reason it failed) is kept.
const std::string& papi_init_error() {
  static std::string error;
  static std::once_flag once;
  std::call_once(once, [] {
    const int r = PAPI_library_init(PAPI_VER_CURRENT);
    if (r != PAPI_VER_CURRENT)
      error = r > 0 ? fmt::format("PAPI_library_init: header version {:#x}, library {:#x}",
                                  PAPI_VER_CURRENT, r)
                    : fmt::format("PAPI_library_init: {}", PAPI_strerror(r));
  });
  return error;
}

std::string version_string() {
  const int v = PAPI_get_opt(PAPI_LIB_VERSION, nullptr);
  return fmt::format("{}.{}.{}.{}", PAPI_VERSION_MAJOR(v), PAPI_VERSION_MINOR(v),
                     PAPI_VERSION_REVISION(v), PAPI_VERSION_INCREMENT(v));
}

std::vector<int> own_threads() {
  std::vector<int> tids;
  if (DIR* d = opendir("/proc/self/task")) {
    while (const dirent* e = readdir(d))
      if (e->d_name[0] != '.') tids.push_back(std::atoi(e->d_name));
    closedir(d);
  }
  return tids;
}

struct papi_event {
  std::string name;
  int code = 0;
  int component = 0;
  bool per_thread = true;  // a CPU event (perf_event component), counted on each thread
  double scale = 1;        // to SI: nJ -> J
  std::string unit = "count";
};

class papi_collector final : public collector {
 public:
  explicit papi_collector(const std::vector<std::string>& events) {
    m_describe = {{"interface", "PAPI"}};
    if (const auto& err = papi_init_error(); !err.empty()) {
      m_reason = err;
      for (const auto& e : events) m_unavailable[e] = err;
      return;
    }
    m_describe["version"] = version_string();
    nlohmann::json comps = nlohmann::json::object();
    for (int c = 0; c < PAPI_num_components(); ++c) {
      const PAPI_component_info_t* info = PAPI_get_component_info(c);
      if (info == nullptr) continue;
      comps[info->name] = info->disabled != 0 ? fmt::format("disabled: {}", info->disabled_reason)
                                              : std::string("enabled");
    }
    m_describe["components"] = comps;
    for (const auto& name : events) {
      papi_event e;
      e.name = name;
      int r = PAPI_event_name_to_code(name.c_str(), &e.code);
      if (r != PAPI_OK) {
        m_unavailable[name] = fmt::format("PAPI does not know it here: {}", PAPI_strerror(r));
        continue;
      }
      e.component = PAPI_get_event_component(e.code);
      const PAPI_component_info_t* info = PAPI_get_component_info(e.component);
      const std::string comp = info != nullptr ? info->name : "?";
      if (info != nullptr && info->disabled != 0) {
        m_unavailable[name] =
            fmt::format("PAPI component '{}' is disabled: {}", comp, info->disabled_reason);
        continue;
      }
      e.per_thread = comp.rfind("perf_event", 0) == 0 && comp != "perf_event_uncore";
      PAPI_event_info_t ei;
      if (PAPI_get_event_info(e.code, &ei) == PAPI_OK) {
        const std::string units = ei.units;
        if (units == "nJ")
          e.scale = 1e-9, e.unit = "joule";
        else if (units == "uJ")
          e.scale = 1e-6, e.unit = "joule";
        else if (units == "mJ")
          e.scale = 1e-3, e.unit = "joule";
        else if (!units.empty())
          e.unit = units;
      }
      // Probe: the event must be addable and startable on this thread (or system-wide).
      int es = PAPI_NULL;
      r = PAPI_create_eventset(&es);
      if (r == PAPI_OK) r = PAPI_add_event(es, e.code);
      if (r == PAPI_OK) r = PAPI_start(es);
      if (r == PAPI_OK) {
        long long v = 0;
        r = PAPI_stop(es, &v);
      }
      if (es != PAPI_NULL) {
        PAPI_cleanup_eventset(es);
        PAPI_destroy_eventset(&es);
      }
      if (r != PAPI_OK) {
        m_unavailable[name] = fmt::format("PAPI cannot count it here: {}", PAPI_strerror(r));
        continue;
      }
      metric_info m;
      m.name = name;
      m.unit = e.unit;
      m.scope = e.per_thread ? "every thread of this process alive when timing starts"
                             : fmt::format("PAPI component '{}' (system-wide)", comp);
      if (e.unit == "joule") m.update_interval_s = 1e-3;
      m_metrics.push_back(m);
      m_events.push_back(e);
    }
    if (m_metrics.empty() && !m_unavailable.empty()) m_reason = m_unavailable.begin()->second;
  }
  ~papi_collector() override { stop(); }

  std::string name() const override { return "papi"; }

  void start() override {
    stop();
    std::vector<int> thread_codes, system_codes;
    int cpu_component = 0;
    for (const auto& e : m_events) {
      (e.per_thread ? thread_codes : system_codes).push_back(e.code);
      if (e.per_thread) cpu_component = e.component;
    }
    if (!thread_codes.empty())
      for (int tid : own_threads()) m_sets.push_back(make_set(thread_codes, tid, cpu_component));
    if (!system_codes.empty()) m_sets.push_back(make_set(system_codes, -1, 0));
    m_layout.clear();
    for (const auto& x : m_sets) m_layout.emplace_back(x.n, x.per_thread);
  }

  std::vector<double> read() override {
    std::vector<double> out;
    std::vector<long long> buf(m_events.size());
    for (const auto& s : m_sets) {
      const int r = PAPI_read(s.es, buf.data());
      if (r != PAPI_OK) MLHPC_FAIL("PAPI_read: {}", PAPI_strerror(r));
      for (std::size_t i = 0; i < s.n; ++i) out.push_back(static_cast<double>(buf[i]));
    }
    return out;
  }

  std::vector<window_value> difference(const std::vector<double>& from,
                                       const std::vector<double>& to) const override {
    std::vector<window_value> out(m_events.size());
    std::size_t pos = 0;
    for (const auto& [n, per_thread] : m_layout) {
      // Events of a set are in m_events order, restricted to its kind.
      std::size_t k = 0;
      for (std::size_t i = 0; i < m_events.size(); ++i) {
        if (m_events[i].per_thread != per_thread) continue;
        out[i].value += (to[pos + k] - from[pos + k]) * m_events[i].scale;
        ++k;
      }
      pos += n;
    }
    return out;
  }

  void stop() noexcept override {
    std::vector<long long> buf(m_events.size() + 1);
    for (auto& s : m_sets) {
      PAPI_stop(s.es, buf.data());
      PAPI_cleanup_eventset(s.es);
      PAPI_destroy_eventset(&s.es);
    }
    m_sets.clear();
  }

 private:
  struct set {
    int es = PAPI_NULL;
    std::size_t n = 0;
    bool per_thread = true;
  };
  set make_set(const std::vector<int>& codes, int tid, int component) {
    set s;
    s.per_thread = tid >= 0;
    s.n = codes.size();
    int r = PAPI_create_eventset(&s.es);
    if (r == PAPI_OK && tid >= 0) {
      r = PAPI_assign_eventset_component(s.es, component);
      if (r == PAPI_OK) r = PAPI_attach(s.es, static_cast<unsigned long>(tid));
    }
    for (std::size_t i = 0; r == PAPI_OK && i < codes.size(); ++i)
      r = PAPI_add_event(s.es, codes[i]);
    if (r == PAPI_OK) r = PAPI_start(s.es);
    if (r != PAPI_OK) {
      if (s.es != PAPI_NULL) {
        PAPI_cleanup_eventset(s.es);
        PAPI_destroy_eventset(&s.es);
      }
      stop();
      MLHPC_FAIL("PAPI event set{}: {}", tid >= 0 ? fmt::format(" on thread {}", tid) : "",
                 PAPI_strerror(r));
    }
    return s;
  }

  std::vector<papi_event> m_events;
  std::vector<set> m_sets;
  std::vector<std::pair<std::size_t, bool>>
      m_layout;  // each set's size and kind, kept after stop()
};

}  // namespace

std::unique_ptr<collector> make_papi_collector(const std::vector<std::string>& events) {
  return std::make_unique<papi_collector>(events);
}

std::vector<std::string> papi_component_lines() {
  std::vector<std::string> out;
  if (const auto& err = papi_init_error(); !err.empty()) return {err};
  out.push_back(fmt::format("PAPI {}", version_string()));
  bool rapl = false, powercap = false;
  for (int c = 0; c < PAPI_num_components(); ++c) {
    const PAPI_component_info_t* info = PAPI_get_component_info(c);
    if (info == nullptr) continue;
    const std::string n = info->name;
    rapl = rapl || n == "rapl";
    powercap = powercap || n == "powercap";
    out.push_back(fmt::format("component {}: {}", n,
                              info->disabled != 0
                                  ? fmt::format("disabled: {}", info->disabled_reason)
                                  : std::string("enabled")));
  }
  if (!rapl) out.push_back("component rapl: not in this PAPI build");
  if (!powercap) out.push_back("component powercap: not in this PAPI build");
  return out;
}

}  // namespace mlhpc::profilers
