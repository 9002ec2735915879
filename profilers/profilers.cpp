#include "profilers/profilers.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <sstream>

#include "bench/error.hpp"
#include "profilers/nvml/nvml.hpp"
#include "profilers/perf_event/perf_event.hpp"
#include "profilers/rapl/powercap.hpp"
#include "profilers/rusage/rusage.hpp"
#if MLHPC_HAVE_PAPI
#include "profilers/papi/papi.hpp"
#endif

namespace mlhpc::profilers {

namespace {

bool papi_name(const std::string& e) {
  return e.rfind("PAPI_", 0) == 0 || e.find("::") != std::string::npos;
}

// A source this build cannot use at all: every event asked of it is unavailable, with the reason.
class absent_collector final : public collector {
 public:
  absent_collector(std::string name, const std::string& why, const std::vector<std::string>& events)
      : m_name(std::move(name)) {
    m_reason = why;
    for (const auto& e : events) m_unavailable[e] = why;
  }
  std::string name() const override { return m_name; }
  void start() override {}
  std::vector<double> read() override { return {}; }
  std::vector<window_value> difference(const std::vector<double>&,
                                       const std::vector<double>&) const override {
    return {};
  }
  void stop() noexcept override {}

 private:
  std::string m_name;
};

const std::vector<std::string> papi_presets = {"PAPI_TOT_CYC", "PAPI_TOT_INS", "PAPI_L1_DCM",
                                               "PAPI_L2_DCM",  "PAPI_L3_TCM",  "PAPI_FP_OPS",
                                               "PAPI_SP_OPS",  "PAPI_DP_OPS"};

}  // namespace

const std::vector<counter_set>& counter_sets() {
  static const std::vector<counter_set> sets = {
      {"default",
       "IPC, cache and branch misses, CPU time, faults, energy and rusage: cheap enough for "
       "every run",
       {"cycles", "instructions", "cache-references", "cache-misses", "branch-misses", "task-clock",
        "page-faults", "context-switches", "cpu-migrations", "energy", "rusage"}},
      {"cache",
       "the cache hierarchy: L1D, last level, TLB",
       {"cycles", "instructions", "cache-references", "cache-misses", "L1-dcache-loads",
        "L1-dcache-load-misses", "LLC-loads", "LLC-load-misses", "dTLB-load-misses", "task-clock",
        "page-faults", "rusage"}},
      {"flops",
       "counted floating-point operations, checked against the workload's declared work",
       {"cycles", "instructions", "fp-ops", "task-clock", "rusage"}},
      {"energy",
       "CPU (RAPL) and GPU (NVML) energy, power and clocks",
       {"energy", "nvml", "task-clock", "rusage"}},
      {"none", "no counters", {}},
  };
  return sets;
}

std::vector<std::string> expand_counters(const std::string& spec) {
  std::vector<std::string> out;
  auto add = [&](const std::string& e) {
    if (std::find(out.begin(), out.end(), e) == out.end()) out.push_back(e);
  };
  std::stringstream ss(spec);
  std::string tok;
  bool any = false;
  while (std::getline(ss, tok, ',')) {
    tok.erase(0, tok.find_first_not_of(" \t"));
    tok.erase(tok.find_last_not_of(" \t") + 1);
    if (tok.empty())
      throw usage_error(fmt::format("--counters '{}': an empty name between commas", spec));
    any = true;
    const auto& sets = counter_sets();
    const auto set =
        std::find_if(sets.begin(), sets.end(), [&](const counter_set& s) { return s.name == tok; });
    if (set != sets.end()) {
      for (const auto& e : set->events) add(e);
      continue;
    }
    if (perf_event_claims(tok) || rapl_claims(tok) || nvml_claims(tok) || rusage_claims(tok) ||
        papi_name(tok)) {
      add(tok);
      continue;
    }
    std::vector<std::string> set_names;
    for (const auto& s : sets) set_names.push_back(s.name);
    throw usage_error(fmt::format(
        "--counters: unknown counter '{}': expected a set ({}), a perf event ({}, ...; rHEX "
        "for a raw one), a PAPI event (PAPI_TOT_INS, component:::event), energy, "
        "energy:ZONE, rapl, nvml, gpu-energy, rusage (see 'mlhpc list --counters')",
        tok, fmt::join(set_names, ", "), "cycles, instructions, cache-misses, task-clock"));
  }
  if (!any) throw usage_error("--counters '': expected a set name or events");
  return out;
}

std::vector<std::unique_ptr<collector>> make_collectors(const std::vector<std::string>& events) {
  std::vector<std::string> nvml, rapl, papi, rusage, perf;
  for (const auto& e : events) {
    if (papi_name(e)) {
      papi.push_back(e);
      continue;
    }
    if (nvml_claims(e)) nvml.push_back(e);
    if (rapl_claims(e) && e.rfind("gpu-", 0) != 0 && e != "nvml") rapl.push_back(e);
    if (rusage_claims(e)) rusage.push_back(e);
    if (perf_event_claims(e)) perf.push_back(e);
  }
  std::vector<std::unique_ptr<collector>> out;
  if (!nvml.empty()) out.push_back(make_nvml_collector(nvml));
  if (!rapl.empty()) out.push_back(make_rapl_collector(rapl));
  if (!papi.empty()) {
#if MLHPC_HAVE_PAPI
    out.push_back(make_papi_collector(papi));
#else
    out.push_back(std::make_unique<absent_collector>(
        "papi", "this build has no PAPI (install libpapi-dev and reconfigure with MLHPC_WITH_PAPI)",
        papi));
#endif
  }
  if (!rusage.empty()) out.push_back(make_rusage_collector(rusage));
  if (!perf.empty()) out.push_back(make_perf_event_collector(perf));
  return out;
}

std::string describe_counters() {
  std::string out;
  auto all = perf_event_names();
  for (const auto& n : {"rapl", "nvml"}) all.push_back(n);
  for (const auto& n : rusage_names()) all.push_back(n);
#if MLHPC_HAVE_PAPI
  for (const auto& n : papi_presets) all.push_back(n);
#endif
  auto cs = make_collectors(all);
  std::vector<std::string> available;
  for (const auto& c : cs) {
    const bool any = !c->metrics().empty();
    out += fmt::format("{}: {}\n", c->name(),
                       any ? "available" : fmt::format("unavailable: {}", c->unavailable_reason()));
    for (const auto& [k, v] : c->describe().items())
      if (v.is_string() || v.is_number() || v.is_boolean())
        out += fmt::format("  {}: {}\n", k, v.is_string() ? v.get<std::string>() : v.dump());
    for (const auto& m : c->metrics()) {
      out += fmt::format("  {:<30} available ({})\n", m.name, m.unit);
      available.push_back(m.name);
    }
    if (any) {
      // Grouped by reason: a VM without a PMU has one reason for a dozen events.
      std::vector<std::pair<std::string, std::vector<std::string>>> by_reason;
      for (const auto& entry : c->unavailable()) {
        const auto& [name, why] = entry;
        auto it = std::find_if(by_reason.begin(), by_reason.end(),
                               [&](const auto& g) { return g.first == entry.second; });
        if (it == by_reason.end())
          by_reason.push_back({why, {name}});
        else
          it->second.push_back(name);
      }
      for (const auto& [why, names] : by_reason)
        out += fmt::format("  unavailable: {}\n    because {}\n", fmt::join(names, ", "), why);
    } else if (!c->unavailable().empty()) {
      std::vector<std::string> names;
      for (const auto& [name, why] : c->unavailable()) names.push_back(name);
      out += fmt::format("  not measured here: {}\n", fmt::join(names, ", "));
    }
  }
#if MLHPC_HAVE_PAPI
  out += "papi components:\n";
  for (const auto& l : papi_component_lines()) out += fmt::format("  {}\n", l);
#else
  out += "papi: this build has no PAPI (install libpapi-dev and reconfigure)\n";
#endif
  out += "\nsets (--counters NAME, or a comma-separated list of sets and events):\n";
  for (const auto& s : counter_sets()) {
    out += fmt::format("  {:<8} {}\n", s.name, s.description);
    if (!s.events.empty()) out += fmt::format("           {}\n", fmt::join(s.events, ", "));
  }
  return out;
}

}  // namespace mlhpc::profilers
