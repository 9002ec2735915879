#include "profilers/nvml/nvml.hpp"

#include <dlfcn.h>
#include <fmt/format.h>

#include <chrono>
#include <cstdlib>
#include <thread>

#include "bench/error.hpp"

// nvml.h's handle type, by its own name and at global scope as there: a call through a pointer
// whose type names another struct is undefined behaviour (UBSan's -fsanitize=function says so).
struct nvmlDevice_st;

namespace mlhpc::profilers {

namespace {

// The few NVML entry points used, declared with the ABI of nvml.h (enums are int; handles are
// opaque pointers), so that no NVML header is needed to build.
using nvml_return = int;
using nvml_device = nvmlDevice_st*;
constexpr int nvml_success = 0;
constexpr int nvml_clock_sm = 1;
constexpr int nvml_clock_mem = 2;
constexpr int nvml_temperature_gpu = 0;

struct nvml_api {
  void* lib = nullptr;
  nvml_return (*init)() = nullptr;
  nvml_return (*shutdown)() = nullptr;
  const char* (*error_string)(nvml_return) = nullptr;
  nvml_return (*get_count)(unsigned*) = nullptr;
  nvml_return (*get_handle)(unsigned, nvml_device*) = nullptr;
  nvml_return (*get_name)(nvml_device, char*, unsigned) = nullptr;
  nvml_return (*driver_version)(char*, unsigned) = nullptr;
  nvml_return (*total_energy)(nvml_device, unsigned long long*) = nullptr;
  nvml_return (*power_usage)(nvml_device, unsigned*) = nullptr;
  nvml_return (*clock_info)(nvml_device, int, unsigned*) = nullptr;
  nvml_return (*temperature)(nvml_device, int, unsigned*) = nullptr;
  nvml_return (*event_reasons)(nvml_device, unsigned long long*) = nullptr;
};

const std::map<unsigned, std::string>& reason_bits() {
  static const std::map<unsigned, std::string> bits = {{0, "gpu_idle"},
                                                       {1, "applications_clocks_setting"},
                                                       {2, "sw_power_cap"},
                                                       {3, "hw_slowdown"},
                                                       {4, "sync_boost"},
                                                       {5, "sw_thermal_slowdown"},
                                                       {6, "hw_thermal_slowdown"},
                                                       {7, "hw_power_brake_slowdown"},
                                                       {8, "display_clock_setting"}};
  return bits;
}

enum class what { energy, power, sm_clock, mem_clock, temperature, throttle };

struct metric_def {
  what w;
  const char* suffix;
  const char* unit;
  metric_kind kind;
  const char* token;
};

const metric_def defs[] = {
    {what::energy, "energy", "joule", metric_kind::counter, "gpu-energy"},
    {what::power, "power", "watt", metric_kind::gauge, "gpu-power"},
    {what::sm_clock, "sm-clock", "hertz", metric_kind::gauge, "gpu-clocks"},
    {what::mem_clock, "mem-clock", "hertz", metric_kind::gauge, "gpu-clocks"},
    {what::temperature, "temperature", "celsius", metric_kind::gauge, "gpu-temperature"},
    {what::throttle, "throttle", "bitmask", metric_kind::gauge, "gpu-throttle"},
};

class nvml_collector final : public collector {
 public:
  explicit nvml_collector(const std::vector<std::string>& events) {
    std::vector<const metric_def*> wanted;
    for (const auto& d : defs)
      for (const auto& e : events)
        if (e == "nvml" || e == d.token ||
            (e == "energy" && (d.w == what::energy || d.w == what::power))) {
          wanted.push_back(&d);
          break;
        }
    auto all_unavailable = [&](const std::string& why) {
      m_reason = why;
      for (const auto& e : events) m_unavailable[e == "energy" ? "gpu-energy" : e] = why;
    };
    const char* env = std::getenv("MLHPC_NVML_LIBRARY");
    const std::string path = env != nullptr && *env != '\0' ? env : "libnvidia-ml.so.1";
    m_describe = {{"interface", "NVML, loaded at run time"}, {"library", path}};
    m_api.lib = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (m_api.lib == nullptr) {
      all_unavailable(
          fmt::format("{} cannot be loaded ({}): no NVIDIA driver here", path, dlerror()));
      return;
    }
    auto sym = [&](auto& fn, const char* name) {
      fn = reinterpret_cast<std::remove_reference_t<decltype(fn)>>(dlsym(m_api.lib, name));
    };
    sym(m_api.init, "nvmlInit_v2");
    sym(m_api.shutdown, "nvmlShutdown");
    sym(m_api.error_string, "nvmlErrorString");
    sym(m_api.get_count, "nvmlDeviceGetCount_v2");
    sym(m_api.get_handle, "nvmlDeviceGetHandleByIndex_v2");
    sym(m_api.get_name, "nvmlDeviceGetName");
    sym(m_api.driver_version, "nvmlSystemGetDriverVersion");
    sym(m_api.total_energy, "nvmlDeviceGetTotalEnergyConsumption");
    sym(m_api.power_usage, "nvmlDeviceGetPowerUsage");
    sym(m_api.clock_info, "nvmlDeviceGetClockInfo");
    sym(m_api.temperature, "nvmlDeviceGetTemperature");
    sym(m_api.event_reasons, "nvmlDeviceGetCurrentClocksEventReasons");
    if (m_api.event_reasons == nullptr)
      sym(m_api.event_reasons, "nvmlDeviceGetCurrentClocksThrottleReasons");
    if (m_api.init == nullptr || m_api.get_count == nullptr || m_api.get_handle == nullptr ||
        m_api.shutdown == nullptr) {
      all_unavailable(
          fmt::format("{} lacks nvmlInit_v2 or the device calls (driver too old)", path));
      return;
    }
    if (const nvml_return r = m_api.init(); r != nvml_success) {
      all_unavailable(fmt::format("nvmlInit failed: {}", error(r)));
      return;
    }
    m_initialised = true;
    if (m_api.driver_version != nullptr) {
      char v[96] = {};
      if (m_api.driver_version(v, sizeof v) == nvml_success) m_describe["driver_version"] = v;
    }
    unsigned count = 0;
    if (const nvml_return r = m_api.get_count(&count); r != nvml_success || count == 0) {
      all_unavailable(r != nvml_success ? fmt::format("nvmlDeviceGetCount: {}", error(r))
                                        : std::string("NVML sees no GPU"));
      return;
    }
    json_gpus(count);
    for (unsigned g = 0; g < count; ++g) {
      nvml_device dev = nullptr;
      if (const nvml_return r = m_api.get_handle(g, &dev); r != nvml_success) {
        m_unavailable[fmt::format("gpu{}", g)] =
            fmt::format("nvmlDeviceGetHandleByIndex: {}", error(r));
        continue;
      }
      for (const metric_def* d : wanted) {
        const std::string key = fmt::format("gpu{}:{}", g, d->suffix);
        double probe = 0;
        const nvml_return r = query(dev, d->w, &probe);
        if (r != nvml_success) {
          m_unavailable[key] = fmt::format("NVML: {}", error(r));
          continue;
        }
        metric_info m;
        m.name = key;
        m.unit = d->unit;
        m.kind = d->kind;
        m.scope = fmt::format("GPU {} (the whole device, every process on it)", g);
        if (d->w == what::energy) m.update_interval_s = energy_update_interval(dev, g);
        if (d->w == what::power)
          m.scope += "; NVML's power reading, a 1 s average on Ampere and newer";
        if (d->w == what::throttle) m.bits = reason_bits();
        m_metrics.push_back(m);
        m_sources.push_back({dev, d->w});
      }
    }
    if (m_metrics.empty() && !m_unavailable.empty()) m_reason = m_unavailable.begin()->second;
  }

