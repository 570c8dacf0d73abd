// SPDX-License-Identifier: MIT
#include "hw_models/devices/exp_step.h"

#include <algorithm>
#include <cmath>

namespace xb::hw {

void ExpStepParams::validate(const Scope& s) const {
  pulsed.validate(s);
  s.require_ge("gamma_up", gamma_up, 0.0);
  s.require_ge("gamma_down", gamma_down, 0.0);
  s.require_ge("dw_min_std_add", dw_min_std_add, 0.0);
  s.require_ge("dw_min_std_slope", dw_min_std_slope, 0.0);
}

// extra[0] = 2a/(b_max − b_min) per device.
void ExpStepDevice::fabricate_law(DeviceState& s, Rng&) const {
  s.extra.push_back(Scalar(2.0 * ep_.a) / (s.w_max - s.w_min).max(1e-12f));
}

void ExpStepDevice::step(const PulseGroup& g, Index n, RowArray& dw) const {
  const auto z = g.extra[0].head(n) * g.w.head(n) + Scalar(ep_.b);
  if (g.up)
    dw.head(n) = g.dw.head(n) *
                 (1.0f - Scalar(ep_.A_up) * (Scalar(ep_.gamma_up) * z).exp()).max(0.0f);
  else
    dw.head(n) = -g.dw.head(n) *
                 (1.0f - Scalar(ep_.A_down) * (-Scalar(ep_.gamma_down) * z).exp()).max(0.0f);
}

bool ExpStepDevice::c2c_amplitude(const PulseGroup& g, Index n, const RowArray& dw,
                                  RowArray& amp) const {
  if (ep_.dw_min_std_add == 0 && ep_.dw_min_std_slope == 0) return false;  // the default
  amp.head(n) = Scalar(p_.dw_min_std) * (Scalar(ep_.dw_min_std_add) + dw.head(n).abs() +
                                          Scalar(ep_.dw_min_std_slope) * g.w.head(n).abs());
  return true;
}

void ExpStepDevice::affine_step(const DeviceState& s, Index r, AffineRow& c) const {
  // With E = A·e^(±γz) and z' = e0 = 2a/(b_max − b_min): Δ_up = dw_up(1 − E_up), Δ' =
  // −dw_up·E_up·γ_up·e0, Δ'' = Δ'·γ_up·e0; Δ_down = −dw_down(1 − E_down), Δ' = −dw_down·E_down·
  // γ_down·e0, Δ'' = −Δ'·γ_down·e0. |Δ''| grows by at most e^(γe0h) over a half-width h, so
  // h is shrunk by e^(−γe0h/2) to bound it (a zero step, E ≥ 1, gives h = 0).
  // Named arrays per thread: assigning to one of the same size does not allocate.
  thread_local RowArray w, e0, z, e, d0, d1, d2, h_up, h_down;
  w = s.w.row(r);
  e0 = s.extra[0].row(r);
  z = e0 * w + Scalar(ep_.b);
  const auto side = [&](Scalar g, Scalar a, const Eigen::Ref<const RowArray>& dw, Scalar sign,
                        RowArray& alpha, RowArray& beta, RowArray& h) {
    e = a * (sign * g * z).exp();
    d0 = sign * dw * (1.0f - e).max(0.0f);
    d1 = -dw * e * g * e0 * (1.0f - e).sign().max(0.0f);
    d2 = d1 * g * e0;
    tangent(w, d0, d1, d2, alpha, beta, h);
    h *= (-0.5f * g * e0 * h).exp();
  };
  side(Scalar(ep_.gamma_up), Scalar(ep_.A_up), s.dw_up.row(r), 1.0f, c.a_up, c.b_up, h_up);
  side(Scalar(ep_.gamma_down), Scalar(ep_.A_down), s.dw_down.row(r), -1.0f, c.a_down, c.b_down,
       h_down);
  c.bounded = true;
  c.v_lo = (w - h_up.min(h_down)).max(s.w_min.row(r));
  c.v_hi = (w + h_up.min(h_down)).min(s.w_max.row(r));
}

double ExpStepDevice::granularity() const {
  // Mean of the nominal up and down steps at w = 0 (z = b).
  const double fu = std::max(1.0 - ep_.A_up * std::exp(ep_.gamma_up * ep_.b), 0.0);
  const double fd = std::max(1.0 - ep_.A_down * std::exp(-ep_.gamma_down * ep_.b), 0.0);
  const double g = 0.5 * p_.dw_min * ((1 + p_.up_down) * fu + (1 - p_.up_down) * fd);
  return g > 0 ? g : p_.dw_min;
}

void register_device_exp_step(DeviceRegistry& r) {
  r.add_model<ExpStepParams, ExpStepDevice>(
      "exp_step", "Δw = ±dw·max(1 − A·e^(±γz), 0), z = 2aw/(b_max − b_min) + b (aihwkit ExpStep)");
}

}  // namespace xb::hw
