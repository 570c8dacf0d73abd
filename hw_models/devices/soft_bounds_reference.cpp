// SPDX-License-Identifier: MIT
#include "hw_models/devices/soft_bounds_reference.h"

namespace xb::hw {

void SoftBoundsReferenceParams::validate(const Scope& s) const {
  pulsed.validate(s);
  s.require(pulsed.w_max > 0, "w_max", pulsed.w_max, "must be > 0 (the up step vanishes there)");
  s.require(pulsed.w_min < 0, "w_min", pulsed.w_min, "must be < 0 (the down step vanishes there)");
  s.require_ge("slope_up_dtod", slope_up_dtod, 0.0);
  s.require_ge("slope_down_dtod", slope_down_dtod, 0.0);
  s.require_ge("reference_std", reference_std, 0.0);
}

Array soft_bounds_symmetry_point(const Array& a_up, const Array& a_down, const Array& s_up,
                                 const Array& s_down) {
  // α⁺ − s⁺w = α⁻ + s⁻w  ⇔  w* = (α⁺ − α⁻)/(s⁺ + s⁻).
  return (a_up - a_down) / (s_up + s_down).max(1e-30f);
}

// extra[0] = s⁺, extra[1] = s⁻ per device; s.reference as documented in the header.
void SoftBoundsReferenceDevice::fabricate_law(DeviceState& s, Rng& fab) const {
  const Index rows = s.w_max.rows(), cols = s.w_max.cols();
  const Array xu = normal_array(rows, cols, fab);
  const Array xd = normal_array(rows, cols, fab);
  const Array xr = normal_array(rows, cols, fab);
  s.extra.push_back((s.dw_up / s.w_max.max(1e-12f) * (1.0f + Scalar(rp_.slope_up_dtod) * xu))
                        .max(0.0f));
  s.extra.push_back(
      (s.dw_down / (-s.w_min).max(1e-12f) * (1.0f + Scalar(rp_.slope_down_dtod) * xd)).max(0.0f));
  if (rp_.reference_mean != 0 || rp_.reference_std > 0 || rp_.subtract_symmetry_point) {
    s.reference = Scalar(rp_.reference_mean) + Scalar(rp_.reference_std) * xr;
    if (rp_.subtract_symmetry_point)
      s.reference += soft_bounds_symmetry_point(s.dw_up, s.dw_down, s.extra[0], s.extra[1])
                         .max(s.w_min)
                         .min(s.w_max);
  }
}

void SoftBoundsReferenceDevice::step(const PulseGroup& g, Index n, RowArray& dw) const {
  const auto w = g.w.head(n);
  if (g.up)
    dw.head(n) = (g.dw.head(n) - g.extra[0].head(n) * w).max(0.0f);
  else
    dw.head(n) = -(g.dw.head(n) + g.extra[1].head(n) * w).max(0.0f);
}

void SoftBoundsReferenceDevice::affine_step(const DeviceState& s, Index r, AffineRow& c) const {
  // Δ_up = dw_up − s⁺·w,  Δ_down = −dw_down − s⁻·w.
  c.a_up = s.dw_up.row(r);
  c.b_up = s.extra[0].row(r);
  c.a_down = -s.dw_down.row(r);
  c.b_down = s.extra[1].row(r);
}

void register_device_soft_bounds_reference(DeviceRegistry& r) {
  r.add_model<SoftBoundsReferenceParams, SoftBoundsReferenceDevice>(
      "soft_bounds_reference",
      "soft bounds read against a reference device, optional symmetry-point subtraction "
      "(aihwkit SoftBoundsReference; ReRAM)");
}

}  // namespace xb::hw
