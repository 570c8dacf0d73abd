// SPDX-License-Identifier: MIT
// Reads through an ideal tile with a perfect periphery and checks y = W x; lists the registered
// experiments (the harness library links too). Exit 0 when both hold.
#include <cmath>
#include <iostream>

#include "hw_models/core/config.h"
#include "hw_models/crossbar/tile.h"
#include "hw_models/devices/device_model.h"
#include "sim/experiment.h"

int main() {
  xb::Config cfg = xb::Config::from_string(
      "device: {type: ideal}\nperiphery: {is_perfect: true}\n", "consumer");
  std::shared_ptr<const xb::hw::DeviceModel> device =
      xb::hw::device_registry().create(xb::Scope(cfg, "device"));
  xb::hw::Tile tile(xb::Scope(cfg, "tile"), xb::Scope(cfg, "periphery"), device, 2, 3, 1, 0);
  xb::Matrix w(2, 3);
  w << 0.1f, 0.2f, 0.3f, -0.1f, -0.2f, -0.3f;
  tile.set_weights(w);
  xb::BatchMatrix x(3, 1), y;
  x << 1, 2, 3;
  tile.forward(x, y);
  const bool ok = std::abs(y(0, 0) - 1.4f) < 1e-5f && std::abs(y(1, 0) + 1.4f) < 1e-5f;
  const auto experiments = xb::sim::experiment_registry().names();
  std::cout << "y = (" << y(0, 0) << ", " << y(1, 0) << "); " << experiments.size()
            << " experiments registered\n";
  return ok && !experiments.empty() ? 0 : 1;
}
