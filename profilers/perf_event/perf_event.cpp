#include "profilers/perf_event/perf_event.hpp"

#include <dirent.h>
#include <fmt/format.h>
#include <linux/perf_event.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <map>
#include <sstream>

#include "bench/error.hpp"
#include "bench/sysfs.hpp"

namespace mlhpc::profilers {

namespace {

// One perf_event encoding; a metric is the weighted sum of one or more of them (fp-ops on Intel
// sums eight FP_ARITH_INST_RETIRED umasks with their vector widths as weights).
struct encoding {
  std::uint32_t type = 0;
  std::uint64_t config = 0;
  double weight = 1;
};

struct event_def {
  std::string name;
  std::vector<encoding> parts;
  std::string unit = "count";
  double scale = 1;  // task-clock counts nanoseconds; the result holds seconds
  bool hardware = true;
};

constexpr std::uint64_t cache_config(std::uint64_t id, std::uint64_t op, std::uint64_t result) {
  return id | (op << 8) | (result << 16);
}

std::vector<event_def> generic_events() {
  using std::string;
  auto hw = [](string n, std::uint64_t c) {
    return event_def{std::move(n), {{PERF_TYPE_HARDWARE, c, 1}}, "count", 1, true};
  };
  auto cache = [](string n, std::uint64_t c) {
    return event_def{std::move(n), {{PERF_TYPE_HW_CACHE, c, 1}}, "count", 1, true};
  };
  auto sw = [](string n, std::uint64_t c, string unit = "count", double scale = 1) {
    return event_def{std::move(n), {{PERF_TYPE_SOFTWARE, c, 1}}, std::move(unit), scale, false};
  };
  constexpr auto rd = PERF_COUNT_HW_CACHE_OP_READ;
  constexpr auto acc = PERF_COUNT_HW_CACHE_RESULT_ACCESS;
  constexpr auto miss = PERF_COUNT_HW_CACHE_RESULT_MISS;
  return {
      hw("cycles", PERF_COUNT_HW_CPU_CYCLES),
      hw("instructions", PERF_COUNT_HW_INSTRUCTIONS),
      hw("cache-references", PERF_COUNT_HW_CACHE_REFERENCES),
      hw("cache-misses", PERF_COUNT_HW_CACHE_MISSES),
      hw("branches", PERF_COUNT_HW_BRANCH_INSTRUCTIONS),
      hw("branch-misses", PERF_COUNT_HW_BRANCH_MISSES),
      hw("stalled-cycles-frontend", PERF_COUNT_HW_STALLED_CYCLES_FRONTEND),
      hw("stalled-cycles-backend", PERF_COUNT_HW_STALLED_CYCLES_BACKEND),
      hw("ref-cycles", PERF_COUNT_HW_REF_CPU_CYCLES),
      cache("L1-dcache-loads", cache_config(PERF_COUNT_HW_CACHE_L1D, rd, acc)),
      cache("L1-dcache-load-misses", cache_config(PERF_COUNT_HW_CACHE_L1D, rd, miss)),
      cache("LLC-loads", cache_config(PERF_COUNT_HW_CACHE_LL, rd, acc)),
      cache("LLC-load-misses", cache_config(PERF_COUNT_HW_CACHE_LL, rd, miss)),
      cache("dTLB-load-misses", cache_config(PERF_COUNT_HW_CACHE_DTLB, rd, miss)),
      sw("task-clock", PERF_COUNT_SW_TASK_CLOCK, "second", 1e-9),
      sw("page-faults", PERF_COUNT_SW_PAGE_FAULTS),
      sw("minor-faults", PERF_COUNT_SW_PAGE_FAULTS_MIN),
      sw("major-faults", PERF_COUNT_SW_PAGE_FAULTS_MAJ),
      sw("context-switches", PERF_COUNT_SW_CONTEXT_SWITCHES),
      sw("cpu-migrations", PERF_COUNT_SW_CPU_MIGRATIONS),
  };
}

struct cpu_id {
  std::string vendor;
  int family = -1;
};

cpu_id read_cpu_id() {
  cpu_id id;
  const auto text = sysfs::read_text(sysfs::proc("cpuinfo"));
  if (!text) return id;
  std::istringstream in(*text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty()) break;
    const auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    auto key = line.substr(0, colon);
    key.erase(key.find_last_not_of(" \t") + 1);
    auto value = line.substr(colon + 1);
    value.erase(0, value.find_first_not_of(" \t"));
    if (key == "vendor_id") id.vendor = value;
    if (key == "cpu family") id.family = std::atoi(value.c_str());
  }
  return id;
}

// FP operations, where we know the PMU's event: Intel FP_ARITH_INST_RETIRED (event 0xC7; FMA
// counts twice; weights are the lanes of each width) and AMD RETIRED_SSE_AVX_FLOPS (event 0x03,
// counts flops itself), umasks as Linux perf's pmu-events give fp_ret_sse_avx_ops.all.
std::optional<event_def> fp_ops_event(const cpu_id& id, std::string* why) {
  event_def e{"fp-ops", {}, "count", 1, true};
  if (id.vendor == "GenuineIntel" && id.family == 6) {
    const std::pair<std::uint64_t, double> umasks[] = {{0x01, 1}, {0x02, 1}, {0x04, 2}, {0x08, 4},
                                                       {0x10, 4}, {0x20, 8}, {0x40, 8}, {0x80, 16}};
    for (const auto& [u, w] : umasks) e.parts.push_back({PERF_TYPE_RAW, 0xC7 | (u << 8), w});
    return e;
  }
  if (id.vendor == "AuthenticAMD" && id.family >= 0x17) {
    const std::uint64_t umask = id.family == 0x17 ? 0xFF : 0x1F;
    e.parts.push_back({PERF_TYPE_RAW, 0x03 | (umask << 8), 1});
    return e;
  }
  *why = fmt::format(
      "no FP-operation event known for vendor '{}' family {} (ask for a raw event rHEX, or a PAPI "
      "event such as PAPI_FP_OPS)",
      id.vendor.empty() ? "unknown" : id.vendor, id.family);
  return std::nullopt;
}

std::optional<event_def> raw_event(const std::string& name) {
  if (name.size() < 2 || name[0] != 'r') return std::nullopt;
  std::uint64_t config = 0;
  for (std::size_t i = 1; i < name.size(); ++i) {
    const char c = name[i];
    int d = -1;
    if (c >= '0' && c <= '9') d = c - '0';
    if (c >= 'a' && c <= 'f') d = c - 'a' + 10;
    if (c >= 'A' && c <= 'F') d = c - 'A' + 10;
    if (d < 0 || i > 16) return std::nullopt;
    config = config * 16 + static_cast<std::uint64_t>(d);
  }
  return event_def{name, {{PERF_TYPE_RAW, config, 1}}, "count", 1, true};
}

long perf_event_open(perf_event_attr* attr, pid_t tid, int group_fd, unsigned long flags) {
  return syscall(SYS_perf_event_open, attr, tid, -1, group_fd, flags);
}

perf_event_attr make_attr(const encoding& e, bool exclude_kernel, bool group) {
  perf_event_attr a;
  std::memset(&a, 0, sizeof a);
  a.size = sizeof a;
  a.type = e.type;
  a.config = e.config;
  a.exclude_kernel = exclude_kernel ? 1 : 0;
  a.exclude_hv = 1;
  a.read_format = PERF_FORMAT_TOTAL_TIME_ENABLED | PERF_FORMAT_TOTAL_TIME_RUNNING;
  if (group) a.read_format |= PERF_FORMAT_GROUP;
  return a;
}

std::string errno_text(int err) {
  return fmt::format("{} ({})", std::strerror(err), err);
}

std::vector<pid_t> own_threads() {
  std::vector<pid_t> tids;
  DIR* d = opendir("/proc/self/task");
  if (d == nullptr) MLHPC_FAIL("cannot list /proc/self/task: {}", errno_text(errno));
  while (const dirent* e = readdir(d))
    if (e->d_name[0] != '.') tids.push_back(static_cast<pid_t>(std::atoi(e->d_name)));
  closedir(d);
  return tids;
}

// Hardware events per group: three general-purpose counters are free on every PMU we know, even
// with the NMI watchdog holding one of Intel's four (a group that cannot fit never runs).
constexpr std::size_t max_group = 3;

class perf_event_collector final : public collector {
 public:
  perf_event_collector(const std::vector<std::string>& events) {
    m_access = read_perf_access();
    const auto pmus = cpu_pmus();
    m_describe = {{"interface", "perf_event_open(2), one counter set per thread, summed"},
                  {"counting", m_access.exclude_kernel ? "user space only" : "user and kernel"},
                  {"cpu_pmus", pmus}};
    if (m_access.paranoid) m_describe["perf_event_paranoid"] = *m_access.paranoid;
    m_describe["privileged"] = m_access.privileged;
    if (!m_access.note.empty()) m_describe["note"] = m_access.note;

    const auto generic = generic_events();
    const cpu_id id = read_cpu_id();
    std::vector<event_def> wanted;
    for (const auto& name : events) {
      std::optional<event_def> def;
      std::string why;
      for (const auto& g : generic)
        if (g.name == name) def = g;
      if (!def && name == "fp-ops") def = fp_ops_event(id, &why);
      if (!def) def = raw_event(name);
      if (!def) {
        m_unavailable[name] = why.empty() ? "not a perf_event name" : why;
        continue;
      }
      wanted.push_back(*def);
    }
    if (!m_access.allowed) {
      for (const auto& e : wanted) m_unavailable[e.name] = m_access.note;
      m_reason = m_access.note;
      return;
    }
    // Probe each event on this thread, so that what cannot be counted here is known (and said)
    // before any problem runs.
    for (auto& e : wanted) {
      std::string failure;
      for (const auto& part : e.parts) {
        auto attr = make_attr(part, m_access.exclude_kernel, false);
        const long fd = perf_event_open(&attr, 0, -1, 0);
        if (fd < 0) {
          failure = explain(errno, e.hardware, pmus);
          break;
        }
        close(static_cast<int>(fd));
      }
      if (!failure.empty()) {
        m_unavailable[e.name] = failure;
        continue;
      }
      m_events.push_back(e);
    }
    std::string scope =
        fmt::format("every thread of this process alive when timing starts, {}",
                    m_access.exclude_kernel ? "user space only" : "user and kernel");
    for (const auto& e : m_events) {
      metric_info m;
      m.name = e.name;
      m.unit = e.unit;
      m.scope = scope;
      m_metrics.push_back(m);
    }
    if (m_events.empty() && !m_unavailable.empty()) m_reason = m_unavailable.begin()->second;
    // Layout of the groups: hardware events in groups of at most max_group encodings, in the
    // order asked (so that cycles and instructions share a group and IPC is consistent);
    // software events in one group of their own (they never multiplex). One read() per group
    // and thread: reading a counter of a thread running on another CPU costs an interrupt
    // there, and every read widens the counted window a little beyond the timed one.
    std::vector<std::pair<std::size_t, std::size_t>> hw_parts;  // (event, part)
    group soft;
    for (std::size_t i = 0; i < m_events.size(); ++i)
      for (std::size_t p = 0; p < m_events[i].parts.size(); ++p) {
        if (m_events[i].hardware)
          hw_parts.emplace_back(i, p);
        else
          soft.members.emplace_back(i, p);
      }
    for (std::size_t k = 0; k < hw_parts.size(); k += max_group) {
      group g;
      for (std::size_t j = k; j < std::min(hw_parts.size(), k + max_group); ++j)
        g.members.push_back(hw_parts[j]);
      m_groups.push_back(g);
    }
    if (!soft.members.empty()) m_groups.push_back(soft);
  }

