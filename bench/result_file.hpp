#pragma once
// Reading, validating and writing result files.
#include <nlohmann/json.hpp>

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace mlhpc {

// The JSON Schema of result files (bench/schema/result.schema.json, embedded at build time).
std::string_view result_schema_text();
// The schema as validate_result applies it: the file's text completed with the rate vocabulary
// (bench/rates.hpp: the properties of "rates" and the ceiling metrics).
nlohmann::json result_schema();

struct schema_error {
  std::string where;  // JSON pointer-like path, "/results/0/statistics/median_s"
  std::string what;
};
// Validates `doc` against the result schema; empty when valid. Also checks the schema_version's
// major number and check_result_limits, which the schema alone cannot express.
std::vector<schema_error> validate_result(const nlohmann::json& doc);

// The most samples a result may carry when read (the runner's own cap is 100000 per problem);
// bounds the memory and time of compare and report on files from elsewhere.
inline constexpr std::size_t max_samples_per_result = 10'000'000;

// The checks of a result file that the schema cannot state (sample counts); empty when fine.
std::vector<schema_error> check_result_limits(const nlohmann::json& doc);

// Reads a result file for validate, compare and report: bounded reading and parsing (files.hpp),
// then the schema, its major version and check_result_limits. Throws usage_error naming the file
// and the first problem.
nlohmann::json read_result_file(const std::string& path);

}  // namespace mlhpc
