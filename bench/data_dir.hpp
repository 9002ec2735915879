#pragma once
// Where the suite's data files live (schema, suites, shape lists): $MLHPC_DATA_DIR, else
// <dir of the executable>/../share/mlhpc (build and install trees share that layout).
#include <filesystem>

namespace mlhpc {
std::filesystem::path data_dir();
}
