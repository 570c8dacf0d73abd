// SPDX-License-Identifier: MIT
// soft_bounds_reference: soft bounds with separately varying slopes, read against a static
// reference device (aihwkit SoftBoundsReferenceDevice; ReRAM presets, Gong et al. 2018/2022):
//   Δ_up = α⁺ − s⁺·w,  Δ_down = −(α⁻ + s⁻·w),  α^± = dw_up/down(i,j),
//   s⁺ = α⁺/b_max·(1 + slope_up_dtod·ξ),  s⁻ = α⁻/|b_min|·(1 + slope_down_dtod·ξ)
// The weight read is w − reference, reference = reference_mean + reference_std·ξ, plus, with
// subtract_symmetry_point, the device's symmetry point (where up and down steps are equal)
//   w* = (α⁺ − α⁻)/(s⁺ + s⁻)  [= (α⁺ − α⁻)/(α⁺/b_max − α⁻/b_min) without slope spread].
// c2c noise is additive by default (mult_noise = false).
#pragma once

#include "hw_models/devices/pulsed_device.h"

namespace xb::hw {

struct SoftBoundsReferenceParams {
  PulsedParams pulsed;
  double slope_up_dtod = 0.0;
  double slope_down_dtod = 0.0;
  double reference_mean = 0.0;
  double reference_std = 0.0;
  bool subtract_symmetry_point = false;
  SoftBoundsReferenceParams() { pulsed.mult_noise = false; }
  template <class F>
  void bind(F&& f) {
    pulsed.bind(f);
    f("slope_up_dtod", slope_up_dtod, "1", "device-to-device spread of the up slope, relative");
    f("slope_down_dtod", slope_down_dtod, "1",
      "device-to-device spread of the down slope, relative");
    f("reference_mean", reference_mean, "1", "mean weight of the reference device");
    f("reference_std", reference_std, "1", "device-to-device spread of the reference weight");
    f("subtract_symmetry_point", subtract_symmetry_point, "",
      "add each device's symmetry point w* to its reference, so it reads 0 there");
  }
  void validate(const Scope& s) const;
};

class SoftBoundsReferenceDevice : public PulsedDevice {
 public:
  explicit SoftBoundsReferenceDevice(const SoftBoundsReferenceParams& p)
      : PulsedDevice(p.pulsed), rp_(p) {}

 protected:
  void step(const PulseGroup& g, Index n, RowArray& dw) const override;
  bool affine() const override { return true; }
  void affine_step(const DeviceState& s, Index r, AffineRow& c) const override;
  void fabricate_law(DeviceState& s, Rng& fab) const override;

 private:
  SoftBoundsReferenceParams rp_;
};

// The symmetry point of soft-bounds devices with steps α± and slopes s±.
Array soft_bounds_symmetry_point(const Array& a_up, const Array& a_down, const Array& s_up,
                                 const Array& s_down);

}  // namespace xb::hw
