// SPDX-License-Identifier: MIT
#include "hw_models/devices/linear_step.h"

namespace xb::hw {

void LinearStepParams::validate(const Scope& s) const {
  pulsed.validate(s);
  s.require_ge("gamma_up_dtod", gamma_up_dtod, 0.0);
  s.require_ge("gamma_down_dtod", gamma_down_dtod, 0.0);
  s.require(pulsed.w_max > 0, "w_max", pulsed.w_max, "must be > 0 (gamma is scaled by it)");
  s.require(pulsed.w_min < 0, "w_min", pulsed.w_min, "must be < 0 (gamma is scaled by it)");
}

// extra[0] = γ⁺/B_max, extra[1] = γ⁻/|B_min| per device.
void LinearStepDevice::fabricate_law(DeviceState& s, Rng& fab) const {
  Array gu = Scalar(lp_.gamma_up) + Scalar(lp_.gamma_up_dtod) * normal_array(s.w_max.rows(), s.w_max.cols(), fab);
  Array gd = Scalar(lp_.gamma_down) +
             Scalar(lp_.gamma_down_dtod) * normal_array(s.w_max.rows(), s.w_max.cols(), fab);
  if (!lp_.allow_increasing) {
    gu = gu.max(0.0f);
    gd = gd.max(0.0f);
  }
  if (lp_.mean_bound_reference) {
    s.extra.push_back(gu / Scalar(p_.w_max));
    s.extra.push_back(gd / Scalar(-p_.w_min));
  } else {
    s.extra.push_back(gu / s.w_max.max(1e-12f));
    s.extra.push_back(gd / (-s.w_min).max(1e-12f));
  }
}

void LinearStepDevice::step(const PulseGroup& g, Index n, RowArray& dw) const {
  const auto w = g.w.head(n);
  if (g.up)
    dw.head(n) = g.dw.head(n) * (1.0f - g.extra[0].head(n) * w).max(0.0f);
  else
    dw.head(n) = -g.dw.head(n) * (1.0f + g.extra[1].head(n) * w).max(0.0f);
}

void LinearStepDevice::affine_step(const DeviceState& s, Index r, AffineRow& c) const {
  // Δ_up = dw_up − dw_up·(γ⁺/B)·w,  Δ_down = −dw_down − dw_down·(γ⁻/|B|)·w.
  c.a_up = s.dw_up.row(r);
  c.b_up = s.dw_up.row(r) * s.extra[0].row(r);
  c.a_down = -s.dw_down.row(r);
  c.b_down = s.dw_down.row(r) * s.extra[1].row(r);
}

void register_device_linear_step(DeviceRegistry& r) {
  r.add_model<LinearStepParams, LinearStepDevice>(
      "linear_step", "Δw = ±dw·(1 ∓ γ·w/B), step linear in w (aihwkit LinearStep; ECRAM)");
}

}  // namespace xb::hw
