#pragma once
// The mlhpc command line as a function: main() calls it; a test driver calls it with extra
// workloads registered (tests/support/fault_driver.cpp), so that tests go through the same
// options, run unit and communicator choice as users do.
#include <functional>

#include "bench/registry.hpp"

namespace mlhpc {

int command_line_main(int argc, char** argv, const std::function<void(registry&)>& extra = {});

}  // namespace mlhpc
