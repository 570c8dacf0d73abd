// SPDX-License-Identifier: MIT
// soft_bounds: the step shrinks linearly to zero at the device's own bounds (aihwkit
// SoftBoundsDevice; Fusi & Abbott 2007 with γ = 1):
//   Δ_up = dw_up(i,j)·(1 − w/b_max(i,j)),  Δ_down = −dw_down(i,j)·(1 − w/b_min(i,j))
// From w = 0 without noise, n up pulses give w_n = b_max·(1 − (1 − dw_up/b_max)^n).
#pragma once

#include "hw_models/devices/pulsed_device.h"

namespace xb::hw {

struct SoftBoundsParams {
  PulsedParams pulsed;
  template <class F>
  void bind(F&& f) {
    pulsed.bind(f);
  }
  void validate(const Scope& s) const;
};

class SoftBoundsDevice : public PulsedDevice {
 public:
  explicit SoftBoundsDevice(const SoftBoundsParams& p) : PulsedDevice(p.pulsed) {}
  explicit SoftBoundsDevice(const PulsedParams& p) : PulsedDevice(p) {}

 protected:
  void step(const PulseGroup& g, Index n, RowArray& dw) const override;
  bool affine() const override { return true; }
  void affine_step(const DeviceState& s, Index r, AffineRow& c) const override;
  void fabricate_law(DeviceState& s, Rng& fab) const override;
};

}  // namespace xb::hw
