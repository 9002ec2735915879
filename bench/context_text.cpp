#include "bench/context_text.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>

#include "bench/rates.hpp"

namespace mlhpc {

using nlohmann::json;

std::string format_bytes_binary(double b) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
  int u = 0;
  while (b >= 1024 && u < 5) {
    b /= 1024;
    ++u;
  }
  if (u == 0) return fmt::format("{:.0f} B", b);
  return std::fabs(b - std::round(b)) < 0.05 ? fmt::format("{:.0f} {}", b, units[u])
                                             : fmt::format("{:.1f} {}", b, units[u]);
}

namespace {

std::string text_of(const json& j, const char* key, const std::string& fallback = "?") {
  if (!j.is_object() || !j.contains(key)) return fallback;
  const auto& v = j[key];
  if (v.is_string()) return v.get<std::string>();
  if (v.is_number_integer()) return std::to_string(v.get<long long>());
  if (v.is_number()) return fmt::format("{}", v.get<double>());
  return fallback;
}

std::string ghz(double hz) {
  return fmt::format("{:.2f} GHz", hz / 1e9);
}

std::string plural(long long n, const char* one, const char* many) {
  return fmt::format("{} {}", n, n == 1 ? one : many);
}

// Library keys as their projects spell them.
std::string library_name(const std::string& key) {
  static const std::map<std::string, std::string> names = {
      {"onednn", "oneDNN"},     {"hwloc", "hwloc"},   {"fmt", "fmt"},
      {"glibc", "glibc"},       {"openmp", "OpenMP"}, {"nlohmann_json", "nlohmann-json"},
      {"mpi", "MPI"},           {"papi", "PAPI"},     {"cuda", "CUDA"},
      {"cudnn", "cuDNN"},       {"cublas", "cuBLAS"}, {"nccl", "NCCL"},
      {"liburing", "liburing"}, {"nvml", "NVML"},     {"yaml_cpp", "yaml-cpp"}};
  const auto it = names.find(key);
  return it == names.end() ? key : it->second;
}

}  // namespace

std::string tool_line(const json& t) {
  if (!t.is_object()) return "unavailable";
  std::string out = fmt::format("{} {}", text_of(t, "name", "mlhpc-bench"), text_of(t, "version"));
  if (t.contains("git_commit") && t["git_commit"].is_string()) {
    out += fmt::format(", commit {}", t["git_commit"].get<std::string>().substr(0, 12));
    if (t.value("git_dirty", false)) out += " (with uncommitted changes)";
  }
  if (t.contains("compiler"))
    out += fmt::format(", {} {}", text_of(t["compiler"], "id"), text_of(t["compiler"], "version"));
  if (t.contains("build_type")) {
    out += ", " + text_of(t, "build_type");
    if (t.contains("flags") && t["flags"].contains("build_type"))
      out += fmt::format(" ({})", text_of(t["flags"], "build_type"));
  }
  if (t.contains("features") && t["features"].is_object()) {
    std::vector<std::string> on, off;
    for (const auto& [k, v] : t["features"].items())
      (v.is_boolean() && v.get<bool>() ? on : off).push_back(k);
    std::string f;
    for (const auto& k : on) f += fmt::format("{}{}", f.empty() ? "" : ", ", k);
    out += fmt::format("; built with {}", f.empty() ? "no optional library" : f);
    if (!off.empty()) {
      std::string o;
      for (const auto& k : off) o += fmt::format("{}{}", o.empty() ? "" : ", ", k);
      out += fmt::format(", without {}", o);
    }
  }
  return out;
}

std::string libraries_line(const json& libs) {
  if (!libs.is_object() || libs.empty()) return "unavailable";
  std::string out;
  for (const auto& [k, v] : libs.items()) {
    std::string one = library_name(k);
    if (v.is_object()) {
      std::string ver = text_of(v, "version", text_of(v, "api_version", ""));
      if (ver.empty() && v.contains("spec_date")) ver = "spec " + text_of(v, "spec_date");
      // MPI's library string is long ("Open MPI v4.1.4, package: ..."): its first clause.
      if (k == "mpi") {
        one.clear();
        ver = ver.substr(0, ver.find(','));
      }
      if (!ver.empty()) one += fmt::format("{}{}", one.empty() ? "" : " ", ver);
      if (k == "onednn" && v.contains("cpu_runtime"))
        one += fmt::format(" ({}, {})", text_of(v, "cpu_runtime"), text_of(v, "effective_isa"));
      if (v.contains("unavailable")) one += ": unavailable: " + text_of(v, "unavailable");
    }
    out += fmt::format("{}{}", out.empty() ? "" : ", ", one);
  }
  return out;
}

