#include "bench/result_file.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <valijson/adapters/nlohmann_json_adapter.hpp>
#include <valijson/schema.hpp>
#include <valijson/schema_parser.hpp>
#include <valijson/validator.hpp>

#include "bench/error.hpp"
#include "bench/session.hpp"

namespace mlhpc {

extern const std::string_view embedded_result_schema;

std::string_view result_schema_text() {
  return embedded_result_schema;
}

std::vector<schema_error> validate_result(const nlohmann::json& doc) {
  static const nlohmann::json schema_json = nlohmann::json::parse(result_schema_text());
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
    if (v.substr(0, v.find('.')) != ours.substr(0, ours.find('.')))
      out.push_back(
          {"/schema_version",
           fmt::format("major version of '{}' differs from this tool's schema {}", v, ours)});
  }
  return out;
}

void check_writable(const std::string& path) {
  namespace fs = std::filesystem;
  if (path == "-") return;
  const fs::path p(path);
  if (p.filename().empty())
    throw usage_error(fmt::format("--out '{}': expected a file name, not a directory", path));
  std::error_code ec;
  if (fs::is_directory(p, ec))
    throw usage_error(fmt::format("--out '{}': is a directory; expected a file name", path));
  const fs::path dir = p.has_parent_path() ? p.parent_path() : fs::path(".");
  if (!fs::exists(dir, ec)) {
    fs::create_directories(dir, ec);
    if (ec)
      throw usage_error(fmt::format("--out '{}': cannot create directory '{}': {}", path,
                                    dir.string(), ec.message()));
  }
  const std::string probe = (dir / fmt::format(".mlhpc-probe-{}", ::getpid())).string();
  const int fd = ::open(probe.c_str(), O_WRONLY | O_CREAT | O_EXCL, 0644);
  if (fd < 0)
    throw usage_error(fmt::format("--out '{}': cannot write in '{}': {}", path, dir.string(),
                                  std::strerror(errno)));
  ::close(fd);
  ::unlink(probe.c_str());
  if (fs::exists(p, ec) && ::access(path.c_str(), W_OK) != 0)
    throw usage_error(fmt::format("--out '{}': the file exists and is not writable: {}", path,
                                  std::strerror(errno)));
}

void write_text_atomically(const std::string& path, const std::string& text) {
  const std::string tmp = fmt::format("{}.tmp-{}", path, ::getpid());
  {
    std::ofstream out(tmp, std::ios::trunc);
    if (!out) MLHPC_FAIL("cannot create '{}': {}", tmp, std::strerror(errno));
    out << text;
    out.flush();
    if (!out) {
      const int err = errno;
      ::unlink(tmp.c_str());
      MLHPC_FAIL("cannot write '{}': {}", tmp, std::strerror(err));
    }
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    const int err = errno;
    ::unlink(tmp.c_str());
    MLHPC_FAIL("cannot rename '{}' to '{}': {}", tmp, path, std::strerror(err));
  }
}

void write_json_atomically(const std::string& path, const nlohmann::json& doc) {
  write_text_atomically(path, doc.dump(2) + "\n");
}

}  // namespace mlhpc
