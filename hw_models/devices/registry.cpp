// SPDX-License-Identifier: MIT
#include "hw_models/devices/device_model.h"

#include <cmath>

namespace xb::hw {

#define XB_DEVICE(name) void register_##name(DeviceRegistry&);
#include "hw_models/devices/DEVICES.def"
#undef XB_DEVICE

const DeviceRegistry& device_registry() {
  static const DeviceRegistry registry = [] {
    DeviceRegistry r("device");
#define XB_DEVICE(name) register_##name(r);
#include "hw_models/devices/DEVICES.def"
#undef XB_DEVICE
    return r;
  }();
  return registry;
}

void validate_weight_range(const Scope& s, double w_min, double w_max, double dw_min) {
  s.require_gt("dw_min", dw_min, 0.0);
  s.require(dw_min <= 1e6, "dw_min", dw_min, "must be <= 1e6 (weight units)");
  s.require(w_max > w_min, "w_max", w_max, "must be > w_min (" + Scope::fmt(w_min) + ")");
  s.require(std::abs(w_min) <= 1e6, "w_min", w_min, "must be within ±1e6 (weight units)");
  s.require(std::abs(w_max) <= 1e6, "w_max", w_max, "must be within ±1e6 (weight units)");
}

void DeviceModel::advance(DeviceState&, double, double, const Rng&, uint64_t) const {}

void DeviceModel::add_read_noise(const DeviceState&, Array&, Rng&) const {}

void DeviceModel::reset(DeviceState& s, const Rng&, uint64_t, Index row0, Index row1,
                        const PulseArray* mask) const {
  const Index r = row1 - row0;
  const Array zero = Array::Zero(r, s.cols()).max(s.w_min.middleRows(row0, r))
                         .min(s.w_max.middleRows(row0, r));
  if (mask)
    s.w.middleRows(row0, r) = (mask->middleRows(row0, r) != 0).select(zero, s.w.middleRows(row0, r));
  else
    s.w.middleRows(row0, r) = zero;
  if (s.w_apparent.size()) s.w_apparent.middleRows(row0, r) = s.w.middleRows(row0, r);
}

void DeviceModel::read_weights(const DeviceState& s, Array& out) const {
  out = s.w_apparent.size() ? s.w_apparent : s.w;
}

}  // namespace xb::hw
