#include "bench/plan.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <sstream>

#include "bench/data_dir.hpp"
#include "bench/error.hpp"
#include "bench/files.hpp"

namespace mlhpc {

std::string planned_problem::label() const {
  return fmt::format("{}:{} {}", w->name(), variant, params.canonical());
}

std::string planned_problem::short_label() const {
  std::vector<std::pair<std::string, std::string>> kept;
  const auto specs = w->parameters(variant);
  for (const auto& kv : params.values()) {
    const auto it = std::find_if(specs.begin(), specs.end(),
                                 [&](const param_spec& ps) { return ps.name == kv.first; });
    // A default that sweeps ("a,b") is not elided: the value tells the problems apart.
    if (it != specs.end() && it->default_value.find(',') == std::string::npos &&
        it->default_value == kv.second)
      continue;
    kept.push_back(kv);
  }
  const std::string rest = problem_params(std::move(kept)).canonical();
  return rest.empty() ? fmt::format("{}:{}", w->name(), variant)
                      : fmt::format("{}:{} {}", w->name(), variant, rest);
}

std::string planned_problem::pairing_key() const {
  return fmt::format("{}:{} {}", w->name(), variant,
                     params.canonical_measured(w->parameters(variant)));
}

std::vector<shape_line> load_shape_list(const std::string& workload, const std::string& name,
                                        std::filesystem::path* resolved, const class workload* w) {
  namespace fs = std::filesystem;
  fs::path path;
  std::string text;
  const auto builtin =
      w != nullptr ? w->builtin_shape_lists() : std::map<std::string, std::string>{};
  if (const auto it = builtin.find(name); it != builtin.end()) {
    text = it->second;
    path = "built-in:" + name;
  } else {
    const fs::path shipped = data_dir() / workload / (name + ".shapes");
    if (name.find('/') == std::string::npos && fs::exists(shipped)) {
      path = shipped;
    } else if (fs::exists(name)) {
      path = name;
    } else {
      std::string known;
      std::error_code ec;
      for (const auto& e : fs::directory_iterator(data_dir() / workload, ec))
        if (e.path().extension() == ".shapes")
          known += (known.empty() ? "" : ", ") + e.path().stem().string();
      for (const auto& [b, list] : builtin) known += (known.empty() ? "" : ", ") + b;
      throw usage_error(fmt::format(
          "shapes={}: no such shape list for workload {} (expected one of: {}; or a file path)",
          name, workload, known.empty() ? "none shipped" : known));
    }
    // A regular file of at most 16 MiB (the shipped lists are under 8 KiB).
    text = read_input_file(path.string(), 16u << 20, "shapes=" + name);
  }
  std::istringstream in(text);
  if (resolved != nullptr) *resolved = path;
  std::vector<shape_line> out;
  std::string line;
  int lineno = 0;
  while (std::getline(in, line)) {
    ++lineno;
    if (const auto hash = line.find('#'); hash != std::string::npos) line.resize(hash);
    std::istringstream ls(line);
    std::string token;
    shape_line sl{{}, lineno};
    while (ls >> token) {
      try {
        sl.settings.push_back(parse_setting(token));
      } catch (const usage_error& e) {
        throw usage_error(fmt::format("{}:{}: {}", path.string(), lineno, e.what()));
      }
    }
    if (!sl.settings.empty()) out.push_back(std::move(sl));
  }
  if (out.empty())
    throw usage_error(fmt::format("shapes={}: '{}' lists no problem", name, path.string()));
  return out;
}

namespace {

std::string human_bytes(double b) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  int u = 0;
  while (b >= 1024 && u < 4) {
    b /= 1024;
    ++u;
  }
  return fmt::format("{:.1f} {}", b, units[u]);
}

}  // namespace

