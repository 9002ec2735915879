#include "bench/sched.hpp"

#include <algorithm>
#include <charconv>
#include <filesystem>
#include <sstream>
#include <system_error>

#include "bench/sysfs.hpp"

namespace mlhpc {

namespace {

namespace fs = std::filesystem;

std::optional<std::int64_t> to_int(std::string_view s) {
  std::int64_t v = 0;
  const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p == s.data()) return std::nullopt;
  return v;
}

// "key value" lines of a cpu.stat: the throttled time in ns (v1 throttled_time, v2
// throttled_usec x 1000) and the throttled periods; nullopt without either.
std::optional<sched_snapshot::cgroup_stat> read_cpu_stat(const fs::path& dir) {
  const auto text = sysfs::read_text(dir / "cpu.stat");
  if (!text) return std::nullopt;
  std::istringstream in(*text);
  std::string key, value;
  bool found = false;
  sched_snapshot::cgroup_stat st;
  st.path = dir.string();
  while (in >> key >> value) {
    const auto v = to_int(value);
    if (!v) continue;
    if (key == "throttled_time") {
      st.throttled_ns = *v;
      found = true;
    } else if (key == "throttled_usec") {
      st.throttled_ns = *v * 1000;
      found = true;
    } else if (key == "nr_throttled") {
      st.throttled_periods = *v;
    }
  }
  if (!found) return std::nullopt;
  return st;
}

// The directories of this process's CPU cgroup, itself first then its ancestors: the v1
// hierarchy whose controllers name "cpu" (mounted as cpu, cpu,cpuacct or cpuacct,cpu), else the
// v2 one (mounted at fs/cgroup, or fs/cgroup/unified on a hybrid system).
std::vector<sched_snapshot::cgroup_stat> read_cgroups() {
  std::vector<sched_snapshot::cgroup_stat> out;
  const auto text = sysfs::read_text(sysfs::proc("self/cgroup"));
  if (!text) return out;
  std::istringstream in(*text);
  std::string line;
  // (own directory, the hierarchy's root) of each hierarchy, v1's cpu first
  std::vector<std::pair<fs::path, fs::path>> candidates, v2;
  const fs::path base = sysfs::sys("fs/cgroup");
  while (std::getline(in, line)) {
    const auto a = line.find(':');
    const auto b = a == std::string::npos ? a : line.find(':', a + 1);
    if (b == std::string::npos) continue;
    const std::string controllers = line.substr(a + 1, b - a - 1);
    const fs::path rel = fs::path(line.substr(b + 1)).relative_path();
    if (controllers.empty()) {
      v2 = {{base / rel, base}, {base / "unified" / rel, base / "unified"}};
      continue;
    }
    std::istringstream cs(controllers);
    std::string c;
    bool cpu = false;
    while (std::getline(cs, c, ',')) cpu = cpu || c == "cpu";
    if (cpu) candidates.emplace_back(base / controllers / rel, base / controllers);
  }
  candidates.insert(candidates.end(), v2.begin(), v2.end());
  for (const auto& [own, root] : candidates) {
    // Itself and its ancestors up to the hierarchy's root: a quota on a parent throttles the
    // parent's queue, and the parent's cpu.stat counts it.
    for (fs::path dir = own;; dir = dir.parent_path()) {
      if (auto st = read_cpu_stat(dir)) out.push_back(std::move(*st));
      if (dir == root || dir == dir.parent_path()) break;
    }
    if (!out.empty()) return out;  // the first hierarchy with a readable cpu.stat
  }
  return out;
}

}  // namespace

sched_snapshot read_sched() {
  sched_snapshot s;
  std::error_code ec;
  for (fs::directory_iterator it(sysfs::proc("self/task"), ec), end; !ec && it != end;
       it.increment(ec)) {
    const auto tid = to_int(it->path().filename().string());
    const auto line = sysfs::read_line(it->path() / "schedstat");
    if (!tid || !line) continue;
    std::istringstream in(*line);
    std::string run, delay;
    if (!(in >> run >> delay)) continue;
    const auto r = to_int(run), d = to_int(delay);
    if (r && d) s.threads[static_cast<long>(*tid)] = {*r, *d};
  }
  s.cgroups = read_cgroups();
  return s;
}

sched_delta between(const sched_snapshot& before, const sched_snapshot& after) {
  sched_delta d;
  if (before.threads.empty() || after.threads.empty()) {
    d.unavailable =
        "/proc/self/task/*/schedstat is not readable (a kernel without CONFIG_SCHED_INFO, or a "
        "restricted /proc)";
  } else {
    d.available = true;
    std::int64_t run = 0, delay = 0;
    for (const auto& [tid, t] : after.threads) {
      const auto b = before.threads.find(tid);
      const auto base = b == before.threads.end() ? sched_snapshot::thread_times{} : b->second;
      run += std::max<std::int64_t>(0, t.run_ns - base.run_ns);
      delay += std::max<std::int64_t>(0, t.delay_ns - base.delay_ns);
      ++d.threads;
    }
    d.run_s = static_cast<double>(run) * 1e-9;
    d.delay_s = static_cast<double>(delay) * 1e-9;
  }
  for (const auto& a : after.cgroups) {
    for (const auto& b : before.cgroups) {
      if (a.path != b.path) continue;
      const double s =
          static_cast<double>(std::max<std::int64_t>(0, a.throttled_ns - b.throttled_ns)) * 1e-9;
      if (!d.throttled_s || s > *d.throttled_s) {
        d.cgroup = a.path;
        d.throttled_s = s;
        d.throttled_periods = std::max<std::int64_t>(0, a.throttled_periods - b.throttled_periods);
      }
    }
  }
  return d;
}

nlohmann::json sched_delta::to_json() const {
  nlohmann::json j;
  if (!available) {
    j["unavailable"] = unavailable;
  } else {
    j["threads"] = threads;
    j["run_s"] = run_s;
    j["runnable_wait_s"] = delay_s;
    j["wait_share"] = wait_share();
  }
  if (throttled_s) {
    j["cgroup"] = {{"path", *cgroup},
                   {"throttled_s", *throttled_s},
                   {"throttled_periods", *throttled_periods}};
  }
  j["how"] =
      "the process's threads from /proc/self/task/*/schedstat over the measurement (warm-up "
      "included): run time, and time runnable without a CPU (a CPU quota's throttling, a CPU "
      "shared with other tasks); wait_share = runnable_wait_s / (run_s + runnable_wait_s); "
      "cgroup: its CPU cgroup's cpu.stat (or an ancestor's) throttled time over the same span";
  return j;
}

}  // namespace mlhpc
