// SPDX-License-Identifier: MIT
// What a learning rule acts on: a model with a flat parameter vector and an exact loss and
// gradient on a batch (always double: the theory harness needs the true gradient to machine
// precision: every rule reports the true gradient next to its estimate, P1 in docs/theory.md).
// Network (layered perceptron, digital or on tiles) and QuadraticModel (P2 in docs/theory.md, loss
// 0.5 (w - w*)^T H (w - w*)) implement it; rules that need the layer structure (feedback
// alignment, node perturbation, equilibrium propagation) ask for network().
#pragma once

#include <string>
#include <vector>

#include "hw_models/core/types.h"

namespace xb::rules {

class Network;

// One batch: rows are samples. For classification `y` is one-hot and `labels` holds the class.
struct Batch {
  MatrixD x;
  MatrixD y;
  std::vector<int> labels;
  Index size() const { return x.rows(); }
  // The rows `idx` of this batch (used by minibatch sampling).
  Batch rows(const std::vector<Index>& idx) const;
};

class Model {
 public:
  virtual ~Model() = default;
  virtual Index n_params() const = 0;
  virtual VectorD params() const = 0;
  virtual void set_params(const VectorD& p) = 0;
  // Loss on `b` at the current parameters, and its exact gradient.
  virtual double loss(const Batch& b) = 0;
  virtual VectorD gradient(const Batch& b) = 0;
  virtual Network* network() { return nullptr; }
};

}  // namespace xb::rules
