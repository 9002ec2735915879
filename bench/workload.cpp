#include "bench/workload.hpp"

#include "bench/error.hpp"

namespace mlhpc {

std::string to_string(verification::state s) {
  switch (s) {
    case verification::state::passed:
      return "passed";
    case verification::state::failed:
      return "failed";
    case verification::state::not_applicable:
      return "not_applicable";
  }
  MLHPC_ASSERT(false);
}

}  // namespace mlhpc
