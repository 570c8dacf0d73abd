// SPDX-License-Identifier: MIT
#include "hw_models/devices/soft_bounds.h"

namespace xb::hw {

void SoftBoundsParams::validate(const Scope& s) const {
  pulsed.validate(s);
  s.require(pulsed.w_max > 0, "w_max", pulsed.w_max, "must be > 0 (the up step vanishes there)");
  s.require(pulsed.w_min < 0, "w_min", pulsed.w_min, "must be < 0 (the down step vanishes there)");
}

// extra[0] = 1/b_max, extra[1] = 1/b_min per device (bounds keep their signs, fabricate()).
void SoftBoundsDevice::fabricate_law(DeviceState& s, Rng&) const {
  s.extra.push_back(s.w_max.max(1e-12f).inverse());
  s.extra.push_back(s.w_min.min(-1e-12f).inverse());
}

void SoftBoundsDevice::step(const PulseGroup& g, Index n, RowArray& dw) const {
  const auto w = g.w.head(n);
  if (g.up)
    dw.head(n) = g.dw.head(n) * (1.0f - w * g.extra[0].head(n)).max(0.0f);
  else
    dw.head(n) = -g.dw.head(n) * (1.0f - w * g.extra[1].head(n)).max(0.0f);
}

void SoftBoundsDevice::affine_step(const DeviceState& s, Index r, AffineRow& c) const {
  // Δ_up = dw_up − (dw_up/b_max)·w,  Δ_down = −dw_down + (dw_down/b_min)·w.
  c.a_up = s.dw_up.row(r);
  c.b_up = s.dw_up.row(r) * s.extra[0].row(r);
  c.a_down = -s.dw_down.row(r);
  c.b_down = -s.dw_down.row(r) * s.extra[1].row(r);
}

void register_device_soft_bounds(DeviceRegistry& r) {
  r.add_model<SoftBoundsParams, SoftBoundsDevice>(
      "soft_bounds", "Δw = ±dw·(1 − w/b), zero at the bounds (aihwkit SoftBounds; Fusi–Abbott)");
}

}  // namespace xb::hw
