#pragma once
// A device's interval timer, driven by the runner (nvbench's cuda_timer): a problem on a device
// whose run() only enqueues one repetition (a CUDA stream) hands the runner its timer, and the
// runner brackets each sample's repetitions with start() and stop() and reads the device's time
// with elapsed_s(). The host clock's reading of the same sample is kept beside it. A problem
// without one runs on the host and the runner's clock times it.
#include <string>

namespace mlhpc {

class interval_timer {
 public:
  virtual ~interval_timer() = default;
  // What times the samples ("cuda_events"), recorded with the result.
  virtual std::string name() const = 0;
  // Waits until every repetition enqueued so far has finished (before the ranks' barrier, so
  // that no rank enters a sample with the last one still running). Untimed.
  virtual void synchronize() = 0;
  // Marks the start of a sample in the device's order of work; never waits.
  virtual void start() = 0;
  // Marks its end after the repetitions enqueued since start(); never waits.
  virtual void stop() = 0;
  // Waits for the end mark and returns the device's seconds between the two marks.
  virtual double elapsed_s() = 0;
};

}  // namespace mlhpc
