// SPDX-License-Identifier: MIT
#include "hw_models/devices/constant_step.h"

namespace xb::hw {

void ConstantStepDevice::step(const DeviceState& s, Index r, const RowArray&, const RowArray& sgn,
                              RowArray& dw) const {
  dw = (sgn > 0).select(RowArray(s.dw_up.row(r)), RowArray(-s.dw_down.row(r)));
}

void register_device_constant_step(DeviceRegistry& r) {
  r.add_model<ConstantStepParams, ConstantStepDevice>(
      "constant_step", "Δw = ±dw_min·(1 ± up_down), hard bounds (Gokmen & Vlasov 2016)");
}

}  // namespace xb::hw
