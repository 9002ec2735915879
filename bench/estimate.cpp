#include "bench/estimate.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <ctime>

#include "bench/files.hpp"

namespace mlhpc {

using nlohmann::json;

namespace {

// "2026-11-24T13:52:01.123Z" (utc_now's form) as seconds since the epoch; NaN when not so.
double parse_timestamp(const std::string& text) {
  std::tm tm{};
  int ms = 0;
  if (std::sscanf(text.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d.%3dZ", &tm.tm_year, &tm.tm_mon,
                  &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &ms) != 7)
    return std::nan("");
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  return static_cast<double>(timegm(&tm)) + ms / 1000.0;
}

}  // namespace

double result_duration_s(const json& r) {
  if (!r.is_object() || !r.contains("started_at") || !r.contains("ended_at") ||
      !r["started_at"].is_string() || !r["ended_at"].is_string())
    return -1;
  const double d = parse_timestamp(r["ended_at"].get<std::string>()) -
                   parse_timestamp(r["started_at"].get<std::string>());
  return std::isfinite(d) && d >= 0 ? d : -1;
}

std::map<std::string, double> load_durations(const std::filesystem::path& dir,
                                             std::size_t max_files) {
  namespace fs = std::filesystem;
  std::vector<std::pair<fs::file_time_type, fs::path>> files;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    std::error_code e2;
    if (e.path().extension() != ".json" || !e.is_regular_file(e2)) continue;
    if (e.file_size(e2) > (16u << 20) || e2) continue;
    files.emplace_back(e.last_write_time(e2), e.path());
  }
  std::sort(files.begin(), files.end(), [](const auto& a, const auto& b) { return a > b; });
  if (files.size() > max_files) files.resize(max_files);
  std::map<std::string, double> out;
  // Oldest first, so that the newest file's figure is the one kept.
  for (auto it = files.rbegin(); it != files.rend(); ++it) {
    try {
      const json doc = read_json_file(it->second.string(), "result file");
      for (const auto& r : doc.value("results", json::array())) {
        if (!r.is_object() || !r.contains("key") || !r["key"].is_string()) continue;
        if (r.value("status", "") != "ok") continue;  // a skipped problem took no time here
        if (const double d = result_duration_s(r); d >= 0) out[r["key"].get<std::string>()] = d;
      }
    } catch (const std::exception&) {
      // Not a result file, or one being written: it only informs an estimate.
    }
  }
  return out;
}

std::vector<problem_estimate> estimate_plan(const std::vector<planned_problem>& plan,
                                            const run_config& config,
                                            const std::map<std::string, double>& durations) {
  std::vector<problem_estimate> out;
  out.reserve(plan.size());
  for (const auto& p : plan) {
    if (const auto it = durations.find(p.label()); it != durations.end())
      out.push_back({it->second, true});
    else
      out.push_back({2 * config.runner.max_time_s, false});
  }
  return out;
}

std::string format_duration(double s) {
  if (!(s >= 0)) return "?";
  if (s < 60) return fmt::format("{:.0f} s", std::ceil(s));
  const auto total = static_cast<long long>(std::ceil(s));
  if (total < 3600) return fmt::format("{} min {:02d} s", total / 60, static_cast<int>(total % 60));
  return fmt::format("{} h {:02d} min", total / 3600, static_cast<int>((total % 3600) / 60));
}

std::string describe_estimate(const std::vector<problem_estimate>& estimates,
                              const run_config& config, const std::string& history_dir) {
  double total = 0;
  std::size_t known = 0;
  for (const auto& e : estimates) {
    total += e.seconds;
    known += e.from_history;
  }
  std::string how;
  if (known > 0)
    how = fmt::format("{} problem{} as long as their last run in {}", known, known == 1 ? "" : "s",
                      history_dir);
  if (known < estimates.size()) {
    if (!how.empty()) how += "; ";
    how += fmt::format(
        "{} never run there, each counted as --max-time {} s of sampling and as much again "
        "for set-up and warm-up; more where {} repetitions of one take longer",
        estimates.size() - known, config.runner.max_time_s, config.runner.repetitions);
  }
  return fmt::format("estimated time: about {} ({})", format_duration(total), how);
}

}  // namespace mlhpc
