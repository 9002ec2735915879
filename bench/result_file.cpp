#include "bench/result_file.hpp"

#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <valijson/adapters/nlohmann_json_adapter.hpp>
#include <valijson/schema.hpp>
#include <valijson/schema_parser.hpp>
#include <valijson/validator.hpp>

#include "bench/error.hpp"
#include "bench/files.hpp"
#include "bench/rates.hpp"
#include "bench/session.hpp"
#include "bench/text.hpp"

namespace mlhpc {

extern const std::string_view embedded_result_schema;

std::string_view result_schema_text() {
  return embedded_result_schema;
}

nlohmann::json result_schema() {
  nlohmann::json s = nlohmann::json::parse(result_schema_text());
  const nlohmann::json vocabulary = rates_schema();
  auto& rates = s["definitions"]["result"]["properties"]["rates"];
  for (const auto& [k, v] : vocabulary["rates"].items()) rates[k] = v;
  s["definitions"]["ceiling_ref"]["properties"]["metric"]["enum"] = vocabulary["metrics"];
  return s;
}

namespace {
// The major number of a schema version is what this tool reads (1.x).
bool same_major_version(const std::string& v) {
  const std::string ours = schema_version;
  return v.substr(0, v.find('.')) == ours.substr(0, ours.find('.'));
}
}  // namespace

std::vector<schema_error> validate_result(const nlohmann::json& doc) {
  static const nlohmann::json schema_json = result_schema();
  valijson::Schema schema;
  valijson::SchemaParser parser;
  valijson::adapters::NlohmannJsonAdapter schema_adapter(schema_json);
  parser.populateSchema(schema_adapter, schema);

  valijson::Validator validator;
  valijson::ValidationResults results;
  valijson::adapters::NlohmannJsonAdapter target(doc);
  std::vector<schema_error> out;
  if (!validator.validate(schema, target, &results)) {
    valijson::ValidationResults::Error e;
    while (results.popError(e)) {
      std::string where;
      for (const auto& c : e.context) {
        if (c == "<root>") continue;
        // valijson writes array indices as "[3]" and properties as "[name]" or plain names.
        std::string part = c;
        if (part.size() >= 2 && part.front() == '[' && part.back() == ']')
          part = part.substr(1, part.size() - 2);
        where += "/" + part;
      }
      out.push_back({where.empty() ? "/" : where, e.description});
    }
  }
  if (doc.is_object() && doc.contains("schema_version") && doc["schema_version"].is_string()) {
    const std::string v = doc["schema_version"];
    const std::string ours = schema_version;
    if (!same_major_version(v))
      out.push_back(
          {"/schema_version",
           fmt::format("major version of '{}' differs from this tool's schema {}", v, ours)});
  }
  const auto limits = check_result_limits(doc);
  out.insert(out.end(), limits.begin(), limits.end());
  return out;
}

std::vector<schema_error> check_result_limits(const nlohmann::json& doc) {
  std::vector<schema_error> out;
  if (!doc.is_object()) return out;
  // Seeds are unsigned 64-bit: a JSON integer from 0 to 2^64 - 1 (the schema says integer).
  auto check_seed = [&](const nlohmann::json& holder, const std::string& where) {
    if (!holder.is_object() || !holder.contains("seed")) return;
    const auto& s = holder["seed"];
    if (s.is_number_integer() && !s.is_number_unsigned() && s.get<std::int64_t>() < 0)
      out.push_back({where + "/seed", fmt::format("seed {} is negative; expected an unsigned "
                                                  "64-bit integer",
                                                  s.get<std::int64_t>())});
  };
  if (doc.contains("run")) check_seed(doc["run"], "/run");
  if (!doc.contains("results") || !doc["results"].is_array()) return out;
  for (std::size_t i = 0; i < doc["results"].size(); ++i)
    check_seed(doc["results"][i], fmt::format("/results/{}", i));
  // A rate comes with the work it divides: a rate without its work cannot be analysed.
  for (std::size_t i = 0; i < doc["results"].size(); ++i) {
    const auto& r = doc["results"][i];
    if (!r.is_object() || !r.contains("rates") || !r["rates"].is_object()) continue;
    for (const auto& k : rate_kinds()) {
      if (!r["rates"].contains(k.metric)) continue;
      const bool has_work = r.contains("work") && r["work"].is_object() &&
                            r["work"].contains(k.work_key) && r["work"][k.work_key].is_number() &&
                            r["work"][k.work_key].get<double>() > 0;
      if (!has_work)
        out.push_back({fmt::format("/results/{}/rates/{}", i, k.metric),
                       fmt::format("a rate {} without a positive work.{}: rates and work "
                                   "disagree",
                                   k.metric, k.work_key)});
    }
  }
  for (std::size_t i = 0; i < doc["results"].size(); ++i) {
    const auto& r = doc["results"][i];
    if (!r.is_object() || !r.contains("measurement") || !r["measurement"].is_object()) continue;
    const auto& m = r["measurement"];
    if (m.contains("samples_s") && m["samples_s"].is_array() &&
        m["samples_s"].size() > max_samples_per_result)
      out.push_back({fmt::format("/results/{}/measurement/samples_s", i),
                     fmt::format("{} samples, more than the limit of {} per result",
                                 m["samples_s"].size(), max_samples_per_result)});
  }
  return out;
}

nlohmann::json read_result_file(const std::string& path) {
  nlohmann::json doc = read_json_file(path, "result file");
  const std::string shown = utf8_text(path);
  if (!doc.is_object() || !doc.contains("schema_version") || !doc["schema_version"].is_string())
    throw usage_error(fmt::format("'{}': not an mlhpc result file (no schema_version)", shown));
  const std::string version = doc["schema_version"];
  const std::string ours = schema_version;
  if (!same_major_version(version))
    throw usage_error(
        fmt::format("'{}': schema version {} has another major version than this tool reads ({}.x)",
                    shown, utf8_text(version), ours.substr(0, ours.find('.'))));
  const auto errors = validate_result(doc);
  if (!errors.empty())
    throw usage_error(fmt::format("'{}': does not match the result schema at {}: {}", shown,
                                  errors.front().where, utf8_text(errors.front().what)));
  return doc;
}

}  // namespace mlhpc
