#include "bench/params.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>
#include <map>

#include "bench/error.hpp"
#include "bench/text.hpp"

namespace mlhpc {

std::string to_string(param_type t) {
  switch (t) {
    case param_type::integer:
      return "integer";
    case param_type::number:
      return "number";
    case param_type::text:
      return "text";
    case param_type::choice:
      return "choice";
    case param_type::boolean:
      return "boolean";
  }
  MLHPC_ASSERT(false);
}

bool problem_params::has(const std::string& name) const {
  return std::any_of(m_values.begin(), m_values.end(),
                     [&](const auto& kv) { return kv.first == name; });
}

const std::string& problem_params::get(const std::string& name) const {
  for (const auto& [k, v] : m_values)
    if (k == name) return v;
  MLHPC_FAIL("parameter '{}' is not part of this problem", name);
}

std::int64_t problem_params::get_int(const std::string& name) const {
  const std::string& v = get(name);
  std::int64_t out = 0;
  auto [ptr, ec] = std::from_chars(v.data(), v.data() + v.size(), out);
  if (ec != std::errc() || ptr != v.data() + v.size())
    MLHPC_FAIL("parameter '{}'='{}' is not an integer", name, v);
  return out;
}

void problem_params::out_of_type(const std::string& name, const std::string& shown, std::int64_t lo,
                                 std::uint64_t hi) {
  throw usage_error(
      fmt::format("parameter {}={}: expected a value between {} and {} (the largest "
                  "this workload can represent)",
                  name, shown, lo, hi));
}

void problem_params::scaled_overflow(const std::string& name, const std::string& value,
                                     const char* unit_name) {
  throw usage_error(
      fmt::format("parameter {}={}: {} {} is more than 2^63 - 1 bytes; expected a smaller value",
                  name, value, value, unit_name));
}

std::string problem_params::fmt_scaled(const std::string& value, const char* unit_name) {
  return fmt::format("{} ({} {})", value, value, unit_name);
}

double problem_params::get_number(const std::string& name) const {
  const std::string& v = get(name);
  double out = 0;
  auto [ptr, ec] = std::from_chars(v.data(), v.data() + v.size(), out);
  if (ec != std::errc() || ptr != v.data() + v.size())
    MLHPC_FAIL("parameter '{}'='{}' is not a number", name, v);
  return out;
}

bool problem_params::get_bool(const std::string& name) const {
  return get(name) == "true";
}

void problem_params::set(const std::string& name, std::string value) {
  for (auto& [k, v] : m_values)
    if (k == name) {
      v = std::move(value);
      return;
    }
  m_values.emplace_back(name, std::move(value));
}

std::string problem_params::canonical_measured(const std::vector<param_spec>& specs) const {
  std::vector<std::pair<std::string, std::string>> kept;
  for (const auto& kv : m_values) {
    const auto it = std::find_if(specs.begin(), specs.end(),
                                 [&](const param_spec& ps) { return ps.name == kv.first; });
    if (it == specs.end() || it->measured) kept.push_back(kv);
  }
  return problem_params(std::move(kept)).canonical();
}

std::string problem_params::canonical() const {
  std::string out;
  for (const auto& [k, v] : m_values) {
    if (!out.empty()) out += ' ';
    out += k;
    out += '=';
    out += v;
  }
  return out;
}

nlohmann::json problem_params::to_json(const std::vector<param_spec>& specs) const {
  nlohmann::json j = nlohmann::json::object();
  for (const auto& kv : m_values) {
    const std::string& k = kv.first;
    const std::string& v = kv.second;
    auto it = std::find_if(specs.begin(), specs.end(), [&](const auto& s) { return s.name == k; });
    const bool special = it != specs.end() &&
                         std::find(it->special.begin(), it->special.end(), v) != it->special.end();
    if (it == specs.end() || special) {
      j[k] = v;
    } else if (it->type == param_type::integer) {
      j[k] = get_int(k);
    } else if (it->type == param_type::number) {
      j[k] = get_number(k);
    } else if (it->type == param_type::boolean) {
      j[k] = get_bool(k);
    } else {
      j[k] = v;
    }
  }
  return j;
}

setting parse_setting(const std::string& text) {
  const auto eq = text.find('=');
  if (eq == std::string::npos)
    throw usage_error(
        fmt::format("--set '{}': expected key=value (for example m=1024 or m=512,1024)", text));
  setting s;
  s.key = text.substr(0, eq);
  if (s.key.empty())
    throw usage_error(fmt::format("--set '{}': the key before '=' is empty", text));
  const std::string rest = text.substr(eq + 1);
  if (rest.empty())
    throw usage_error(fmt::format("--set '{}': no value after '=' for key '{}'", text, s.key));
  std::size_t start = 0;
  while (true) {
    const auto comma = rest.find(',', start);
    std::string item =
        rest.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    if (item.empty())
      throw usage_error(fmt::format(
          "--set '{}': empty value in the list for key '{}' (expected v1,v2,...)", text, s.key));
    s.values.push_back(item);
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return s;
}

namespace {

bool parse_int(const std::string& s, std::int64_t& out) {
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && ptr == s.data() + s.size() && !s.empty();
}

// The integers of a range (parse_range's syntax), at most `cap` + 1 of them: enough to tell a
// range that is too long without building it.
std::vector<std::int64_t> range_values(const param_spec& spec, const std::string& raw,
                                       std::size_t cap) {
  const auto first = raw.find(':');
  const auto second = raw.find(':', first + 1);
  const std::string a = raw.substr(0, first);
  const std::string b =
      raw.substr(first + 1, second == std::string::npos ? std::string::npos : second - first - 1);
  const std::string step = second == std::string::npos ? "x2" : raw.substr(second + 1);
  const auto bad = [&](const std::string& why) {
    return usage_error(fmt::format(
        "parameter {}='{}': {}; expected a range START:END[:xFACTOR|:+STEP] (for example "
        "8:1G:x2 or 256:8192:+256)",
        spec.name, raw, why));
  };
  std::int64_t lo = 0, hi = 0;
  if (!parse_size(a, lo)) throw bad(fmt::format("the start '{}' is not an integer", a));
  if (!parse_size(b, hi)) throw bad(fmt::format("the end '{}' is not an integer", b));
  if (lo > hi) throw bad(fmt::format("the start {} is above the end {}", lo, hi));
  const bool times = !step.empty() && (step[0] == 'x' || step[0] == '*');
  const bool plus = !step.empty() && step[0] == '+';
  std::int64_t by = 0;
  if ((!times && !plus) || !parse_size(step.substr(1), by))
    throw bad(fmt::format("the step '{}' is neither xFACTOR nor +STEP", step));
  if (times && by < 2) throw bad(fmt::format("the factor {} must be at least 2", by));
  if (times && lo < 1) throw bad("a geometric range must start at 1 or more");
  if (plus && by < 1) throw bad(fmt::format("the step {} must be at least 1", by));
  std::vector<std::int64_t> out;
  for (std::int64_t v = lo; v <= hi && out.size() <= cap;) {
    out.push_back(v);
    // The next value would pass the end (the distance to the end in unsigned arithmetic: hi - v
    // can exceed INT64_MAX when the range spans zero).
    if (times ? v > hi / by
              : static_cast<std::uint64_t>(hi) - static_cast<std::uint64_t>(v) <
                    static_cast<std::uint64_t>(by))
      break;
    v = times ? v * by : v + by;
  }
  return out;
}

}  // namespace

bool parse_size(const std::string& text, std::int64_t& out) {
  if (text.empty()) return false;
  std::int64_t scale = 1;
  std::string digits = text;
  switch (text.back()) {
    case 'k':
    case 'K':
      scale = std::int64_t{1} << 10;
      break;
    case 'M':
      scale = std::int64_t{1} << 20;
      break;
    case 'G':
      scale = std::int64_t{1} << 30;
      break;
    case 'T':
      scale = std::int64_t{1} << 40;
      break;
    default:
      break;
  }
  if (scale != 1) digits.pop_back();
  std::int64_t v = 0;
  if (!parse_int(digits, v)) return false;
  if (v > INT64_MAX / scale || v < INT64_MIN / scale) return false;
  out = v * scale;
  return true;
}

bool is_range(const param_spec& spec, const std::string& raw) {
  return spec.type == param_type::integer && raw.find(':') != std::string::npos &&
         std::find(spec.special.begin(), spec.special.end(), raw) == spec.special.end();
}

std::vector<std::string> expand_value(const param_spec& spec, const std::string& raw) {
  if (!is_range(spec, raw)) return {normalize_value(spec, raw)};
  std::vector<std::string> out;
  for (const auto v : range_values(spec, raw, max_planned_problems)) {
    if (out.size() >= max_planned_problems)
      throw usage_error(fmt::format("parameter {}='{}': the range has more than {} values",
                                    spec.name, raw, max_planned_problems));
    out.push_back(normalize_value(spec, std::to_string(v)));
  }
  return out;
}

std::string normalize_value(const param_spec& spec, const std::string& raw) {
  if (std::find(spec.special.begin(), spec.special.end(), raw) != spec.special.end()) return raw;
  const auto specials =
      spec.special.empty() ? std::string() : fmt::format(" or {}", fmt::join(spec.special, ", "));
  switch (spec.type) {
    case param_type::integer: {
      std::int64_t v = 0;
      if (!parse_size(raw, v))
        throw usage_error(fmt::format(
            "parameter {}='{}': expected an integer (suffixes k, M, G, T: powers of 1024; a "
            "range START:END[:xF|:+S]){}",
            spec.name, raw, specials));
      if (v < spec.min_value || v > spec.max_value) {
        const auto range = spec.max_value == INT64_MAX
                               ? fmt::format("at least {}", spec.min_value)
                               : fmt::format("between {} and {}", spec.min_value, spec.max_value);
        throw usage_error(fmt::format("parameter {}={}: expected an integer {}{}", spec.name, raw,
                                      range, specials));
      }
      return std::to_string(v);
    }
    case param_type::number: {
      double v = 0;
      auto [ptr, ec] = std::from_chars(raw.data(), raw.data() + raw.size(), v);
      if (ec != std::errc() || ptr != raw.data() + raw.size() || !std::isfinite(v) ||
          (v != 0 && !std::isnormal(v)))
        throw usage_error(
            fmt::format("parameter {}='{}': expected a number{}", spec.name, raw, specials));
      if (v < static_cast<double>(spec.min_value))
        throw usage_error(fmt::format("parameter {}={}: expected a number of at least {}",
                                      spec.name, raw, spec.min_value));
      if (spec.max_value != INT64_MAX && v > static_cast<double>(spec.max_value))
        throw usage_error(fmt::format("parameter {}={}: expected a number of at most {}", spec.name,
                                      raw, spec.max_value));
      return raw;
    }
    case param_type::boolean: {
      std::string l = raw;
      std::transform(l.begin(), l.end(), l.begin(),
                     [](unsigned char c) { return std::tolower(c); });
      if (l == "true" || l == "1" || l == "yes" || l == "on") return "true";
      if (l == "false" || l == "0" || l == "no" || l == "off") return "false";
      throw usage_error(fmt::format("parameter {}='{}': expected true or false", spec.name, raw));
    }
    case param_type::choice:
      if (std::find(spec.choices.begin(), spec.choices.end(), raw) == spec.choices.end())
        throw usage_error(fmt::format("parameter {}='{}': expected one of {}", spec.name, raw,
                                      fmt::join(spec.choices, ", ")));
      return raw;
    case param_type::text:
      if (raw.empty())
        throw usage_error(fmt::format("parameter {}: expected a non-empty value", spec.name));
      return spec.normalize ? spec.normalize(raw) : raw;
  }
  MLHPC_ASSERT(false);
}

std::size_t count_expansion(const std::vector<param_spec>& specs,
                            const std::vector<setting>& settings) {
  // The last setting of a key wins; a default listing several values sweeps when not set.
  std::map<std::string, std::size_t> sizes;
  for (const auto& p : specs)
    if (p.default_value.find(',') != std::string::npos)
      sizes[p.name] = static_cast<std::size_t>(
          std::count(p.default_value.begin(), p.default_value.end(), ',') + 1);
  for (const auto& s : settings) {
    const auto spec =
        std::find_if(specs.begin(), specs.end(), [&](const auto& p) { return p.name == s.key; });
    std::size_t values = 0;
    for (const auto& v : s.values)
      values += spec != specs.end() && is_range(*spec, v)
                    ? range_values(*spec, v, max_planned_problems).size()
                    : 1;
    sizes[s.key] = values;
  }
  std::size_t n = 1;
  for (const auto& [k, v] : sizes) {
    if (v == 0) return 0;
    if (n > std::numeric_limits<std::size_t>::max() / v)
      return std::numeric_limits<std::size_t>::max();
    n *= v;
  }
  return n;
}

std::vector<problem_params> expand(const std::vector<param_spec>& specs,
                                   const std::vector<setting>& settings,
                                   const std::string& context) {
  if (const auto n = count_expansion(specs, settings); n > max_planned_problems)
    throw usage_error(
        fmt::format("{}: the settings expand to {} problems, more than the limit of {}; expected "
                    "smaller sweeps",
                    context,
                    n == std::numeric_limits<std::size_t>::max() ? std::string("more than 2^64")
                                                                 : std::to_string(n),
                    max_planned_problems));
  // Later settings of the same key replace earlier ones; order of first appearance is kept.
  std::vector<setting> merged;
  for (const auto& s : settings) {
    auto spec =
        std::find_if(specs.begin(), specs.end(), [&](const auto& p) { return p.name == s.key; });
    if (spec == specs.end()) {
      std::vector<std::string> known;
      for (const auto& p : specs) known.push_back(p.name);
      throw usage_error(
          fmt::format("unknown parameter '{}' for {}{} (expected one of: {})", s.key, context,
                      did_you_mean(s.key, known),
                      known.empty() ? "none" : fmt::format("{}", fmt::join(known, ", "))));
    }
    setting checked{s.key, {}};
    for (const auto& v : s.values)
      for (auto& one : expand_value(*spec, v)) checked.values.push_back(std::move(one));
    auto it =
        std::find_if(merged.begin(), merged.end(), [&](const auto& m) { return m.key == s.key; });
    if (it != merged.end())
      *it = std::move(checked);
    else
      merged.push_back(std::move(checked));
  }
  // A default such as "fwd_training,bwd_data,bwd_weights" is a sweep of its own, varied slower
  // than anything the user set.
  std::vector<setting> default_sweeps;
  for (const auto& p : specs)
    if (p.default_value.find(',') != std::string::npos &&
        std::none_of(merged.begin(), merged.end(), [&](const auto& m) { return m.key == p.name; }))
      default_sweeps.push_back(parse_setting(p.name + "=" + p.default_value));
  merged.insert(merged.begin(), default_sweeps.begin(), default_sweeps.end());
  std::vector<std::pair<std::string, std::string>> base;
  for (const auto& p : specs)
    base.emplace_back(p.name, p.default_value.substr(0, p.default_value.find(',')));

  std::vector<problem_params> out{problem_params(base)};
  for (const auto& s : merged) {
    std::vector<problem_params> next;
    next.reserve(out.size() * s.values.size());
    for (const auto& p : out)
      for (const auto& v : s.values) {
        problem_params q = p;
        q.set(s.key, v);
        next.push_back(std::move(q));
      }
    out = std::move(next);
  }
  return out;
}

}  // namespace mlhpc
