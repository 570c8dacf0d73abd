// SPDX-License-Identifier: MIT
#include "hw_models/devices/pow_step.h"

#include <cmath>

namespace xb::hw {

void PowStepParams::validate(const Scope& s) const {
  pulsed.validate(s);
  s.require_ge("pow_gamma", pow_gamma, 0.0);
  s.require_ge("pow_gamma_dtod", pow_gamma_dtod, 0.0);
  s.require_ge("pow_up_down_dtod", pow_up_down_dtod, 0.0);
}

// extra[0] = γ⁺, extra[1] = γ⁻, extra[2] = 1/(b_max − b_min) per device.
void PowStepDevice::fabricate_law(DeviceState& s, Rng& fab) const {
  const Index rows = s.w_max.rows(), cols = s.w_max.cols();
  const Array g = Scalar(pp_.pow_gamma) *
                  (1.0f + Scalar(pp_.pow_gamma_dtod) * normal_array(rows, cols, fab));
  const Array u =
      Scalar(pp_.pow_up_down) + Scalar(pp_.pow_up_down_dtod) * normal_array(rows, cols, fab);
  s.extra.push_back((g + u).max(0.0f));
  s.extra.push_back((g - u).max(0.0f));
  s.extra.push_back((s.w_max - s.w_min).max(1e-12f).inverse());
}

void PowStepDevice::step(const PulseGroup& g, Index n, RowArray& dw) const {
  // ω^γ as exp(γ·log ω) (Eigen 3.4 evaluates an array-to-array pow() one coefficient at a
  // time); the factor min(ω·1e30, 1) makes 0^γ = 0 at the bound, for every γ. dw holds ω
  // first (coefficient-wise, so reading and writing it in one expression is safe).
  const auto w = g.w.head(n);
  auto om = dw.head(n);
  if (g.up)
    om = ((g.hi.head(n) - w) * g.extra[2].head(n)).max(0.0f);
  else
    om = ((w - g.lo.head(n)) * g.extra[2].head(n)).max(0.0f);
  const auto gamma = g.extra[g.up ? 0 : 1].head(n);
  const Scalar sign = g.up ? 1.0f : -1.0f;
  om = sign * g.dw.head(n) * (gamma * om.max(1e-30f).log()).exp() * (om * 1e30f).min(1.0f);
}

double PowStepDevice::granularity() const {
  // Mean of the nominal up and down steps at w = 0.
  const double range = p_.w_max - p_.w_min;
  const double gu = std::max(pp_.pow_gamma + pp_.pow_up_down, 0.0);
  const double gd = std::max(pp_.pow_gamma - pp_.pow_up_down, 0.0);
  const double fu = std::pow(std::max(p_.w_max, 0.0) / range, gu);
  const double fd = std::pow(std::max(-p_.w_min, 0.0) / range, gd);
  const double g = 0.5 * p_.dw_min * ((1 + p_.up_down) * fu + (1 - p_.up_down) * fd);
  return g > 0 ? g : p_.dw_min;
}

void register_device_pow_step(DeviceRegistry& r) {
  r.add_model<PowStepParams, PowStepDevice>(
      "pow_step", "Δw = ±dw·ω^γ, ω = normalised distance to the bound (aihwkit PowStep)");
}

}  // namespace xb::hw
