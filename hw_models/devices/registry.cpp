// SPDX-License-Identifier: MIT
#include "hw_models/devices/device_model.h"

#include <cmath>

namespace xb::hw {

// device_registry(), from DEVICES.def (hw_models/core/registry_list.h).
#define XB_REGISTRY_KIND device
#define XB_REGISTRY_TYPE DeviceRegistry
#define XB_REGISTRY_LABEL "device"
#define XB_REGISTRY_LIST "hw_models/devices/DEVICES.def"
#define XB_DEVICE XB_REGISTRY_ENTRY
#include "hw_models/core/registry_list.h"
#undef XB_DEVICE

void validate_weight_range(const Scope& s, double w_min, double w_max, double dw_min) {
  s.require_gt("dw_min", dw_min, 0.0);
  s.require(dw_min <= 1e6, "dw_min", dw_min, "must be <= 1e6 (weight units)");
  s.require(w_max > w_min, "w_max", w_max, "must be > w_min (" + Scope::fmt(w_min) + ")");
  s.require(std::abs(w_min) <= 1e6, "w_min", w_min, "must be within ±1e6 (weight units)");
  s.require(std::abs(w_max) <= 1e6, "w_max", w_max, "must be within ±1e6 (weight units)");
}

void DeviceModel::advance(DeviceState&, double, double, const Rng&, uint64_t) const {}

void DeviceModel::add_read_noise(const DeviceState&, Array&, const Rng&, uint64_t) const {}

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