  ~perf_event_collector() override { stop(); }

  std::string name() const override { return "perf_event"; }

  void start() override {
    stop();
    m_layout.clear();
    m_thread_fds.clear();
    for (pid_t tid : own_threads()) {
      // A thread's counters are kept only when all of them open: the read layout is fixed.
      std::vector<std::pair<int, std::size_t>> fds;
      std::vector<int> members;
      bool gone = false;
      for (std::size_t gi = 0; gi < m_groups.size() && !gone; ++gi) {
        const auto& g = m_groups[gi];
        int leader = -1;
        for (const auto& [ei, pi] : g.members) {
          const bool is_group = g.members.size() > 1;
          auto attr = make_attr(m_events[ei].parts[pi], m_access.exclude_kernel, is_group);
          const long fd = perf_event_open(&attr, tid, leader, 0);
          if (fd < 0) {
            const int err = errno;
            for (int f : members) close(f);
            for (const auto& [f, i] : fds) close(f);
            if (err == ESRCH) {  // the thread ended meanwhile
              gone = true;
              break;
            }
            stop();
            MLHPC_FAIL("perf_event_open({}) on thread {}: {}", m_events[ei].name, tid,
                       errno_text(err));
          }
          if (leader < 0) {
            leader = static_cast<int>(fd);
            fds.emplace_back(leader, gi);
          } else {
            members.push_back(static_cast<int>(fd));
          }
        }
      }
      if (gone) continue;
      m_fds.insert(m_fds.end(), fds.begin(), fds.end());
      for (const auto& f : fds) m_layout.push_back(f.second);
      m_thread_fds.push_back(fds.size());
      m_members.insert(m_members.end(), members.begin(), members.end());
    }
  }

