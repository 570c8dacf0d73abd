// SPDX-License-Identifier: MIT
#include "sim/experiment.h"

namespace xb::sim {

// experiment_registry(), from EXPERIMENTS.def (hw_models/core/registry_list.h).
#define XB_REGISTRY_KIND experiment
#define XB_REGISTRY_TYPE ExperimentRegistry
#define XB_REGISTRY_LABEL "experiment"
#define XB_REGISTRY_LIST "sim/experiments/EXPERIMENTS.def"
#define XB_EXPERIMENT XB_REGISTRY_ENTRY
#include "hw_models/core/registry_list.h"
#undef XB_EXPERIMENT

}  // namespace xb::sim
