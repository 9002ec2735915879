#include "bench/context.hpp"

#include <fmt/format.h>
#include <gnu/libc-version.h>
#include <hwloc.h>
#include <omp.h>
#include <sched.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <sstream>

#include "bench/sysfs.hpp"
#include "bench/text.hpp"
#include "bench/workload.hpp"
#include "mlhpc_config.hpp"
#include "mlhpc_git.hpp"

extern char** environ;

namespace mlhpc {

using nlohmann::json;

namespace {

std::string trim(std::string s) {
  const auto b = s.find_first_not_of(" \t\r\n");
  const auto e = s.find_last_not_of(" \t\r\n");
  return b == std::string::npos ? std::string() : s.substr(b, e - b + 1);
}

// key -> value of the first processor block of /proc/cpuinfo.
std::map<std::string, std::string> cpuinfo_first_block() {
  std::map<std::string, std::string> out;
  const auto text = sysfs::read_text(sysfs::proc("cpuinfo"));
  if (!text) return out;
  std::istringstream in(*text);
  std::string line;
  while (std::getline(in, line)) {
    if (trim(line).empty()) {
      if (!out.empty()) break;
      continue;
    }
    const auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    out.emplace(trim(line.substr(0, colon)), trim(line.substr(colon + 1)));
  }
  return out;
}

std::map<std::string, std::uint64_t> meminfo() {
  std::map<std::string, std::uint64_t> out;
  const auto text = sysfs::read_text(sysfs::proc("meminfo"));
  if (!text) return out;
  std::istringstream in(*text);
  std::string key;
  std::uint64_t kib = 0;
  std::string unit;
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream ls(line);
    if (ls >> key >> kib) {
      if (!key.empty() && key.back() == ':') key.pop_back();
      out[key] = kib * 1024;
    }
  }
  return out;
}

class topology {
 public:
  topology() {
    if (hwloc_topology_init(&m_topo) == 0 && hwloc_topology_load(m_topo) == 0) m_ok = true;
  }
  ~topology() {
    if (m_topo != nullptr) hwloc_topology_destroy(m_topo);
  }
  topology(const topology&) = delete;
  topology& operator=(const topology&) = delete;
  bool ok() const { return m_ok; }
  hwloc_topology_t get() const { return m_topo; }
  int count(hwloc_obj_type_t t) const { return hwloc_get_nbobjs_by_type(m_topo, t); }

 private:
  hwloc_topology_t m_topo = nullptr;
  bool m_ok = false;
};

std::string cpulist(const std::vector<int>& cpus) {
  // "0-3,8,10-11"
  std::string out;
  for (std::size_t i = 0; i < cpus.size();) {
    std::size_t j = i;
    while (j + 1 < cpus.size() && cpus[j + 1] == cpus[j] + 1) ++j;
    if (!out.empty()) out += ',';
    out += j == i ? std::to_string(cpus[i]) : fmt::format("{}-{}", cpus[i], cpus[j]);
    i = j + 1;
  }
  return out;
}

std::vector<int> mask_cpus(const cpu_set_t& set) {
  std::vector<int> out;
  for (int c = 0; c < CPU_SETSIZE; ++c)
    if (CPU_ISSET(c, &set)) out.push_back(c);
  return out;
}

}  // namespace

std::string host_name() {
  char buf[256] = {};
  if (gethostname(buf, sizeof buf - 1) != 0) return "unknown";
  return utf8_text(buf);
}

std::vector<int> allowed_cpus() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof set, &set) != 0) return {};
  // With OMP_PROC_BIND set, libgomp binds the initial thread to the first place when it starts,
  // so the main thread's mask shows one place only: the process may use every place's CPUs
  // (without this, OMP_PLACES=cores made the default thread count 1).
  if (omp_get_proc_bind() != omp_proc_bind_false)
    for (int p = 0; p < omp_get_num_places(); ++p) {
      const int n = omp_get_place_num_procs(p);
      std::vector<int> ids(static_cast<std::size_t>(std::max(0, n)));
      omp_get_place_proc_ids(p, ids.data());
      for (const int c : ids)
        if (c >= 0 && c < CPU_SETSIZE) CPU_SET(c, &set);
    }
  return mask_cpus(set);
}

