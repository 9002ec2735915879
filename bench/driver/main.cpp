// mlhpc: see bench/driver/cli.cpp.
#include "bench/driver/cli.hpp"

int main(int argc, char** argv) {
  return mlhpc::command_line_main(argc, argv);
}
