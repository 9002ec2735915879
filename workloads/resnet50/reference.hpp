#pragma once
// A plain double-precision ResNet-50 training step (forward, cross-entropy, backward; no
// update) walking network.hpp's description with NCHW tensors and direct loops, to check the
// gradients a backend computes. Meant for reduced networks (small images and channels).
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "workloads/resnet50/network.hpp"

namespace mlhpc::resnet50 {

// Parameters by name, as a backend names them: "<conv>.weights" (OIHW), "<bn>.scale_shift"
// (scale row then shift row; bn_conv1, bn2a_branch2a, ...), "fc1000.weights" ([classes][C]),
// "fc1000.bias".
using named_values = std::map<std::string, std::vector<double>>;

struct reference_step {
  double loss = 0;
  named_values gradients;
  named_values activations;  // block outputs: "res5b.out"
};

// images: NCHW, batch x 3 x image x image; labels: one per image.
// A ReLU decision flips where an activation lies within the backend's rounding error of zero,
// and one flipped element moves a small tensor's gradient by about 1/sqrt(its size): with
// `relu_outputs` the reference takes each ReLU's decisions from the backend's output of that
// name ("bn2a_branch2a.out", "res2a.out", "bn_conv1.out"; NCHW), so that the gradients compare
// the arithmetic, not the coin flips; the activations it returns show where decisions differ.
using activation_source = std::function<std::vector<double>(const std::string& name)>;
reference_step reference_gradients(const network& n, const named_values& params,
                                   const std::vector<double>& images,
                                   const std::vector<int>& labels,
                                   const activation_source& relu_outputs = {});

// The batch-norm layer that follows convolution `conv_name` (conv1 -> bn_conv1,
// res2a_branch2a -> bn2a_branch2a).
std::string bn_name_of(const std::string& conv_name);

}  // namespace mlhpc::resnet50
