// SPDX-License-Identifier: MIT
#include "hw_models/devices/device_model.h"

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

void DeviceModel::advance(DeviceState&, double, double, const Rng&, uint64_t) const {}

void DeviceModel::read_weights(const DeviceState& s, Array& out) const {
  out = s.w_apparent.size() ? s.w_apparent : s.w;
}

}  // namespace xb::hw
