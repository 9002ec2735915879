#include "bench/suite.hpp"

#include <fmt/format.h>
#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <map>
#include <sstream>

#include "bench/data_dir.hpp"
#include "bench/error.hpp"
#include "bench/files.hpp"
#include "bench/run_settings.hpp"
#include "bench/text.hpp"

namespace mlhpc {

namespace {

// Limits of suite files: far beyond any real suite (the shipped ones are under 2 KiB, a few
// dozen nodes, 4 levels), small enough that a hostile file costs nothing.
constexpr std::uint64_t max_suite_bytes = 1 << 20;
constexpr int max_suite_depth = 16;
constexpr std::size_t max_suite_nodes = 100000;

std::string where(const std::string& origin, const YAML::Mark& m) {
  if (m.is_null()) return fmt::format("suite '{}'", origin);
  return fmt::format("suite '{}' line {} column {}", origin, m.line + 1, m.column + 1);
}

[[noreturn]] void fail(const std::string& origin, const YAML::Node& n, const std::string& what) {
  throw usage_error(fmt::format("{}: {}", where(origin, n.Mark()), what));
}

// Every mapping key a single, unique scalar; nesting and the number of nodes bounded (aliases can
// make a small file a huge tree: each visit of an aliased node counts).
void check_structure(const std::string& origin, const YAML::Node& n, int depth,
                     std::size_t& visited) {
  if (++visited > max_suite_nodes)
    fail(origin, n,
         fmt::format("more than {} nodes (counting every use of an alias); expected a "
                     "suite of that size at most",
                     max_suite_nodes));
  if (depth > max_suite_depth)
    fail(origin, n, fmt::format("nested deeper than {} levels", max_suite_depth));
  if (n.IsSequence()) {
    for (const auto& item : n) check_structure(origin, item, depth + 1, visited);
  } else if (n.IsMap()) {
    std::map<std::string, YAML::Mark> seen;  // a map: a hostile mapping may hold 10^5 keys
    for (const auto& kv : n) {
      if (!kv.first.IsScalar())
        fail(origin, kv.first, "a key must be a single word (a scalar), not a list or mapping");
      const auto [it, fresh] = seen.emplace(kv.first.Scalar(), kv.first.Mark());
      if (!fresh)
        fail(origin, kv.first,
             fmt::format("duplicate key '{}' (first at line {} column {}); each key once",
                         it->first, it->second.line + 1, it->second.column + 1));
      check_structure(origin, kv.second, depth + 1, visited);
    }
  }
}

// Counts documents (their start marks) and ignores everything else.
struct document_counter final : YAML::EventHandler {
  std::vector<YAML::Mark> starts;
  void OnDocumentStart(const YAML::Mark& m) override { starts.push_back(m); }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
  void OnAlias(const YAML::Mark&, YAML::anchor_t) override {}
  void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t,
                const std::string&) override {}
  void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                       YAML::EmitterStyle::value) override {}
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                  YAML::EmitterStyle::value) override {}
  void OnMapEnd() override {}
};

std::string scalar(const std::string& origin, const YAML::Node& n, const std::string& what) {
  if (!n.IsScalar()) fail(origin, n, fmt::format("{}: expected a single value", what));
  return n.Scalar();
}

}  // namespace

