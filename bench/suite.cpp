#include "bench/suite.hpp"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "bench/data_dir.hpp"
#include "bench/error.hpp"

namespace mlhpc {

namespace {

[[noreturn]] void fail(const std::string& origin, const YAML::Node& n, const std::string& what) {
  const auto m = n.Mark();
  if (m.is_null()) throw usage_error(fmt::format("suite '{}': {}", origin, what));
  throw usage_error(fmt::format("suite '{}' line {}: {}", origin, m.line + 1, what));
}

std::string scalar(const std::string& origin, const YAML::Node& n, const std::string& what) {
  if (!n.IsScalar()) fail(origin, n, fmt::format("{}: expected a single value", what));
  return n.Scalar();
}

template <class T>
T number(const std::string& origin, const YAML::Node& n, const std::string& what) {
  const std::string s = scalar(origin, n, what);
  try {
    return n.as<T>();
  } catch (const YAML::Exception&) {
    fail(origin, n,
         fmt::format("{}: '{}' is not a {}", what, s,
                     std::is_integral_v<T> ? "whole number" : "number"));
  }
}

}  // namespace

suite parse_suite(const std::string& text, const std::string& origin) {
  YAML::Node root;
  try {
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
      if (key == "repetitions")
        s.repetitions = number<int>(origin, v, what);
      else if (key == "warmup")
        s.warmup = number<int>(origin, v, what);
      else if (key == "threads")
        s.threads = number<int>(origin, v, what);
      else if (key == "min_time")
        s.min_time_s = number<double>(origin, v, what);
      else if (key == "max_time")
        s.max_time_s = number<double>(origin, v, what);
      else if (key == "ci_target")
        s.ci_target = number<double>(origin, v, what);
      else if (key == "counters")
        s.counters = scalar(origin, v, what);
      else if (key == "counter_pass")
        s.counter_pass = scalar(origin, v, what);
      else
        fail(origin, kv.first,
             fmt::format("unknown setting '{}' (expected repetitions, warmup, threads, min_time, "
                         "max_time, ci_target, counters, counter_pass)",
                         key));
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
  if (fs::is_directory(path, ec))
    throw usage_error(
        fmt::format("--suite '{}': is a directory; expected a suite file", name_or_path));
  std::ifstream in(path);
  if (!in) {
    std::string known;
    for (const auto& e : fs::directory_iterator(data_dir() / "suites", ec))
      if (e.path().extension() == ".yaml")
        known += (known.empty() ? "" : ", ") + e.path().stem().string();
    throw usage_error(fmt::format(
        "--suite '{}': cannot read the file ({}); expected a readable suite file or a shipped "
        "suite name ({})",
        name_or_path, std::strerror(errno), known.empty() ? "none found" : known));
  }
  std::stringstream ss;
  ss << in.rdbuf();
  suite s = parse_suite(ss.str(), path.string());
  s.path = path.string();
  return s;
}

}  // namespace mlhpc