  // Per thread: per fd (a group leader or a single event) time_enabled, time_running, then its
  // values; after the thread's fds, the monotonic clock in ns once they are read. The counted
  // window of a thread is the time between its two stamps: time_enabled cannot say, since a
  // per-thread event's enabled time advances only while the thread runs.
  std::vector<double> read() override {
    std::vector<double> out;
    out.reserve(m_read_size);
    std::size_t f = 0;
    for (const std::size_t n_fds : m_thread_fds) {
      for (std::size_t k = 0; k < n_fds; ++k, ++f) {
        const auto& [fd, gi] = m_fds[f];
        const std::size_t n = m_groups[gi].members.size();
        const bool grouped = n > 1;
        m_buf.resize(3 + n);
        const auto want = static_cast<ssize_t>(sizeof(std::uint64_t) * (grouped ? 3 + n : 3));
        const ssize_t got = ::read(fd, m_buf.data(), m_buf.size() * sizeof(std::uint64_t));
        if (got < want) MLHPC_FAIL("read of a perf_event counter: {}", errno_text(errno));
        if (grouped) {
          out.push_back(static_cast<double>(m_buf[1]));
          out.push_back(static_cast<double>(m_buf[2]));
          for (std::size_t j = 0; j < n; ++j) out.push_back(static_cast<double>(m_buf[3 + j]));
        } else {
          out.push_back(static_cast<double>(m_buf[1]));
          out.push_back(static_cast<double>(m_buf[2]));
          out.push_back(static_cast<double>(m_buf[0]));
        }
      }
      timespec ts{};
      clock_gettime(CLOCK_MONOTONIC, &ts);
      out.push_back(static_cast<double>(ts.tv_sec) * 1e9 + static_cast<double>(ts.tv_nsec));
    }
    m_read_size = out.size();
    return out;
  }

