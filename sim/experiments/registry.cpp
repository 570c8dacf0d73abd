// SPDX-License-Identifier: MIT
#include "sim/experiment.h"

namespace xb::sim {

#define XB_EXPERIMENT(name) void register_##name(ExperimentRegistry&);
#include "sim/experiments/EXPERIMENTS.def"
#undef XB_EXPERIMENT

const ExperimentRegistry& experiment_registry() {
  static const ExperimentRegistry registry = [] {
    ExperimentRegistry r("experiment");
#define XB_EXPERIMENT(name) register_##name(r);
#include "sim/experiments/EXPERIMENTS.def"
#undef XB_EXPERIMENT
    return r;
  }();
  return registry;
}

}  // namespace xb::sim
