// SPDX-License-Identifier: MIT
// A task (`task.type`) supplies the data and the loss: a training and a test set, and the model
// the learning rule acts on. Network tasks build a rules::Network from the `network:` section
// (inputs and outputs fixed by the task); the quadratic task builds its own parameter model.
#pragma once

#include <memory>
#include <string>

#include "hw_models/core/registry.h"
#include "learning_rules/network.h"

namespace xb::sim {

class Task {
 public:
  virtual ~Task() = default;
  // Generates or loads the data. Deterministic in `seed` (data stream).
  virtual void load(uint64_t seed) = 0;
  virtual bool uses_network() const { return true; }
  virtual bool classification() const { return false; }
  // Bytes of the data load() will hold (both sets, with the temporaries of making them),
  // estimated from the parameters alone (sim/memory_estimate.h).
  virtual double data_bytes() const = 0;
  virtual Index inputs() const = 0;
  // The shape of one input (channels x height x width); a flat vector unless the task has images.
  virtual rules::Shape input_shape() const { return {inputs(), 1, 1}; }
  virtual Index outputs() const = 0;
  virtual rules::LossKind loss_kind() const { return rules::LossKind::mse; }
  // MSE normalisation: L = mse_scale * mean_n ||y_hat_n - y_n||^2 (0.5 by default, the [Z22]
  // convention; the papers normalise the MSE differently, docs/corrections.md C1).
  virtual double mse_scale() const { return 0.5; }
  virtual double l2() const { return 0.0; }
  // The trained model. For network tasks: a Network from `net`, initialised from `init`.
  virtual std::unique_ptr<rules::Model> make_model(const rules::NetworkParams& net, const Rng& init);

  const rules::Batch& train() const { return train_; }
  const rules::Batch& test() const { return test_; }

 protected:
  rules::Batch train_, test_;
};

using TaskRegistry = Registry<Task>;
const TaskRegistry& task_registry();

// One-hot rows for integer labels in [0, classes).
MatrixD one_hot(const std::vector<int>& labels, Index classes);

}  // namespace xb::sim
