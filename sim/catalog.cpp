// SPDX-License-Identifier: MIT
#include "sim/catalog.h"

#include "hw_models/devices/device_model.h"
#include "learning_rules/update_scheme.h"
#include "sim/experiment.h"
#include "learning_rules/learning_rule.h"
#include "sim/tasks/task.h"

namespace xb::sim {

std::vector<Catalog> catalogs() {
  return {
      catalog_of("devices", hw::device_registry()),
      catalog_of("experiments", experiment_registry()),
      catalog_of("schemes", rules::scheme_registry()),
      catalog_of("rules", rules::rule_registry()),
      catalog_of("tasks", task_registry()),
  };
}

}  // namespace xb::sim
