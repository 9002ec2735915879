#pragma once
// Parameters of a workload: their declaration, the parsing and checking of user values, the
// expansion of sweeps into problems, and the canonical text form printed with every result.
#include <nlohmann/json.hpp>

#include <cstdint>
#include <functional>
#include <limits>
#include <map>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace mlhpc {

enum class param_type { integer, number, text, choice, boolean };

// Declaration of one parameter. Integers are checked against [min_value, max_value]; `special`
// lists extra words accepted for a numeric parameter (for example "auto").
struct param_spec {
  std::string name;
  param_type type = param_type::integer;
  std::string default_value;
  std::string help;
  std::vector<std::string> choices = {};  // for param_type::choice
  std::int64_t min_value = 1;
  std::int64_t max_value = INT64_MAX;
  std::vector<std::string> special = {};
  // For text: checks a value and returns its canonical form (throws usage_error), so that the
  // problem key is the same however the user wrote it.
  std::function<std::string(const std::string&)> normalize = {};
  // False for a parameter that only weights an analysis of the results (conv's `count`): it is
  // kept in the problem's key but left out of the key compare pairs results by.
  bool measured = true;
};

std::string to_string(param_type t);

// One concrete assignment of every declared parameter, in declaration order.
class problem_params {
 public:
  problem_params() = default;
  explicit problem_params(std::vector<std::pair<std::string, std::string>> values)
      : m_values(std::move(values)) {}

  bool has(const std::string& name) const;
  const std::string& get(const std::string& name) const;
  std::int64_t get_int(const std::string& name) const;
  // The one checked path from an integer parameter to the type a workload computes with: the
  // value as T, or usage_error naming the parameter, its value and T's range when it does not
  // fit (a 64-bit count must never wrap into an int or a 32-bit field).
  template <class T>
  T get_as(const std::string& name) const {
    return narrow_param<T>(name, get_int(name), get(name));
  }
  // The parameter times `unit` (file_mib to bytes: 1 << 20), as T; usage_error naming the
  // parameter, its value and `unit_name` when the product overflows T.
  template <class T>
  T get_scaled(const std::string& name, std::int64_t unit, const char* unit_name) const {
    const std::int64_t v = get_int(name);
    std::int64_t out = 0;
    if (__builtin_mul_overflow(v, unit, &out)) scaled_overflow(name, get(name), unit_name);
    return narrow_param<T>(name, out, fmt_scaled(get(name), unit_name));
  }
  double get_number(const std::string& name) const;
  bool get_bool(const std::string& name) const;
  void set(const std::string& name, std::string value);

  // "m=2048 n=2048 k=2048 transa=n": every parameter in declaration order, space-separated as
  // in shape lists (so a canonical line can be pasted into one).
  std::string canonical() const;
  // The same without the parameters `specs` declares as not measured (`param_spec::measured`).
  std::string canonical_measured(const std::vector<param_spec>& specs) const;
  // Typed JSON object (integers as numbers, booleans as booleans) following `specs`.
  nlohmann::json to_json(const std::vector<param_spec>& specs) const;
  const std::vector<std::pair<std::string, std::string>>& values() const { return m_values; }

  bool operator==(const problem_params&) const = default;

 private:
  template <class T>
  static T narrow_param(const std::string& name, std::int64_t v, const std::string& shown) {
    static_assert(std::is_integral_v<T>);
    if (!std::in_range<T>(v))
      out_of_type(name, shown, static_cast<std::int64_t>(std::numeric_limits<T>::min()),
                  static_cast<std::uint64_t>(std::numeric_limits<T>::max()));
    return static_cast<T>(v);
  }
  [[noreturn]] static void out_of_type(const std::string& name, const std::string& shown,
                                       std::int64_t lo, std::uint64_t hi);
  [[noreturn]] static void scaled_overflow(const std::string& name, const std::string& value,
                                           const char* unit_name);
  static std::string fmt_scaled(const std::string& value, const char* unit_name);
  std::vector<std::pair<std::string, std::string>> m_values;
};

// A `--set key=v1,v2` request: one key and its (sweep of) raw values.
struct setting {
  std::string key;
  std::vector<std::string> values;
};

// Parses "key=value[,value...]". Throws usage_error naming the text and what was expected.
setting parse_setting(const std::string& text);

// Checks and normalises one raw value against its declaration ("0x10" is not an integer; "2048"
// stays "2048"; booleans become "true"/"false"). Throws usage_error naming key, value, expectation.
std::string normalize_value(const param_spec& spec, const std::string& raw);

// An integer with an optional binary suffix as nccl-tests and OSU take sizes: k or K = 1024,
// M = 1024^2, G = 1024^3, T = 1024^4 ("64M" = 67108864). False for anything else (a sign, an
// overflow, other trailing text).
bool parse_size(const std::string& text, std::int64_t& out);

// True when `raw` is a range for an integer parameter: START:END[:xFACTOR|:+STEP] (OSU's -m
// a:b, nccl-tests' -b/-e/-f/-i). Both ends take suffixes; END is included when the steps reach
// it exactly; the default step is x2 ("8:1G" = 8, 16, ..., 1G).
bool is_range(const param_spec& spec, const std::string& raw);

// One raw value of a setting as the canonical values it stands for: a range expands to its
// values, anything else is normalize_value's one value. Throws usage_error naming the parameter,
// the text and the expected form (bad ends, a factor below 2, a start above the end, more
// values than max_planned_problems).
std::vector<std::string> expand_value(const param_spec& spec, const std::string& raw);

// The cartesian product of the settings over the defaults, in the order the settings were given
// (the last setting varies fastest); a default listing several values ("a,b") sweeps them when
// the key is not set, varied slowest. A key set twice: the later one wins. Unknown keys throw
// usage_error listing the known ones, prefixed with `context` (for example "workload gemm").
// The most problems one run may plan (all entries together): a day of problems at a second
// each; a larger sweep is a typo or a hostile file, and is refused before anything is built.
inline constexpr std::size_t max_planned_problems = 100000;

// The number of problems expand() would build, computed without building them (saturating).
std::size_t count_expansion(const std::vector<param_spec>& specs,
                            const std::vector<setting>& settings);

// Refuses (usage_error) more than max_planned_problems problems, before expand builds them.
std::vector<problem_params> expand(const std::vector<param_spec>& specs,
                                   const std::vector<setting>& settings,
                                   const std::string& context);

}  // namespace mlhpc
