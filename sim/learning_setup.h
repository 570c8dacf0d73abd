// SPDX-License-Identifier: MIT
// The sections every learning experiment reads (task, rule, network and, for analog layers,
// device, scheme, tile, periphery), and the placement of a network's layers on tiles, shared
// by `train` and `estimator_stats` so that both build the same hardware from the same config.
#pragma once

#include <memory>
#include <vector>

#include "hw_models/crossbar/tile.h"
#include "learning_rules/learning_rule.h"
#include "learning_rules/network.h"
#include "learning_rules/tile_layer.h"
#include "sim/memory_estimate.h"
#include "sim/tasks/task.h"

namespace xb::sim {

struct LearningSetup {
  std::unique_ptr<Task> task;
  std::unique_ptr<rules::LearningRule> rule;
  rules::NetworkParams network;
  // Hardware: read whenever a device is given (so that `--set network.analog=false` on an
  // analog config runs the same study digitally) and required when the network is analog.
  std::shared_ptr<const hw::DeviceModel> device;
  std::shared_ptr<const hw::UpdateScheme> scheme;  // the prototype each tile clones
  hw::TileParams tile;
  std::shared_ptr<const hw::UnitCell> cell;  // the unit cell of every tile
  hw::PeripheryParams periphery;

  // `own_periphery`: the experiment reads `periphery:` itself, on a digital network
  // (inference), so that section is not refused there.
  static LearningSetup read(Config& cfg, bool own_periphery = false);

  // Adds the task's data, the parameters of network `net` (with their gradients and
  // estimates) and, when it is analog, every tile's device states; plus the activations of a
  // batch of `batch` samples (0: the training set) and of an evaluation of a whole set.
  void estimate_memory(MemoryEstimate& m, const rules::NetworkParams& net, double batch) const;

  // Puts layer l of `net` on tile l (fabrication keyed by seed and l) when `np` is analog;
  // returns the tile layers (empty for a digital network).
  std::vector<std::shared_ptr<rules::TileLayer>> place_on_tiles(
      rules::Network& net, const rules::NetworkParams& np, uint64_t seed) const;
};

// Weights of `net` on `task` (inputs -> hidden -> outputs), biases left out.
double network_weights(const Task& task, const rules::NetworkParams& net);

}  // namespace xb::sim
