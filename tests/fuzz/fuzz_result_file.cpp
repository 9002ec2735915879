// libFuzzer target: the result-file reader used by validate, compare and report, and everything
// they do with a file it accepts. An input is written to a file and read as the driver reads it
// (bounded reading, nesting limit, schema, limits, duplicate keys); an accepted file is then
// compared with itself (one file, and runs pooled per side), compared as a fleet, rendered as
// console, Markdown and JUnit, and reported in Markdown and HTML (without figures). Only a
// usage_error may come out; anything else (a crash, a leak, json::type_error) is a bug.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>

#include "bench/error.hpp"
#include "bench/table.hpp"
#include "reports/compare.hpp"
#include "reports/report.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const std::string path = "/tmp/mlhpc-fuzz-result-" + std::to_string(::getpid()) + ".json";
  if (std::FILE* f = std::fopen(path.c_str(), "wb")) {
    std::fwrite(data, 1, size, f);
    std::fclose(f);
  } else {
    return 0;
  }
  using namespace mlhpc;
  try {
    const nlohmann::json doc = reports::load_result_file(path);
    reports::compare_options opt;
    opt.resamples = 100;
    const auto c = reports::compare(doc, "a", doc, "b", opt);
    (void)reports::format_console({c});
    (void)reports::format_markdown({c});
    (void)reports::format_junit({c});
    const auto g =
        reports::compare_groups({doc, doc}, {"a", "b"}, {doc, doc}, {"c", "d"}, true, opt);
    (void)reports::format_console({g});
    const auto fleet = reports::compare_fleet({doc, doc, doc}, {"x", "y", "z"}, 3.5, 0.05);
    (void)reports::format_fleet_console(fleet);
    (void)reports::format_fleet_markdown(fleet);
    (void)format_table(doc);
    (void)format_ceilings(doc);
    (void)format_trust(doc);
    (void)format_summaries(doc);
    reports::report_options ro;  // no plot script: no figures, no process started
    ro.format = "md";
    (void)reports::render_report({doc}, {path}, ro);
    ro.format = "html";
    (void)reports::render_report({doc}, {path}, ro);
  } catch (const usage_error&) {
  }
  return 0;
}