  ~nvml_collector() override {
    if (m_initialised) m_api.shutdown();
    if (m_api.lib != nullptr) dlclose(m_api.lib);
  }

  std::string name() const override { return "nvml"; }
  void start() override {}
  std::vector<double> read() override {
    std::vector<double> out;
    for (const auto& [dev, w] : m_sources) {
      double v = 0;
      if (const nvml_return r = query(dev, w, &v); r != nvml_success)
        MLHPC_FAIL("NVML read failed: {}", error(r));
      out.push_back(v);
    }
    return out;
  }
  std::vector<window_value> difference(const std::vector<double>& from,
                                       const std::vector<double>& to) const override {
    std::vector<window_value> out(m_sources.size());
    for (std::size_t i = 0; i < m_sources.size(); ++i)
      out[i].value = m_sources[i].second == what::energy ? to[i] - from[i] : to[i];
    return out;
  }
  void stop() noexcept override {}

 private:
  std::string error(nvml_return r) const {
    const char* s = m_api.error_string != nullptr ? m_api.error_string(r) : nullptr;
    return s != nullptr ? fmt::format("{} ({})", s, r) : fmt::format("error {}", r);
  }

  void json_gpus(unsigned count) {
    m_describe["gpus"] = nlohmann::json::array();
    for (unsigned g = 0; g < count; ++g) {
      nvml_device dev = nullptr;
      char name[96] = {};
      if (m_api.get_handle(g, &dev) == nvml_success && m_api.get_name != nullptr &&
          m_api.get_name(dev, name, sizeof name) == nvml_success)
        m_describe["gpus"].push_back({{"index", g}, {"name", name}});
    }
  }