std::uint64_t available_memory_bytes() {
  const auto m = meminfo();
  const auto it = m.find("MemAvailable");
  return it == m.end() ? 0 : it->second;
}

std::uint64_t last_level_cache_bytes() {
  topology t;
  if (!t.ok()) return 0;
  for (int depth = 5; depth >= 1; --depth) {
    const auto type = static_cast<hwloc_obj_type_t>(HWLOC_OBJ_L1CACHE + depth - 1);
    const int n = t.count(type);
    if (n <= 0) continue;
    std::uint64_t total = 0;
    for (int i = 0; i < n; ++i) {
      const hwloc_obj_t o = hwloc_get_obj_by_type(t.get(), type, i);
      if (o->attr != nullptr && o->attr->cache.type != HWLOC_OBJ_CACHE_INSTRUCTION)
        total += o->attr->cache.size;
    }
    if (total > 0) return total;
  }
  return 0;
}

json build_context() {
  json j;
  j["name"] = "mlhpc-bench";
  j["version"] = MLHPC_VERSION;
  j["git_commit"] = MLHPC_GIT_COMMIT;
  if (std::strcmp(MLHPC_GIT_DIRTY, "unknown") != 0)
    j["git_dirty"] = std::strcmp(MLHPC_GIT_DIRTY, "true") == 0;
  j["build_type"] = MLHPC_BUILD_TYPE;
  j["compiler"] = {{"id", MLHPC_COMPILER_ID}, {"version", MLHPC_COMPILER_VERSION}};
  j["flags"] = {{"cxx", MLHPC_CXX_FLAGS}, {"build_type", MLHPC_CXX_FLAGS_BUILD_TYPE}};
  j["features"] = json::parse(MLHPC_FEATURES_JSON);
  return j;
}