  std::vector<window_value> difference(const std::vector<double>& from,
                                       const std::vector<double>& to) const override {
    MLHPC_ASSERT(from.size() == to.size());
    std::vector<window_value> out(m_events.size());
    std::vector<double> min_fraction(m_events.size(), 1.0);
    std::vector<bool> ran(m_events.size(), false), on_cpu(m_events.size(), false);
    std::size_t pos = 0;
    std::size_t f = 0;
    double window_sum = 0;
    for (const std::size_t n_fds : m_thread_fds) {
      for (std::size_t k = 0; k < n_fds; ++k, ++f) {
        const auto& g = m_groups[m_layout[f]];
        const double enabled = to[pos] - from[pos];
        const double running = to[pos + 1] - from[pos + 1];
        pos += 2;
        for (const auto& [ei, pi] : g.members) {
          const double delta = to[pos] - from[pos];
          ++pos;
          // A thread that was never on a CPU in the window has nothing to count.
          if (enabled <= 0) continue;
          on_cpu[ei] = true;
          const auto sc = scale_multiplexed(delta, enabled, running);
          if (!sc) {
            min_fraction[ei] = 0;
            continue;
          }
          ran[ei] = true;
          min_fraction[ei] = std::min(min_fraction[ei], sc->running_fraction);
          const auto& e = m_events[ei];
          out[ei].value += sc->value * e.parts[pi].weight * e.scale;
        }
      }
      window_sum += (to[pos] - from[pos]) * 1e-9;
      ++pos;
    }
    for (std::size_t i = 0; i < out.size(); ++i) {
      if (!m_thread_fds.empty())
        out[i].counted_s = window_sum / static_cast<double>(m_thread_fds.size());
      if (!on_cpu[i]) continue;  // exact 0: no thread ran
      if (m_events[i].hardware || min_fraction[i] < 1)
        out[i].running_fraction = ran[i] ? min_fraction[i] : 0.0;
    }
    return out;
  }

  void stop() noexcept override {
    for (int fd : m_members) close(fd);
    for (const auto& [fd, gi] : m_fds) close(fd);
    m_members.clear();
    m_fds.clear();
  }