suite parse_suite(const std::string& text, const std::string& origin) {
  if (text.size() > max_suite_bytes)
    throw usage_error(
        fmt::format("suite '{}': larger than the limit of {} bytes", origin, max_suite_bytes));
  YAML::Node root;
  try {
    // yaml-cpp 0.7's LoadAll loops forever, allocating, on a stray ',' outside a flow
    // collection (jbeder/yaml-cpp#1040, fixed upstream by #1319; found here by the suite
    // fuzzer): the documents are counted first with at most two parser steps, and a parser
    // that starts its second document where it started the first has not advanced.
    std::istringstream in(text);
    YAML::Parser parser(in);
    document_counter counter;
    for (int i = 0; i < 2 && parser.HandleNextDocument(counter); ++i) {
    }
    if (counter.starts.size() > 1) {
      const YAML::Mark& m = counter.starts[1];
      if (m.pos == counter.starts[0].pos)
        throw usage_error(fmt::format(
            "suite '{}' line {} column {}: malformed YAML: the parser cannot go on from here (a "
            "',', ']' or '}}' outside a list or mapping?)",
            origin, m.line + 1, m.column + 1));
      throw usage_error(fmt::format(
          "suite '{}' line {} column {}: a second YAML document ('---'); expected one suite "
          "per file",
          origin, m.line + 1, m.column + 1));
    }
    root = YAML::Load(text);
  } catch (const YAML::ParserException& e) {
    throw usage_error(fmt::format("suite '{}' line {} column {}: malformed YAML: {}", origin,
                                  e.mark.line + 1, e.mark.column + 1, e.msg));
  }
  if (!root.IsMap())
    throw usage_error(fmt::format(
        "suite '{}': expected a mapping with 'problems' (and optionally 'name', 'description', "
        "'settings')",
        origin));
  std::size_t visited = 0;
  check_structure(origin, root, 0, visited);
  suite s;
  for (const auto& kv : root) {
    const std::string key = kv.first.as<std::string>();
    if (key != "name" && key != "description" && key != "settings" && key != "problems")
      fail(origin, kv.first,
           fmt::format("unknown key '{}' (expected name, description, settings, problems)", key));
  }
  s.name = root["name"] ? scalar(origin, root["name"], "name") : origin;
  if (root["description"]) s.description = scalar(origin, root["description"], "description");
  if (const auto st = root["settings"]) {
    if (!st.IsMap()) fail(origin, st, "settings: expected a mapping");
    for (const auto& kv : st) {
      const std::string key = kv.first.as<std::string>();
      const auto& v = kv.second;
      const std::string what = "settings." + key;
      const run_setting* rs = find_run_setting(key);
      if (rs == nullptr)
        fail(origin, kv.first,
             fmt::format("unknown setting '{}' (expected {})", key, setting_keys()));
      s.settings[key] = check_setting_value(*rs, scalar(origin, v, what),
                                            fmt::format("{}: {}", where(origin, v.Mark()), what));
    }
  }
  const auto problems = root["problems"];
  if (!problems || !problems.IsSequence() || problems.size() == 0)
    fail(origin, problems ? problems : root, "expected 'problems:' with a list of entries");
  int index = 0;
  for (const auto& p : problems) {
    ++index;
    if (!p.IsMap())
      fail(origin, p, fmt::format("problem {}: expected a mapping with 'workload'", index));
    plan_entry e;
    e.origin = fmt::format("suite {} problem {}", s.name, index);
    for (const auto& kv : p) {
      const std::string key = kv.first.as<std::string>();
      if (key != "workload" && key != "set")
        fail(origin, kv.first,
             fmt::format("problem {}: unknown key '{}' (expected workload, set)", index, key));
    }
    if (!p["workload"]) fail(origin, p, fmt::format("problem {}: missing 'workload'", index));
    e.workload = scalar(origin, p["workload"], fmt::format("problem {}: workload", index));
    if (const auto set = p["set"]) {
      if (!set.IsMap())
        fail(origin, set, fmt::format("problem {}: 'set' expected a mapping of key: value", index));
      for (const auto& kv : set) {
        setting st;
        st.key = kv.first.as<std::string>();
        const std::string what = fmt::format("problem {}: set.{}", index, st.key);
        if (kv.second.IsSequence()) {
          for (const auto& v : kv.second) st.values.push_back(scalar(origin, v, what));
          if (st.values.empty()) fail(origin, kv.second, what + ": empty list");
        } else {
          // "a,b" sweeps, as on the command line.
          try {
            st = parse_setting(st.key + "=" + scalar(origin, kv.second, what));
          } catch (const usage_error& err) {
            fail(origin, kv.second, err.what());
          }
        }
        e.settings.push_back(std::move(st));
      }
    }
    s.entries.push_back(std::move(e));
  }
  return s;
}

suite load_suite(const std::string& name_or_path) {
  namespace fs = std::filesystem;
  fs::path path = name_or_path;
  const fs::path shipped = data_dir() / "suites" / (name_or_path + ".yaml");
  std::error_code ec;
  if (!fs::exists(path, ec) && name_or_path.find('/') == std::string::npos &&
      fs::exists(shipped, ec))
    path = shipped;
  if (!fs::exists(path, ec)) {
    std::string known;
    for (const auto& e : fs::directory_iterator(data_dir() / "suites", ec))
      if (e.path().extension() == ".yaml")
        known += (known.empty() ? "" : ", ") + e.path().stem().string();
    throw usage_error(fmt::format(
        "--suite '{}': no such file; expected a readable suite file or a shipped suite name ({})",
        utf8_text(name_or_path), known.empty() ? "none found" : known));
  }
  // A regular file of at most 1 MiB: /dev/zero, a FIFO or a directory is refused by type.
  const std::string text = read_input_file(path.string(), max_suite_bytes, "--suite");
  suite s = parse_suite(text, utf8_text(path.string()));
  s.path = path.string();
  return s;
}

}  // namespace mlhpc