json system_context() {
  json j;
  j["host"] = host_name();
  utsname u{};
  if (uname(&u) == 0)
    j["kernel"] = {{"sysname", u.sysname},
                   {"release", u.release},
                   {"version", u.version},
                   {"machine", u.machine}};
  if (const auto os = sysfs::read_text("/etc/os-release")) {
    std::istringstream in(*os);
    std::string line;
    while (std::getline(in, line))
      if (line.rfind("PRETTY_NAME=", 0) == 0) {
        std::string v = line.substr(12);
        if (v.size() >= 2 && v.front() == '"') v = v.substr(1, v.size() - 2);
        j["os"] = v;
      }
  }

  // CPU identity and ISA.
  const auto ci = cpuinfo_first_block();
  json cpu = json::object();
  auto put = [&](const char* key, const char* name) {
    if (auto it = ci.find(key); it != ci.end()) cpu[name] = it->second;
  };
  put("model name", "model_name");
  put("vendor_id", "vendor");
  auto put_int = [&](const char* key, const char* name) {
    if (auto it = ci.find(key); it != ci.end()) {
      try {
        cpu[name] = std::stoll(it->second, nullptr, 0);
      } catch (const std::exception&) {
        cpu[name] = it->second;
      }
    }
  };
  put_int("cpu family", "family");
  put_int("model", "model");
  put_int("stepping", "stepping");
  put("microcode", "microcode");
  std::vector<std::string> flags;
  if (auto it = ci.find("flags"); it != ci.end()) {
    std::istringstream fs(it->second);
    std::string f;
    while (fs >> f) flags.push_back(f);
  }
  cpu["flags"] = flags;
  json isa = json::object();
  for (const char* f :
       {"sse2", "avx", "avx2", "fma", "avx512f", "avx512bw", "avx512vl", "avx512_vnni",
        "avx512_bf16", "avx512_fp16", "avx_vnni", "amx_tile", "amx_bf16", "amx_int8"})
    isa[f] = std::find(flags.begin(), flags.end(), f) != flags.end();
  cpu["isa"] = isa;
  j["cpu"] = cpu;

  // Topology and caches.
  topology t;
  json topo = json::object();
  if (t.ok()) {
    topo["source"] =
        fmt::format("hwloc {}.{}.{}", hwloc_get_api_version() >> 16,
                    (hwloc_get_api_version() >> 8) & 0xff, hwloc_get_api_version() & 0xff);
    topo["sockets"] = t.count(HWLOC_OBJ_PACKAGE);
    topo["cores"] = t.count(HWLOC_OBJ_CORE);
    topo["hardware_threads"] = t.count(HWLOC_OBJ_PU);
    topo["numa_nodes"] = std::max(1, t.count(HWLOC_OBJ_NUMANODE));
    json caches = json::array();
    for (int level = 1; level <= 5; ++level) {
      const auto type = static_cast<hwloc_obj_type_t>(HWLOC_OBJ_L1CACHE + level - 1);
      const int n = t.count(type);
      std::map<std::string, json> by_kind;
      for (int i = 0; i < n; ++i) {
        const hwloc_obj_t o = hwloc_get_obj_by_type(t.get(), type, i);
        const char* kind = o->attr->cache.type == HWLOC_OBJ_CACHE_DATA          ? "data"
                           : o->attr->cache.type == HWLOC_OBJ_CACHE_INSTRUCTION ? "instruction"
                                                                                : "unified";
        json& c = by_kind[kind];
        if (c.is_null())
          c = {{"level", level},
               {"type", kind},
               {"size_bytes", o->attr->cache.size},
               {"line_bytes", o->attr->cache.linesize},
               {"count", 0},
               {"shared_by_hardware_threads", hwloc_bitmap_weight(o->cpuset)}};
        c["count"] = c["count"].get<int>() + 1;
      }
      // hwloc reports L1i as its own type; include it.
      if (level <= 3) {
        const auto itype = static_cast<hwloc_obj_type_t>(HWLOC_OBJ_L1ICACHE + level - 1);
        const int ni = t.count(itype);
        for (int i = 0; i < ni; ++i) {
          const hwloc_obj_t o = hwloc_get_obj_by_type(t.get(), itype, i);
          json& c = by_kind["instruction"];
          if (c.is_null())
            c = {{"level", level},
                 {"type", "instruction"},
                 {"size_bytes", o->attr->cache.size},
                 {"line_bytes", o->attr->cache.linesize},
                 {"count", 0},
                 {"shared_by_hardware_threads", hwloc_bitmap_weight(o->cpuset)}};
          c["count"] = c["count"].get<int>() + 1;
        }
      }
      for (auto& [k, c] : by_kind) caches.push_back(c);
    }
    topo["caches"] = caches;
  } else {
    topo["unavailable"] = "hwloc could not load the topology";
  }
  j["topology"] = topo;

  // Memory.
  const auto mi = meminfo();
  json mem = json::object();
  if (auto it = mi.find("MemTotal"); it != mi.end()) mem["total_bytes"] = it->second;
  if (auto it = mi.find("MemAvailable"); it != mi.end()) mem["available_bytes"] = it->second;
  if (auto it = mi.find("Hugepagesize"); it != mi.end()) mem["hugepage_bytes"] = it->second;
  if (auto thp = sysfs::read_line(sysfs::sys("kernel/mm/transparent_hugepage/enabled")))
    mem["transparent_hugepages"] = *thp;
  j["memory"] = mem;

  // Frequency and governor (cpufreq is often absent in VMs; then say so).
  json freq = json::object();
  const auto cf = sysfs::sys("devices/system/cpu/cpu0/cpufreq");
  if (std::filesystem::exists(cf)) {
    if (auto v = sysfs::read_int(cf / "scaling_cur_freq")) freq["current_hz"] = *v * 1000;
    if (auto v = sysfs::read_int(cf / "scaling_min_freq")) freq["min_hz"] = *v * 1000;
    if (auto v = sysfs::read_int(cf / "scaling_max_freq")) freq["max_hz"] = *v * 1000;
    if (auto v = sysfs::read_int(cf / "cpuinfo_max_freq")) freq["hardware_max_hz"] = *v * 1000;
    if (auto v = sysfs::read_line(cf / "scaling_governor")) freq["governor"] = *v;
    if (auto v = sysfs::read_line(cf / "scaling_driver")) freq["driver"] = *v;
    if (auto v = sysfs::read_int(sysfs::sys("devices/system/cpu/cpufreq/boost")))
      freq["boost"] = *v != 0;
  } else {
    freq["unavailable"] =
        "no cpufreq directory in sysfs (usual in a VM): frequency and governor "
        "are not readable";
  }
  if (auto it = ci.find("cpu MHz"); it != ci.end()) {
    try {
      freq["cpuinfo_hz"] = std::stod(it->second) * 1e6;
    } catch (const std::exception&) {
    }
  }
  j["frequency"] = freq;

  // Virtualisation.
  json virt = json::object();
  const bool hv = std::find(flags.begin(), flags.end(), "hypervisor") != flags.end();
  virt["hypervisor_present"] = hv;
  if (auto v = sysfs::read_line(sysfs::sys("hypervisor/type"))) virt["hypervisor_type"] = *v;
  if (auto v = sysfs::read_line(sysfs::sys("class/dmi/id/sys_vendor"))) virt["system_vendor"] = *v;
  if (auto v = sysfs::read_line(sysfs::sys("class/dmi/id/product_name"))) virt["product_name"] = *v;
  j["virtualization"] = virt;
  return j;
}

