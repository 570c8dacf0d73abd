// SPDX-License-Identifier: MIT
// pow_step: power-law step in the distance to the bound (aihwkit PowStepDevice; Fusi &
// Abbott 2007):
//   ω⁺ = (b_max − w)/(b_max − b_min),  ω⁻ = (w − b_min)/(b_max − b_min)
//   Δ_up = dw_up(i,j)·(ω⁺)^γ⁺,  Δ_down = −dw_down(i,j)·(ω⁻)^γ⁻
//   γ_ij = pow_gamma·(1 + pow_gamma_dtod·ξ),  u_ij = pow_up_down + pow_up_down_dtod·ξ,
//   γ⁺ = max(γ_ij + u_ij, 0),  γ⁻ = max(γ_ij − u_ij, 0)
#pragma once

#include "hw_models/devices/pulsed_device.h"

namespace xb::hw {

struct PowStepParams {
  PulsedParams pulsed;
  double pow_gamma = 1.0;
  double pow_gamma_dtod = 0.1;
  double pow_up_down = 0.0;
  double pow_up_down_dtod = 0.0;
  template <class F>
  void bind(F&& f) {
    pulsed.bind(f);
    f("pow_gamma", pow_gamma, "1", "exponent γ of the normalised distance to the bound");
    f("pow_gamma_dtod", pow_gamma_dtod, "1", "device-to-device spread of γ, relative");
    f("pow_up_down", pow_up_down, "1", "γ⁺ − γ = γ − γ⁻: exponent asymmetry, absolute");
    f("pow_up_down_dtod", pow_up_down_dtod, "1", "device-to-device spread of pow_up_down");
  }
  void validate(const Scope& s) const;
};

class PowStepDevice : public PulsedDevice {
 public:
  explicit PowStepDevice(const PowStepParams& p) : PulsedDevice(p.pulsed), pp_(p) {}
  double granularity() const override;

 protected:
  void step(const PulseGroup& g, Index n, RowArray& dw) const override;
  // The summed draw along the tangent (PulsedDevice::tangent).
  bool affine() const override { return true; }
  void affine_step(const DeviceState& s, Index r, AffineRow& c) const override;
  void fabricate_law(DeviceState& s, Rng& fab) const override;

 private:
  PowStepParams pp_;
};

}  // namespace xb::hw
