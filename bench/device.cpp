#include "bench/device.hpp"

#include <charconv>

#include <fmt/format.h>

#include "bench/error.hpp"

namespace mlhpc {

namespace {

std::optional<int> ordinal(std::string_view s) {
  if (s.empty() || s.size() > 6) return std::nullopt;
  int v = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size() || v < 0) return std::nullopt;
  return v;
}

}  // namespace

std::string device_ref::to_string() const {
  if (type == kind::host) return "host";
  return index < 0 ? "cuda" : fmt::format("cuda:{}", index);
}

device_ref parse_device(std::string_view text) {
  if (text == "host") return {};
  if (text == "cuda") return {device_ref::kind::cuda, -1};
  if (text.substr(0, 5) == "cuda:")
    if (const auto n = ordinal(text.substr(5))) return {device_ref::kind::cuda, *n};
  throw usage_error(fmt::format(
      "--device '{}': expected host, cuda (one GPU per local rank) or cuda:N (N a GPU ordinal)",
      text));
}

std::optional<local_rank> launcher_local_rank(
    const std::function<const char*(const char*)>& getenv) {
  for (const char* name :
       {"OMPI_COMM_WORLD_LOCAL_RANK", "SLURM_LOCALID", "MPI_LOCALRANKID", "PMI_LOCAL_RANK"}) {
    const char* v = getenv(name);
    if (v == nullptr) continue;
    if (const auto n = ordinal(v)) return local_rank{*n, name};
  }
  return std::nullopt;
}

device_choice choose_device(const device_ref& requested, int visible_gpus,
                            const std::optional<local_rank>& rank,
                            const char* cuda_visible_devices) {
  if (requested.type == device_ref::kind::host) return {requested, "--device host"};
  const std::string seen = cuda_visible_devices != nullptr
                               ? fmt::format(" (CUDA_VISIBLE_DEVICES={})", cuda_visible_devices)
                               : std::string();
  if (visible_gpus <= 0)
    throw usage_error(
        fmt::format("--device {}: this process sees no GPU{}", requested.to_string(), seen));
  if (requested.index >= 0) {
    if (requested.index >= visible_gpus)
      throw usage_error(fmt::format("--device {}: this process sees {} GPU(s){}, ordinals 0 to {}",
                                    requested.to_string(), visible_gpus, seen, visible_gpus - 1));
    return {requested, fmt::format("--device {}", requested.to_string())};
  }
  if (!rank) return {{device_ref::kind::cuda, 0}, "cuda:0 (no launcher's local rank)"};
  const int i = rank->value % visible_gpus;
  return {{device_ref::kind::cuda, i},
          fmt::format("local rank {} ({}) of {} visible GPU(s){}", rank->value, rank->source,
                      visible_gpus, seen)};
}

}  // namespace mlhpc