json library_context(const std::vector<const workload*>& workloads) {
  json j = json::object();
  for (const workload* w : workloads) {
    const json libs = w->libraries();
    for (const auto& [k, v] : libs.items()) j[k] = v;
  }
  const unsigned hv = hwloc_get_api_version();
  j["hwloc"] = {{"api_version", fmt::format("{}.{}.{}", hv >> 16, (hv >> 8) & 0xff, hv & 0xff)}};
  j["glibc"] = {{"version", gnu_get_libc_version()}};
  j["openmp"] = {{"spec_date", _OPENMP}};
  j["fmt"] = {{"version", fmt::format("{}.{}.{}", FMT_VERSION / 10000, FMT_VERSION / 100 % 100,
                                      FMT_VERSION % 100)}};
  j["nlohmann_json"] = {
      {"version", fmt::format("{}.{}.{}", NLOHMANN_JSON_VERSION_MAJOR, NLOHMANN_JSON_VERSION_MINOR,
                              NLOHMANN_JSON_VERSION_PATCH)}};
  return j;
}

json affinity_context(int threads) {
  json j;
  const auto cpus = allowed_cpus();
  j["process_cpus"] = cpulist(cpus);
  j["threads"] = threads;
  std::vector<std::string> per_thread(static_cast<std::size_t>(threads));
  std::vector<int> running_on(static_cast<std::size_t>(threads), -1);
#pragma omp parallel num_threads(threads)
  {
    cpu_set_t set;
    CPU_ZERO(&set);
    const int t = omp_get_thread_num();
    if (sched_getaffinity(0, sizeof set, &set) == 0)
      per_thread[static_cast<std::size_t>(t)] = cpulist(mask_cpus(set));
    running_on[static_cast<std::size_t>(t)] = sched_getcpu();
  }
  j["openmp_thread_cpus"] = per_thread;
  const char* names[] = {"false", "true", "master", "close", "spread"};
  const int bind = static_cast<int>(omp_get_proc_bind());
  j["openmp_proc_bind"] = bind >= 0 && bind <= 4 ? names[bind] : std::to_string(bind);
  j["openmp_places"] = omp_get_num_places();
  j["pinned"] = std::all_of(per_thread.begin(), per_thread.end(), [&](const std::string& s) {
    return s.find_first_of(",-") == std::string::npos;
  });
  return j;
}

json environment_context() {
  static const char* prefixes[] = {
      "OMP_",         "KMP_",      "GOMP_", "DNNL_",      "ONEDNN_",         "OPENBLAS_",
      "MKL_",         "CUDA_",     "NCCL_", "OMPI_",      "PMIX_",           "UCX_",
      "MLHPC_",       "HWLOC_",    "GOMP_", "LD_PRELOAD", "LD_LIBRARY_PATH", "SLURM_JOB_ID",
      "SLURM_NTASKS", "SLURM_CPUS"};
  json j = json::object();
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    const std::string kv = *e;
    const auto eq = kv.find('=');
    if (eq == std::string::npos) continue;
    const std::string key = kv.substr(0, eq);
    for (const char* p : prefixes)
      if (key.rfind(p, 0) == 0) {
        j[utf8_text(key)] = utf8_text(kv.substr(eq + 1));  // kept, escaped, never fatal
        break;
      }
  }
  return j;
}

}  // namespace mlhpc
