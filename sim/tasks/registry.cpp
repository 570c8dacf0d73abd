// SPDX-License-Identifier: MIT
#include "sim/tasks/task.h"

namespace xb::sim {

// task_registry(), from TASKS.def (hw_models/core/registry_list.h).
#define XB_REGISTRY_KIND task
#define XB_REGISTRY_TYPE TaskRegistry
#define XB_REGISTRY_LABEL "task"
#define XB_REGISTRY_LIST "sim/tasks/TASKS.def"
#define XB_TASK XB_REGISTRY_ENTRY
#include "hw_models/core/registry_list.h"
#undef XB_TASK

std::unique_ptr<rules::Model> Task::make_model(const rules::NetworkParams& net, const Rng& init) {
  auto n = std::make_unique<rules::Network>(net, input_shape(), outputs(), loss_kind(), mse_scale(), l2());
  n->initialise(init);
  return n;
}

MatrixD one_hot(const std::vector<int>& labels, Index classes) {
  MatrixD y = MatrixD::Zero(Index(labels.size()), classes);
  for (std::size_t i = 0; i < labels.size(); ++i) y(Index(i), labels[i]) = 1.0;
  return y;
}

}  // namespace xb::sim
