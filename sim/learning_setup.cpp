// SPDX-License-Identifier: MIT
#include "sim/learning_setup.h"

#include "hw_models/update/update_scheme.h"

namespace xb::sim {

LearningSetup LearningSetup::read(Config& cfg) {
  LearningSetup s;
  s.task = task_registry().create(Scope(cfg, "task"));
  s.rule = rules::rule_registry().create(Scope(cfg, "rule"), "backprop");
  if (!s.task->uses_network()) return s;
  s.network = read_params<rules::NetworkParams>(Scope(cfg, "network"));
  // Refused before allocating: at most 2^28 weights (2 GiB of doubles) in all layers.
  double weights = 0, fan_in = double(s.task->inputs());
  for (int h : s.network.hidden) {
    weights += fan_in * h;
    fan_in = h;
  }
  weights += fan_in * double(s.task->outputs());
  if (weights > double(1 << 28))
    Scope(cfg, "network").fail("hidden", Scope::fmt(weights) + " weights",
                               "the network would hold more than 2^28 weights");
  if (s.network.analog || cfg.has("device")) {
    s.device = std::shared_ptr<const hw::DeviceModel>(
        hw::device_registry().create(Scope(cfg, "device")));
    s.scheme = std::shared_ptr<const hw::UpdateScheme>(
        hw::scheme_registry().create(Scope(cfg, "scheme"), "ideal"));
    s.tile = read_params<hw::TileParams>(Scope(cfg, "tile"));
    s.periphery = read_params<hw::PeripheryParams>(Scope(cfg, "periphery"));
  }
  return s;
}

std::vector<std::shared_ptr<rules::TileLayer>> LearningSetup::place_on_tiles(
    rules::Network& net, const rules::NetworkParams& np, uint64_t seed) const {
  std::vector<std::shared_ptr<rules::TileLayer>> layers;
  if (!np.analog) return layers;
  for (Index l = 0; l < net.layers(); ++l) {
    auto layer = std::make_shared<rules::TileLayer>(
        hw::Tile(tile, periphery, device, net.fan_out(l), net.fan_in(l), seed, uint32_t(l),
                 scheme->clone()));
    net.set_analog(l, layer);
    layers.push_back(layer);
  }
  return layers;
}

}  // namespace xb::sim
