// SPDX-License-Identifier: MIT
// constant_step: every pulse moves the weight by ±dw_up/down(i,j) (with c2c noise), hard
// bounds (aihwkit ConstantStepDevice; Gokmen & Vlasov, Front. Neurosci. 2016).
//   Δ_up = dw_up(i,j),  Δ_down = −dw_down(i,j)
#pragma once

#include "hw_models/devices/pulsed_device.h"

namespace xb::hw {

struct ConstantStepParams {
  PulsedParams pulsed;
  template <class F>
  void bind(F&& f) {
    pulsed.bind(f);
  }
  void validate(const Scope& s) const { pulsed.validate(s); }
};

class ConstantStepDevice : public PulsedDevice {
 public:
  explicit ConstantStepDevice(const ConstantStepParams& p) : PulsedDevice(p.pulsed) {}

 protected:
  void step(const PulseGroup& g, Index n, RowArray& dw) const override;
  bool affine() const override { return true; }
  void affine_step(const DeviceState& s, Index r, AffineRow& c) const override;
};

}  // namespace xb::hw