std::vector<std::pair<std::string, std::string>> context_fields(const json& c) {
  std::vector<std::pair<std::string, std::string>> f;
  if (!c.is_object()) return f;
  const json sys = c.value("system", json::object());
  if (sys.contains("host")) f.emplace_back("host", text_of(sys, "host"));
  if (sys.contains("os")) f.emplace_back("os", text_of(sys, "os"));
  if (sys.contains("kernel"))
    f.emplace_back("kernel", fmt::format("{} {} ({})", text_of(sys["kernel"], "sysname"),
                                         text_of(sys["kernel"], "release"),
                                         text_of(sys["kernel"], "machine")));
  const json np = c.value("nominal_peak", json::object());
  if (sys.contains("cpu")) {
    const auto& cpu = sys["cpu"];
    std::string v =
        fmt::format("{} ({} family {} model {} stepping {})", text_of(cpu, "model_name"),
                    text_of(cpu, "vendor"), text_of(cpu, "family"), text_of(cpu, "model"),
                    text_of(cpu, "stepping"));
    if (np.contains("microarchitecture")) v += ", " + text_of(np, "microarchitecture");
    f.emplace_back("cpu", v);
    if (cpu.contains("isa") && cpu["isa"].is_object()) {
      std::string isa;
      for (const auto& [k, on] : cpu["isa"].items())
        if (on.is_boolean() && on.get<bool>())
          isa += fmt::format("{}{}", isa.empty() ? "" : " ", k);
      f.emplace_back("isa", isa.empty() ? "none of those mlhpc looks for" : isa);
    }
  }
  if (sys.contains("topology")) {
    const auto& t = sys["topology"];
    f.emplace_back(
        "topology",
        fmt::format("{}, {}, {}, {}", plural(t.value("sockets", 0), "socket", "sockets"),
                    plural(t.value("cores", 0), "core", "cores"),
                    plural(t.value("hardware_threads", 0), "hardware thread", "hardware threads"),
                    plural(t.value("numa_nodes", 0), "NUMA node", "NUMA nodes")));
    std::string caches;
    for (const auto& k : t.value("caches", json::array())) {
      const std::string type = k.value("type", "");
      caches += fmt::format("{}L{}{} {} x {}", caches.empty() ? "" : ", ", k.value("level", 0),
                            type == "data"          ? "d"
                            : type == "instruction" ? "i"
                                                    : "",
                            format_bytes_binary(k.value("size_bytes", 0.0)), k.value("count", 0));
    }
    if (!caches.empty()) f.emplace_back("caches", caches);
  }
  if (sys.contains("memory")) {
    const auto& m = sys["memory"];
    std::string v = fmt::format("{} total", format_bytes_binary(m.value("total_bytes", 0.0)));
    if (m.contains("available_bytes"))
      v += fmt::format(", {} available", format_bytes_binary(m.value("available_bytes", 0.0)));
    if (m.contains("hugepage_bytes"))
      v += fmt::format(", huge pages of {}", format_bytes_binary(m.value("hugepage_bytes", 0.0)));
    if (m.contains("transparent_hugepages"))
      v += fmt::format(", transparent huge pages: {}", text_of(m, "transparent_hugepages"));
    f.emplace_back("memory", v);
  }
  if (sys.contains("frequency")) {
    const auto& fr = sys["frequency"];
    std::vector<std::string> parts;
    if (fr.contains("max_hz")) parts.push_back("max " + ghz(fr["max_hz"].get<double>()));
    if (fr.contains("cpuinfo_hz"))
      parts.push_back(ghz(fr["cpuinfo_hz"].get<double>()) + " in /proc/cpuinfo");
    if (np.contains("frequency_sources") && np["frequency_sources"].contains("measured_hz"))
      parts.push_back(ghz(np["frequency_sources"]["measured_hz"].get<double>()) +
                      " measured (dependent additions)");
    if (fr.contains("governor")) parts.push_back("governor " + text_of(fr, "governor"));
    if (fr.contains("unavailable"))
      parts.push_back("cpufreq unavailable: " + text_of(fr, "unavailable"));
    std::string v;
    for (const auto& p : parts) v += fmt::format("{}{}", v.empty() ? "" : "; ", p);
    f.emplace_back("clock", v);
  }
  if (sys.contains("virtualization"))
    f.emplace_back("virtualisation", sys["virtualization"].value("hypervisor_present", false)
                                         ? "a hypervisor is present (a VM)"
                                         : "none seen (bare metal)");
  if (np.contains("unavailable")) {
    f.emplace_back("nominal peak", "unavailable: " + text_of(np, "unavailable"));
  } else if (np.contains("rates")) {
    std::string v =
        fmt::format("{} cores x {}", np.value("cores", 0), ghz(np.value("frequency_hz", 0.0)));
    for (const auto& [k, r] : np["rates"].items())
      v += fmt::format("; {} {}", k.substr(k.find(':') + 1),
                       format_rate(r.value("value", 0.0), r.value("unit", "flop/s")));
    f.emplace_back("nominal peak", v);
  }
  if (c.contains("tool")) f.emplace_back("tool", tool_line(c["tool"]));
  if (c.contains("libraries")) f.emplace_back("libraries", libraries_line(c["libraries"]));
  if (c.contains("affinity")) {
    const auto& a = c["affinity"];
    f.emplace_back("threads", fmt::format("{} on CPUs {}; {} (OMP_PROC_BIND {})",
                                          a.value("threads", 0), text_of(a, "process_cpus"),
                                          a.value("pinned", false) ? "pinned" : "not pinned",
                                          text_of(a, "openmp_proc_bind")));
  }
  if (c.contains("collectors") && c["collectors"].is_object()) {
    std::string v;
    for (const auto& [k, col] : c["collectors"].items()) {
      v += fmt::format("{}{}", v.empty() ? "" : "; ", k + ": ");
      if (col.value("status", "") == "available") {
        std::string m;
        for (const auto& x : col.value("metrics", json::array()))
          m += fmt::format("{}{}", m.empty() ? "" : ", ",
                           (x.is_string() ? x.get<std::string>() : x.dump()));
        v += "available" + (m.empty() ? "" : " (" + m + ")");
      } else {
        v += "unavailable: " + text_of(col, "reason");
      }
    }
    f.emplace_back("counters", v);
  }
  if (c.contains("environment") && c["environment"].is_object() && !c["environment"].empty()) {
    std::string v;
    for (const auto& [k, e] : c["environment"].items())
      v += fmt::format("{}{}={}", v.empty() ? "" : " ", k,
                       e.is_string() ? e.get<std::string>() : e.dump());
    f.emplace_back("environment", v);
  }
  return f;
}

std::string format_context_text(const json& context) {
  std::string out;
  for (const auto& [k, v] : context_fields(context)) out += fmt::format("  {:<15} {}\n", k, v);
  return out;
}

}  // namespace mlhpc
