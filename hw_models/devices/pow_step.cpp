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

void PowStepDevice::affine_step(const DeviceState& s, Index r, AffineRow& c) const {
  // Δ = ±dw·ω^γ with ω the normalised distance to the bound (ω' = ∓inv): Δ' = −dw·γ·inv·
  // ω^(γ−1) in both directions, Δ'' = ±dw·γ(γ−1)·inv²·ω^(γ−2). Over ω ∈ [ω0/2, 3ω0/2]
  // (h·inv ≤ ω0/2) ω^(γ−2) is at most K = max(2^(2−γ), 1.5^(γ−2)) times its value at ω0.
  // Named arrays per thread: assigning to one of the same size does not allocate.
  thread_local RowArray w, inv, omega, lw, d0, d1, d2, h_up, h_down;
  w = s.w.row(r);
  inv = s.extra[2].row(r);
  const auto side = [&](const Eigen::Ref<const RowArray>& gamma,
                        const Eigen::Ref<const RowArray>& dw, Scalar sign, RowArray& alpha,
                        RowArray& beta, RowArray& h) {
    lw = omega.max(1e-30f).log();
    d0 = sign * dw * (gamma * lw).exp() * (omega * 1e30f).min(1.0f);
    d1 = -dw * gamma * inv * ((gamma - 1.0f) * lw).exp();
    d2 = dw * gamma * (gamma - 1.0f).abs() * inv * inv * ((gamma - 2.0f) * lw).exp() *
         ((2.0f - gamma) * Scalar(std::log(2.0))).exp().max(
             ((gamma - 2.0f) * Scalar(std::log(1.5))).exp());
    tangent(w, d0, d1, d2, alpha, beta, h);
    h = h.min(0.5f * omega / inv);
  };
  omega = ((s.w_max.row(r) - w) * inv).max(0.0f);
  side(s.extra[0].row(r), s.dw_up.row(r), 1.0f, c.a_up, c.b_up, h_up);
  omega = ((w - s.w_min.row(r)) * inv).max(0.0f);
  side(s.extra[1].row(r), s.dw_down.row(r), -1.0f, c.a_down, c.b_down, h_down);
  c.bounded = true;
  c.v_lo = (w - h_up.min(h_down)).max(s.w_min.row(r));
  c.v_hi = (w + h_up.min(h_down)).min(s.w_max.row(r));
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
