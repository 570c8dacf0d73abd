// SPDX-License-Identifier: MIT
#include "hw_models/devices/constant_step.h"

namespace xb::hw {

void ConstantStepDevice::step(const PulseGroup& g, Index n, RowArray& dw) const {
  if (g.up)
    dw.head(n) = g.dw.head(n);
  else
    dw.head(n) = -g.dw.head(n);
}

void ConstantStepDevice::affine_step(const DeviceState& s, Index r, AffineRow& c) const {
  c.a_up = s.dw_up.row(r);
  c.a_down = -s.dw_down.row(r);
  c.b_up.setZero(s.cols());
  c.b_down.setZero(s.cols());
}

void register_device_constant_step(DeviceRegistry& r) {
  r.add_model<ConstantStepParams, ConstantStepDevice>(
      "constant_step", "Δw = ±dw_min·(1 ± up_down), hard bounds (Gokmen & Vlasov 2016)");
}

}  // namespace xb::hw
