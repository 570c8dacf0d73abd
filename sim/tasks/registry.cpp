// SPDX-License-Identifier: MIT
#include "sim/tasks/task.h"

namespace xb::sim {

#define XB_TASK(name) void register_##name(TaskRegistry&);
#include "sim/tasks/TASKS.def"
#undef XB_TASK

const TaskRegistry& task_registry() {
  static const TaskRegistry registry = [] {
    TaskRegistry r("task");
#define XB_TASK(name) register_##name(r);
#include "sim/tasks/TASKS.def"
#undef XB_TASK
    return r;
  }();
  return registry;
}

std::unique_ptr<rules::Model> Task::make_model(const rules::NetworkParams& net, const Rng& init) {
  auto n = std::make_unique<rules::Network>(net, inputs(), outputs(), loss_kind(), mse_scale(), l2());
  n->initialise(init);
  return n;
}

MatrixD one_hot(const std::vector<int>& labels, Index classes) {
  MatrixD y = MatrixD::Zero(Index(labels.size()), classes);
  for (std::size_t i = 0; i < labels.size(); ++i) y(Index(i), labels[i]) = 1.0;
  return y;
}

}  // namespace xb::sim
