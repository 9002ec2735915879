#pragma once
// Reading, validating and writing result files.
#include <nlohmann/json.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace mlhpc {

// The JSON Schema of result files (bench/schema/result.schema.json, embedded at build time).
std::string_view result_schema_text();

struct schema_error {
  std::string where;  // JSON pointer-like path, "/results/0/statistics/median_s"
  std::string what;
};
// Validates `doc` against the result schema; empty when valid. Also checks the schema_version's
// major number, which the schema alone cannot compare.
std::vector<schema_error> validate_result(const nlohmann::json& doc);

// Checks that `path` can be written (its directory exists or can be created, and a file can be
// created there) without leaving anything behind. Throws usage_error naming the path and why.
// "-" (stdout) always passes.
void check_writable(const std::string& path);

// Writes `doc` to `path` atomically: a temporary file beside it, then rename, so a reader never
// sees half a file. Throws runtime_failure with errno text on failure.
void write_json_atomically(const std::string& path, const nlohmann::json& doc);
// The same for any text (reports).
void write_text_atomically(const std::string& path, const std::string& text);

}  // namespace mlhpc