 private:
  static std::string explain(int err, bool hardware, const std::vector<std::string>& pmus) {
    if ((err == ENOENT || err == EOPNOTSUPP || err == ENODEV) && hardware && pmus.empty())
      return "no PMU in this VM: the kernel exposes no CPU PMU under "
             "/sys/bus/event_source/devices (a hypervisor without a virtual PMU); software "
             "events still work";
    if (err == ENOENT || err == EOPNOTSUPP || err == ENODEV)
      return fmt::format("not supported by this PMU ({})", errno_text(err));
    if (err == EACCES || err == EPERM)
      return fmt::format(
          "permission denied ({}): lower kernel.perf_event_paranoid (sysctl "
          "kernel.perf_event_paranoid=2) or grant CAP_PERFMON; in a container, its seccomp "
          "profile may block perf_event_open",
          errno_text(err));
    if (err == EINVAL) return fmt::format("rejected by the kernel ({})", errno_text(err));
    return errno_text(err);
  }

  struct group {
    std::vector<std::pair<std::size_t, std::size_t>> members;  // (event, part)
  };
  perf_access m_access;
  std::vector<event_def> m_events;
  std::vector<group> m_groups;
  std::vector<std::pair<int, std::size_t>> m_fds;  // (fd read, its group)
  std::vector<int> m_members;                      // group members, closed with the leaders
  std::vector<std::size_t> m_layout;               // the group of each fd read, kept after stop()
  std::vector<std::size_t> m_thread_fds;  // fds per thread, in read order, kept after stop()
  std::vector<std::uint64_t> m_buf;
  std::size_t m_read_size = 0;
};

}  // namespace

std::optional<scaled_count> scale_multiplexed(double delta, double enabled, double running) {
  if (running <= 0) return std::nullopt;
  if (running >= enabled) return scaled_count{delta, 1.0};
  const double fraction = running / enabled;
  return scaled_count{delta / fraction, fraction};
}

bool perf_event_claims(const std::string& event) {
  if (event == "fp-ops" || raw_event(event)) return true;
  for (const auto& g : generic_events())
    if (g.name == event) return true;
  return false;
}

std::vector<std::string> perf_event_names() {
  std::vector<std::string> out;
  for (const auto& g : generic_events()) out.push_back(g.name);
  out.push_back("fp-ops");
  return out;
}

perf_access read_perf_access() {
  perf_access a;
  a.paranoid = []() -> std::optional<int> {
    const auto v = sysfs::read_int(sysfs::proc("sys/kernel/perf_event_paranoid"));
    if (!v) return std::nullopt;
    return static_cast<int>(*v);
  }();
  // CapEff: CAP_SYS_ADMIN is bit 21, CAP_PERFMON bit 38.
  if (const auto status = sysfs::read_text(sysfs::proc("self/status"))) {
    const auto pos = status->find("CapEff:");
    if (pos != std::string::npos) {
      const auto caps = std::stoull(status->substr(pos + 7), nullptr, 16);
      a.privileged = ((caps >> 21) & 1U) != 0 || ((caps >> 38) & 1U) != 0;
    }
  }
  if (!a.paranoid) {
    a.allowed = false;
    a.note =
        "this kernel has no /proc/sys/kernel/perf_event_paranoid: built without perf_event "
        "(CONFIG_PERF_EVENTS)";
    return a;
  }
  const int p = *a.paranoid;
  if (a.privileged) {
    a.note = fmt::format(
        "perf_event_paranoid is {}, but this process has CAP_PERFMON or CAP_SYS_ADMIN: user "
        "and kernel are counted",
        p);
    return a;
  }
  if (p >= 3) {
    a.allowed = false;
    a.note = fmt::format(
        "perf_event_paranoid is {}: perf_event_open is closed to unprivileged users (a Debian "
        "kernel setting); run 'sysctl kernel.perf_event_paranoid=2' as root, or grant "
        "CAP_PERFMON",
        p);
  } else if (p == 2) {
    a.exclude_kernel = true;
    a.note =
        "perf_event_paranoid is 2: user space only (kernel time is not counted); "
        "'sysctl kernel.perf_event_paranoid=1' as root counts the kernel too";
  } else {
    a.note = fmt::format("perf_event_paranoid is {}: user and kernel are counted", p);
  }
  return a;
}

std::vector<std::string> cpu_pmus() {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& e :
       std::filesystem::directory_iterator(sysfs::sys("bus/event_source/devices"), ec)) {
    const auto n = e.path().filename().string();
    if (n == "cpu" || n == "cpu_core" || n == "cpu_atom" || n.rfind("armv8", 0) == 0 ||
        n.rfind("armv9", 0) == 0 || n.rfind("arm_", 0) == 0)
      out.push_back(n);
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::unique_ptr<collector> make_perf_event_collector(const std::vector<std::string>& events) {
  return std::make_unique<perf_event_collector>(events);
}

}  // namespace mlhpc::profilers
