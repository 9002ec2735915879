#pragma once
// The device a rank's problems run on: `host`, or `cuda:N`, N counted among the GPUs this process
// sees (after CUDA_VISIBLE_DEVICES). Chosen once per rank, from `--device` or, when it names no
// index (`cuda`), from the launcher's local rank (one GPU per rank on a node, as nccl-tests and
// the frameworks place them). Host-side only: the count of visible GPUs comes from the CUDA
// backend, so the rule is tested without one.
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace mlhpc {

struct device_ref {
  enum class kind { host, cuda };
  kind type = kind::host;
  int index = -1;  // cuda: the ordinal among visible devices; -1 = not yet chosen ("cuda")
  std::string to_string() const;  // "host", "cuda", "cuda:0"
  bool operator==(const device_ref&) const = default;
};

// "host", "cuda" or "cuda:N" (N a decimal ordinal); anything else is a usage_error naming the
// value and the forms expected.
device_ref parse_device(std::string_view text);

// The node-local rank the launcher gave this process, from the first of
// OMPI_COMM_WORLD_LOCAL_RANK (Open MPI), SLURM_LOCALID (srun), MPI_LOCALRANKID (MPICH, Intel MPI)
// and PMI_LOCAL_RANK that holds a non-negative integer; nullopt when none does. `getenv` is
// injected for tests.
struct local_rank {
  int value = 0;
  std::string source;  // the variable it came from
};
std::optional<local_rank> launcher_local_rank(
    const std::function<const char*(const char*)>& getenv);

// The device this rank uses: `requested` as parsed; "cuda" becomes cuda:(local rank mod
// visible), or cuda:0 without a launcher. Throws usage_error when CUDA is requested and no GPU is
// visible, or an explicit ordinal is not below `visible_gpus` (the message names the ordinal, the
// count and CUDA_VISIBLE_DEVICES when it is set).
struct device_choice {
  device_ref device;
  std::string how;  // "--device cuda:1", "local rank 3 (SLURM_LOCALID) of 4 visible GPUs", ...
};
device_choice choose_device(const device_ref& requested, int visible_gpus,
                            const std::optional<local_rank>& rank,
                            const char* cuda_visible_devices);

}  // namespace mlhpc
