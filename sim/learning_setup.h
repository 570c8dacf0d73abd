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

  // Puts each analog layer l of `net` on its tiles (fabrication keyed by seed and l); returns
  // the tile layers (empty for a digital network).
  std::vector<std::shared_ptr<rules::TileLayer>> place_on_tiles(
      rules::Network& net, uint64_t seed) const;
};

// Writes -lr ĝ: digital layers exactly, analog weights through their tiles (with the rank-one
// factors when they make up the whole estimate: `factors`, false when an L2 term is added),
// adding the pulses used to `pulses`. The caller re-reads the tiles (Network::sync_from_tiles)
// once the step's device time has passed.
void apply_update(rules::Model& model, const rules::Estimate& e, double lr, bool factors,
                  double& pulses);

// Weights of `net` on `task` (every parameter layer's W), biases left out.
double network_weights(const Task& task, const rules::NetworkParams& net);

// Refuses, naming the key in `s` (the network section), a network whose layers do not fit the
// task's input or that would hold more than 2^28 weights (2 GiB of doubles).
void check_network(const Scope& s, const Task& task, const rules::NetworkParams& net);

}  // namespace xb::sim
