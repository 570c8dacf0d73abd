// SPDX-License-Identifier: MIT
// Helpers shared by the tile tests.
#pragma once

#include <memory>
#include <string>

#include "hw_models/core/config.h"
#include "hw_models/crossbar/tile.h"
#include "hw_models/devices/device_model.h"
#include "hw_models/devices/ideal.h"

namespace xb::test {

inline std::shared_ptr<const hw::DeviceModel> ideal_device(double dw_min = 0.001,
                                                           double w_min = -1, double w_max = 1) {
  hw::IdealParams p;
  p.dw_min = dw_min;
  p.w_min = w_min;
  p.w_max = w_max;
  return std::make_shared<hw::IdealDevice>(p);
}

// A device from a YAML `device:` section, or nullptr when the type is not registered.
inline std::shared_ptr<const hw::DeviceModel> device_from_yaml(const std::string& type,
                                                               const std::string& keys) {
  if (!hw::device_registry().find(type)) return nullptr;
  Config cfg = Config::from_string("device: {type: " + type + (keys.empty() ? "" : ", ") + keys +
                                       "}",
                                   "test");
  return std::shared_ptr<const hw::DeviceModel>(hw::device_registry().create(Scope(cfg, "device")));
}

// A scheme from a YAML `scheme:` section, e.g. scheme("{type: pulse_count}").
inline std::unique_ptr<hw::UpdateScheme> scheme(const std::string& yaml) {
  Config cfg = Config::from_string("scheme: " + yaml + "\n", "test");
  return hw::scheme_registry().create(Scope(cfg, "scheme"));
}

// A unit cell from a YAML `cell:` section, e.g. cell("{type: one_sided, w_max: 2}").
inline std::shared_ptr<const hw::UnitCell> cell(const std::string& yaml) {
  Config cfg = Config::from_string("cell: " + yaml + "\n", "test");
  return std::shared_ptr<const hw::UnitCell>(hw::cell_registry().create(Scope(cfg, "cell")));
}

inline hw::PeripheryParams perfect() {
  hw::PeripheryParams p;
  p.is_perfect = true;
  return p;
}

// Every effect off key by key (not via is_perfect).
inline hw::PeripheryParams all_off() {
  hw::PeripheryParams p;
  p.inp_bound = 0;
  p.inp_res = 0;
  p.out_bound = 0;
  p.out_res = 0;
  p.out_noise = 0;
  p.w_noise = 0;
  p.ir_drop = 0;
  p.noise_management = "none";
  p.bound_management = "none";
  return p;
}

inline Matrix random_matrix(Index r, Index c, uint64_t seed, double scale = 0.5) {
  Rng rng(seed, Stream::data);
  Matrix m(r, c);
  for (Index i = 0; i < r; ++i)
    for (Index j = 0; j < c; ++j) m(i, j) = Scalar(scale * (2 * rng.uniform() - 1));
  return m;
}

inline BatchMatrix random_batch(Index r, Index c, uint64_t seed, double scale = 1.0) {
  return random_matrix(r, c, seed, scale);
}

}  // namespace xb::test
