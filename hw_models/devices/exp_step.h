// SPDX-License-Identifier: MIT
// exp_step: exponential step law fitted to ReRAM/PCM pulse responses (aihwkit ExpStepDevice;
// Gong et al. 2018, Nandakumar et al. 2020):
//   z = 2a·w/(b_max − b_min) + b
//   Δ_up   =  dw_up(i,j)  · max(1 − A_up  ·e^( γ_up  ·z), 0)
//   Δ_down = −dw_down(i,j)· max(1 − A_down·e^(−γ_down·z), 0)
// State-dependent c2c noise when dw_min_std_add or dw_min_std_slope is set:
//   a·ξ with a = dw_min_std·(dw_min_std_add + |Δ| + dw_min_std_slope·|w|)
// (otherwise the common multiplicative/additive noise).
#pragma once

#include "hw_models/devices/pulsed_device.h"

namespace xb::hw {

struct ExpStepParams {
  PulsedParams pulsed;
  double A_up = 0.00081;
  double A_down = 0.36833;
  double gamma_up = 12.44625;
  double gamma_down = 12.78785;
  double a = 0.244;
  double b = 0.2425;
  double dw_min_std_add = 0.0;
  double dw_min_std_slope = 0.0;
  template <class F>
  void bind(F&& f) {
    pulsed.bind(f);
    f("A_up", A_up, "1", "amplitude of the exponential term of the up step");
    f("A_down", A_down, "1", "amplitude of the exponential term of the down step");
    f("gamma_up", gamma_up, "1", "exponent rate of the up step");
    f("gamma_down", gamma_down, "1", "exponent rate of the down step");
    f("a", a, "1", "slope of z in the normalised weight");
    f("b", b, "1", "offset of z");
    f("dw_min_std_add", dw_min_std_add, "1",
      "additive part of the state-dependent c2c noise, in weight units");
    f("dw_min_std_slope", dw_min_std_slope, "1", "|w|-proportional part of the c2c noise");
  }
  void validate(const Scope& s) const;
};

class ExpStepDevice : public PulsedDevice {
 public:
  explicit ExpStepDevice(const ExpStepParams& p) : PulsedDevice(p.pulsed), ep_(p) {}
  double granularity() const override;

 protected:
  void step(const PulseGroup& g, Index n, RowArray& dw) const override;
  // The summed draw along the tangent (PulsedDevice::tangent), with the common c2c noise only.
  bool affine() const override { return ep_.dw_min_std_add == 0 && ep_.dw_min_std_slope == 0; }
  void affine_step(const DeviceState& s, Index r, AffineRow& c) const override;
  void fabricate_law(DeviceState& s, Rng& fab) const override;
  bool c2c_amplitude(const PulseGroup& g, Index n, const RowArray& dw,
                     RowArray& amp) const override;

 private:
  ExpStepParams ep_;
};

}  // namespace xb::hw