  // Every reading in SI units: joules, watts, hertz, celsius.
  nvml_return query(nvml_device dev, what w, double* v) const {
    constexpr nvml_return not_supported = 3;  // NVML_ERROR_NOT_SUPPORTED
    unsigned u = 0;
    unsigned long long ull = 0;
    nvml_return r = not_supported;
    switch (w) {
      case what::energy:
        if (m_api.total_energy) r = m_api.total_energy(dev, &ull);
        *v = static_cast<double>(ull) * 1e-3;
        break;
      case what::power:
        if (m_api.power_usage) r = m_api.power_usage(dev, &u);
        *v = u * 1e-3;
        break;
      case what::sm_clock:
        if (m_api.clock_info) r = m_api.clock_info(dev, nvml_clock_sm, &u);
        *v = u * 1e6;
        break;
      case what::mem_clock:
        if (m_api.clock_info) r = m_api.clock_info(dev, nvml_clock_mem, &u);
        *v = u * 1e6;
        break;
      case what::temperature:
        if (m_api.temperature) r = m_api.temperature(dev, nvml_temperature_gpu, &u);
        *v = u;
        break;
      case what::throttle:
        if (m_api.event_reasons) r = m_api.event_reasons(dev, &ull);
        *v = static_cast<double>(ull);
        break;
    }
    return r;
  }

  // The energy counter advances in steps; the step is measured here (polling for up to 0.3 s)
  // so that windows are long enough, and recorded in the context.
  double energy_update_interval(nvml_device dev, unsigned g) {
    using clock = std::chrono::steady_clock;
    constexpr double fallback = 0.1;
    unsigned long long e0 = 0, e = 0;
    if (m_api.total_energy(dev, &e0) != nvml_success) return fallback;
    const auto t0 = clock::now();
    std::optional<clock::time_point> first;
    double interval = 0;
    while (clock::now() - t0 < std::chrono::milliseconds(300)) {
      std::this_thread::sleep_for(std::chrono::microseconds(500));
      if (m_api.total_energy(dev, &e) != nvml_success) break;
      if (e == e0) continue;
      e0 = e;
      const auto now = clock::now();
      if (first) {
        interval = std::chrono::duration<double>(now - *first).count();
        break;
      }
      first = now;
    }
    auto& note = m_describe["energy_update_interval_s"];
    if (interval > 0) {
      note[fmt::format("gpu{}", g)] = interval;
      return interval;
    }
    note[fmt::format("gpu{}", g)] =
        fmt::format("not seen to change within 0.3 s; {} s assumed", fallback);
    return fallback;
  }

  nvml_api m_api;
  bool m_initialised = false;
  std::vector<std::pair<nvml_device, what>> m_sources;
};

}  // namespace

bool nvml_claims(const std::string& event) {
  return event == "nvml" || event == "energy" || event.rfind("gpu-", 0) == 0;
}

std::vector<std::string> nvml_names() {
  return {"nvml", "gpu-energy", "gpu-power", "gpu-clocks", "gpu-temperature", "gpu-throttle"};
}

std::unique_ptr<collector> make_nvml_collector(const std::vector<std::string>& events) {
  return std::make_unique<nvml_collector>(events);
}

}  // namespace mlhpc::profilers
