// SPDX-License-Identifier: MIT
// linear_step: the step shrinks linearly with the weight (aihwkit LinearStepDevice;
// ECRAM and capacitor presets):
//   Δ_up   =  dw_up(i,j)  · max(1 − γ⁺_ij · w / B_max, 0)
//   Δ_down = −dw_down(i,j)· max(1 + γ⁻_ij · w / |B_min|, 0)
// γ^d_ij = gamma_d + gamma_d_dtod·ξ (clamped at 0 unless allow_increasing); B = the mean
// bounds w_max, w_min (mean_bound_reference) or the device's own. γ = 1 with per-device
// bounds is soft_bounds.
#pragma once

#include "hw_models/devices/pulsed_device.h"

namespace xb::hw {

struct LinearStepParams {
  PulsedParams pulsed;
  double gamma_up = 0.0;
  double gamma_down = 0.0;
  double gamma_up_dtod = 0.05;
  double gamma_down_dtod = 0.05;
  bool allow_increasing = false;
  bool mean_bound_reference = true;
  template <class F>
  void bind(F&& f) {
    pulsed.bind(f);
    f("gamma_up", gamma_up, "1", "relative decrease of the up step from w = 0 to w = w_max");
    f("gamma_down", gamma_down, "1", "relative decrease of the down step from 0 to w_min");
    f("gamma_up_dtod", gamma_up_dtod, "1", "device-to-device spread of gamma_up, absolute");
    f("gamma_down_dtod", gamma_down_dtod, "1", "device-to-device spread of gamma_down, absolute");
    f("allow_increasing", allow_increasing, "",
      "keep negative drawn gammas (steps growing toward the bound)");
    f("mean_bound_reference", mean_bound_reference, "",
      "scale gamma by the mean bounds (true) or by each device's own bounds");
  }
  void validate(const Scope& s) const;
};

class LinearStepDevice : public PulsedDevice {
 public:
  explicit LinearStepDevice(const LinearStepParams& p) : PulsedDevice(p.pulsed), lp_(p) {}

 protected:
  void step(const PulseGroup& g, Index n, RowArray& dw) const override;
  bool affine() const override { return true; }
  void affine_step(const DeviceState& s, Index r, AffineRow& c) const override;
  void fabricate_law(DeviceState& s, Rng& fab) const override;

 private:
  LinearStepParams lp_;
};

}  // namespace xb::hw