std::vector<planned_problem> make_plan(const registry& r, const std::vector<plan_entry>& entries,
                                       std::uint64_t available_memory) {
  std::vector<planned_problem> out;
  for (const auto& entry : entries) {
    const auto ref = resolve(r, entry.workload);
    // Split off shapes=LIST; every other setting applies to every line of the list.
    std::vector<setting> common;
    std::vector<std::string> lists;
    for (const auto& s : entry.settings) {
      if (s.key == "shapes")
        lists = s.values;
      else
        common.push_back(s);
    }
    struct group {
      std::vector<setting> settings;
      nlohmann::json info;
    };
    std::vector<group> groups;
    if (lists.empty()) {
      groups.push_back({common, nullptr});
    } else {
      for (const auto& list : lists) {
        std::filesystem::path file;
        const auto lines = load_shape_list(ref.w->name(), list, &file, ref.w);
        // Every problem line of the list, so that a summary over the list can tell from the
        // results alone which lines did not run.
        std::vector<int> numbers;
        for (const auto& sl : lines) numbers.push_back(sl.line);
        for (const auto& sl : lines) {
          group g{sl.settings,
                  {{"list", list}, {"file", file.string()}, {"line", sl.line}, {"lines", numbers}}};
          // Explicit settings override the list's values.
          g.settings.insert(g.settings.end(), common.begin(), common.end());
          groups.push_back(std::move(g));
        }
      }
    }
    for (const auto& variant : ref.variants) {
      const auto specs = ref.w->parameters(variant);
      const std::string ctx =
          fmt::format("workload {}:{} ({})", ref.w->name(), variant, entry.origin);
      for (const auto& g : groups) {
        std::vector<problem_params> problems;
        try {
          problems = expand(specs, g.settings, ctx);
        } catch (const usage_error& e) {
          if (g.info.is_null()) throw;
          throw usage_error(fmt::format("{} (from {}:{})", e.what(),
                                        g.info["file"].get<std::string>(),
                                        g.info["line"].get<int>()));
        }
        if (out.size() + problems.size() > max_planned_problems)
          throw usage_error(fmt::format(
              "the plan has more than {} problems (at {}); expected smaller sweeps or fewer "
              "entries",
              max_planned_problems, ctx));
        for (auto& p : problems) {
          planned_problem pp{ref.w, variant, std::move(p), entry.origin, g.info};
          try {
            ref.w->check(variant, pp.params);
          } catch (const usage_error& e) {
            throw usage_error(fmt::format("{}: {}", pp.label(), e.what()));
          }
          const auto need = ref.w->footprint_bytes(variant, pp.params);
          if (available_memory > 0 && need > available_memory)
            throw usage_error(fmt::format(
                "{}: its buffers need {} but only {} of memory is available (MemAvailable); "
                "expected smaller sizes",
                pp.label(), human_bytes(static_cast<double>(need)),
                human_bytes(static_cast<double>(available_memory))));
          out.push_back(std::move(pp));
        }
      }
    }
  }
  return out;
}

std::string plan_fingerprint(const std::vector<planned_problem>& plan,
                             const std::string& settings) {
  std::string out;
  for (const auto& p : plan) out += "problem " + p.label() + "\n";
  out += "settings " + settings + "\n";
  return out;
}

namespace {

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

std::size_t problems_in(const std::vector<std::string>& lines) {
  return static_cast<std::size_t>(
      std::count_if(lines.begin(), lines.end(),
                    [](const std::string& l) { return l.rfind("problem ", 0) == 0; }));
}

}  // namespace

std::string plan_disagreement(const std::vector<std::string>& fingerprints) {
  for (std::size_t r = 1; r < fingerprints.size(); ++r) {
    if (fingerprints[r] == fingerprints[0]) continue;
    const auto a = lines_of(fingerprints[0]);
    const auto b = lines_of(fingerprints[r]);
    std::size_t i = 0;
    while (i < a.size() && i < b.size() && a[i] == b[i]) ++i;
    const auto line = [](const std::vector<std::string>& l, std::size_t k) {
      return k < l.size() ? fmt::format("'{}'", l[k]) : std::string("nothing");
    };
    const std::size_t pa = problems_in(a), pb = problems_in(b);
    const std::string counts =
        pa == pb ? fmt::format("both plan {} problems", pa)
                 : fmt::format("rank 0 plans {} problems, rank {} plans {}", pa, r, pb);
    return fmt::format(
        "the ranks disagree on what to run: rank {} differs from rank 0 ({}); at line {} of the "
        "plan rank 0 has {} and rank {} has {}; expected the same workloads, settings and suite "
        "on every rank (an MPMD launch or a wrapper changed one rank's command line)",
        r, counts, i + 1, line(a, i), r, line(b, i));
  }
  return {};
}

}  // namespace mlhpc
