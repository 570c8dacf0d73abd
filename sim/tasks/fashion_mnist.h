// SPDX-License-Identifier: MIT
// Fashion-MNIST (Xiao et al. 2017) as image sets, shared by the `fashion_mnist` task and the
// tasks that label its images with a teacher network (`cnn_teacher`).
#pragma once

#include <string>

#include "sim/tasks/task.h"

namespace xb::sim {

// The pixel budget networks on these images are sized for.
constexpr Index kFashionPixels = 28 * 28;

struct ImageSet {
  rules::Batch batch;  // pixels in [0, 1] (one image per row, row-major), labels, one-hot y
  Index rows = 28, cols = 28;
  std::string image_file;
};

// Split "train" or "t10k" from `dir` ({split}-{images-idx3,labels-idx1}-ubyte[.gz]); the first
// `limit` images (0: all). ConfigError naming the file when it is missing or malformed.
ImageSet read_fashion_mnist(const std::string& dir, const std::string& split, int limit);

}  // namespace xb::sim
