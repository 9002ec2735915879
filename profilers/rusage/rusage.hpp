#pragma once
// getrusage(RUSAGE_SELF) around each sample: user and system CPU time, voluntary and involuntary
// context switches (differences over the window), and the process's peak resident set size
// (a level: the high-water mark so far, read at the end of each window).
#include <memory>
#include <string>
#include <vector>

#include "bench/collector.hpp"

namespace mlhpc::profilers {

bool rusage_claims(const std::string& event);
std::vector<std::string> rusage_names();
std::unique_ptr<collector> make_rusage_collector(const std::vector<std::string>& events);

}  // namespace mlhpc::profilers
