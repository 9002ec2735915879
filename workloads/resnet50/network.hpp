#pragma once
// ResNet-50 v1.5 (torchvision / MLPerf layout: the stride 2 of stages 3-5 on the 3x3 convolution)
// as data: every layer with its shapes, independent of any library, so that the oneDNN step, the
// double-precision reference, the conv workload's ResNet-50 shape list and a later cuDNN backend
// all walk one description. He et al., "Deep Residual Learning for Image Recognition" (2016),
// Table 1; torchvision models/resnet.py (Bottleneck, stride on conv2).
#include <cstdint>
#include <string>
#include <vector>

#include "workloads/conv/conv.hpp"

namespace mlhpc::resnet50 {

struct config {
  std::int64_t batch = 32;
  std::int64_t image = 224;     // square input, 3 channels
  std::int64_t width = 64;      // channels of the stem; stage s has width * 2^(s-2) (64 .. 512)
  std::int64_t classes = 1000;  // outputs of the fully connected layer
};

// The network's total stride: conv1 (2), max pool (2), stages 3-5 (2 each).
inline constexpr std::int64_t total_stride = 32;
inline constexpr int blocks_per_stage[4] = {3, 4, 6, 3};

// One convolution, followed in the network by batch normalisation.
struct conv_layer {
  std::string name;    // conv1, res2a_branch2a, ... (Caffe's names, which benchdnn's lists use)
  int stage = 1;       // 1 = the stem, 2..5 the residual stages
  char block = 'a';    // block letter within the stage
  std::string branch;  // "2a", "2b", "2c" (main path) or "1" (the projection shortcut)
  conv::desc d;        // shapes at the network's batch (mb) and image size
};

struct bottleneck {
  int stage = 2;
  char block = 'a';
  std::int64_t in_c = 0, mid_c = 0, out_c = 0, stride = 1, in_h = 0, out_h = 0;
  // Indices into network::convs: 2a (1x1), 2b (3x3, the stride), 2c (1x1 expanding by 4), and
  // the projection shortcut (1x1 with the stride) or -1 for the identity.
  int c2a = -1, c2b = -1, c2c = -1, c1 = -1;
};

struct network {
  config cfg;
  std::vector<conv_layer> convs;  // in forward order: conv1, then per block 2a, 2b, 2c, 1
  std::vector<bottleneck> blocks;
  std::int64_t stem_h = 0;                // after conv1 (image / 2)
  std::int64_t pool_h = 0;                // after the 3x3 stride-2 max pool (stage 2's input)
  std::int64_t final_h = 0, final_c = 0;  // stage 5's output, averaged to 1x1
};

// Throws usage_error naming the value when the configuration cannot be built (batch < 1, image
// smaller than the total stride, width < 1, classes < 2).
network build(const config& c);

// Multiply-adds of one image's forward pass through the convolutions and the fully connected
// layer (taps on padding excluded, as conv::work_of counts). 4.09e9 at 224^2 (torchvision's
// ResNet50_Weights table: 4.09 GFLOPS, counted as multiply-adds).
double forward_macs_per_image(const network& n);
// Flops of one training step per image: forward, backward-data and backward-weights each count
// the forward's multiply-adds twice (conv1 has no backward-data: its input is the image). BN,
// ReLU, pooling and the update are not counted (3 x 2 x 4.09e9, about 24.5 GFLOP at 224^2).
double training_flops_per_image(const network& n);

// Parameters: conv weights, batch-norm scale and shift, the fully connected weights and bias.
std::int64_t parameter_count(const network& n);

// The distinct convolutions with their counts, named as benchdnn's ResNet-50 list names them
// (res2bc_2a: blocks b and c of stage 2, branch 2a; res2_2c_1: every block's 2c and block a's
// projection, which share a shape), as shape-list text for the conv workload.
struct distinct_conv {
  conv::desc d;
  int count = 0;
};
std::vector<distinct_conv> distinct_convs(const network& n);
std::string conv_shape_list(const network& n);

}  // namespace mlhpc::resnet50
