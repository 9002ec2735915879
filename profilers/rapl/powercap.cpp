#include "profilers/rapl/powercap.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include "bench/error.hpp"
#include "bench/sysfs.hpp"

namespace mlhpc::profilers {

namespace fs = std::filesystem;

namespace {

// Reads a decimal counter from an open sysfs file from its start.
std::optional<double> pread_counter(int fd) {
  char buf[64];
  const ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
  if (n <= 0) return std::nullopt;
  buf[n] = '\0';
  char* end = nullptr;
  const unsigned long long v = std::strtoull(buf, &end, 10);
  if (end == buf) return std::nullopt;
  return static_cast<double>(v);
}

std::string fix_for(const fs::path& file) {
  return fmt::format(
      "energy_uj readable by root only since CVE-2020-8694: run as root, or 'chmod o+r {}' "
      "(until reboot; a udev rule or systemd-tmpfiles line makes it last)",
      file.string());
}

fs::path powercap_dir() {
  return sysfs::sys("class/powercap");
}

}  // namespace

bool rapl_claims(const std::string& event) {
  return event == "rapl" || event == "energy" || event.rfind("energy:", 0) == 0;
}

std::vector<rapl_zone> find_rapl_zones() {
  std::vector<rapl_zone> zones;
  std::error_code ec;
  std::vector<fs::path> dirs;
  for (const auto& e : fs::directory_iterator(powercap_dir(), ec)) {
    const auto n = e.path().filename().string();
    // intel-rapl:N and intel-rapl:N:M; intel-rapl-mmio duplicates the package zone through
    // another interface and is left out.
    if (n.rfind("intel-rapl:", 0) == 0) dirs.push_back(e.path());
  }
  std::sort(dirs.begin(), dirs.end());
  for (const auto& d : dirs) {
    const auto n = d.filename().string();
    const auto name = sysfs::read_line(d / "name");
    if (!name) continue;
    rapl_zone z;
    z.path = d.string();
    // A sub-zone intel-rapl:N:M is named under its parent intel-rapl:N.
    const auto last = n.rfind(':');
    std::string key = *name;
    if (last != std::string::npos && last > std::string("intel-rapl").size()) {
      const auto parent = sysfs::read_line(d.parent_path() / n.substr(0, last) / "name");
      key = fmt::format("{}/{}", parent.value_or(n.substr(0, last)), *name);
    }
    z.key = "energy:" + key;
    if (const auto r = sysfs::read_int(d / "max_energy_range_uj"))
      z.max_range_uj = static_cast<double>(*r);
    const fs::path file = d / "energy_uj";
    const int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      const int err = errno;
      z.unreadable = err == EACCES || err == EPERM
                         ? fix_for(file)
                         : fmt::format("cannot read {}: {}", file.string(), std::strerror(err));
    } else {
      if (!pread_counter(fd)) z.unreadable = fmt::format("{} holds no counter", file.string());
      ::close(fd);
    }
    zones.push_back(std::move(z));
  }
  return zones;
}

double rapl_delta_uj(double from, double to, std::optional<double> max_range_uj) {
  if (to >= from) return to - from;
  if (!max_range_uj)
    MLHPC_FAIL("an energy counter went backwards ({} -> {}) and max_energy_range_uj is unknown",
               from, to);
  return to + *max_range_uj - from;
}

namespace {

class rapl_collector final : public collector {
 public:
  explicit rapl_collector(const std::vector<std::string>& events) {
    const auto zones = find_rapl_zones();
    m_describe = {{"interface", "powercap sysfs energy_uj"},
                  {"root", powercap_dir().string()},
                  {"update_interval_s", rapl_update_interval_s}};
    std::vector<std::string> keys;
    for (const auto& z : zones) keys.push_back(z.key);
    m_describe["zones"] = keys;
    bool all = false;
    std::vector<std::string> named;
    for (const auto& e : events) {
      if (e == "rapl" || e == "energy")
        all = true;
      else
        named.push_back(e);
    }
    if (zones.empty()) {
      std::error_code ec;
      m_reason = fs::exists(powercap_dir(), ec)
                     ? fmt::format("no RAPL zone under {} (the intel_rapl_msr module not loaded?)",
                                   powercap_dir().string())
                     : fmt::format(
                           "no RAPL here: {} does not exist (a VM, or a kernel without powercap; "
                           "'modprobe intel_rapl_msr' on bare metal)",
                           powercap_dir().string());
      for (const auto& e : events) m_unavailable[e == "rapl" ? "energy" : e] = m_reason;
      return;
    }
    for (const auto& z : zones) {
      const bool wanted = all || std::find(named.begin(), named.end(), z.key) != named.end();
      if (!wanted) continue;
      if (!z.unreadable.empty()) {
        m_unavailable[z.key] = z.unreadable;
        continue;
      }
      m_zones.push_back(z);
      metric_info m;
      m.name = z.key;
      m.unit = "joule";
      m.scope = z.key.find("psys") != std::string::npos
                    ? "the whole platform (psys: package, memory and more)"
                    : "the whole socket or domain, every process on it";
      m.update_interval_s = rapl_update_interval_s;
      m_metrics.push_back(m);
    }
    for (const auto& n : named)
      if (std::none_of(zones.begin(), zones.end(), [&](const rapl_zone& z) { return z.key == n; }))
        m_unavailable[n] = fmt::format("no such zone here (zones: {})", fmt::join(keys, ", "));
    if (m_metrics.empty() && !m_unavailable.empty()) m_reason = m_unavailable.begin()->second;
  }
  ~rapl_collector() override { stop(); }
  std::string name() const override { return "rapl"; }
  void start() override {
    stop();
    for (const auto& z : m_zones) {
      const auto file = fs::path(z.path) / "energy_uj";
      const int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
      if (fd < 0) {
        const int err = errno;
        stop();
        MLHPC_FAIL("cannot open {}: {}", file.string(), std::strerror(err));
      }
      m_fds.push_back(fd);
    }
  }
  std::vector<double> read() override {
    std::vector<double> out;
    for (std::size_t i = 0; i < m_fds.size(); ++i) {
      const auto v = pread_counter(m_fds[i]);
      if (!v) MLHPC_FAIL("cannot read {}/energy_uj", m_zones[i].path);
      out.push_back(*v);
    }
    return out;
  }
  std::vector<window_value> difference(const std::vector<double>& from,
                                       const std::vector<double>& to) const override {
    std::vector<window_value> out(m_zones.size());
    for (std::size_t i = 0; i < m_zones.size(); ++i)
      out[i].value = rapl_delta_uj(from[i], to[i], m_zones[i].max_range_uj) * 1e-6;
    return out;
  }
  void stop() noexcept override {
    for (int fd : m_fds) ::close(fd);
    m_fds.clear();
  }

 private:
  std::vector<rapl_zone> m_zones;
  std::vector<int> m_fds;
};

}  // namespace

std::unique_ptr<collector> make_rapl_collector(const std::vector<std::string>& events) {
  return std::make_unique<rapl_collector>(events);
}

}  // namespace mlhpc::profilers
