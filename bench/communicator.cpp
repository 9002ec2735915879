#include "bench/communicator.hpp"

#include <cstdlib>

namespace mlhpc {

void local_communicator::abort(int status) {
  std::_Exit(status);
}

rank_error first_error(communicator& comm, const std::string& local) {
  // One flag first: the messages are exchanged only when some rank failed.
  if (!comm.any(!local.empty())) return {};
  const auto all = comm.allgather(local);
  for (std::size_t r = 0; r < all.size(); ++r)
    if (!all[r].empty()) return {static_cast<int>(r), all[r]};
  return {};
}

}  // namespace mlhpc
