// SPDX-License-Identifier: MIT
#include "hw_models/devices/piecewise_step.h"

#include <algorithm>
#include <cmath>

namespace xb::hw {

void PiecewiseStepParams::validate(const Scope& s) const {
  pulsed.validate(s);
  for (const auto* v : {&piecewise_up, &piecewise_down}) {
    const char* key = v == &piecewise_up ? "piecewise_up" : "piecewise_down";
    s.require(!v->empty(), key, "[]", "must list at least one node");
    for (double x : *v)
      s.require(std::isfinite(x) && x >= 0, key, x, "every node must be finite and >= 0");
  }
}

Scalar piecewise_factor(const std::vector<Scalar>& nodes, Scalar w, Scalar lo, Scalar hi) {
  const Index m = Index(nodes.size());
  if (m == 1) return nodes[0];
  const Scalar t = std::clamp((w - lo) / std::max(hi - lo, Scalar(1e-12)), Scalar(0), Scalar(1)) *
                   Scalar(m - 1);
  const Index k = std::min(Index(t), m - 2);  // t >= 0: truncation is floor
  const Scalar v0 = nodes[std::size_t(k)], v1 = nodes[std::size_t(k) + 1];
  return v0 + (t - Scalar(k)) * (v1 - v0);
}

void PiecewiseStepDevice::step(const PulseGroup& g, Index n, RowArray& dw) const {
  // A table lookup per device (a gather): a plain loop, no temporaries.
  const std::vector<Scalar>& nodes = g.up ? up_ : down_;
  const Scalar sign = g.up ? Scalar(1) : Scalar(-1);
  for (Index q = 0; q < n; ++q)
    dw(q) = sign * g.dw(q) * piecewise_factor(nodes, g.w(q), g.lo(q), g.hi(q));
}

void PiecewiseStepDevice::affine_step(const DeviceState& s, Index r, AffineRow& c) const {
  // On piece k of w (t = (w − lo)·sc, sc = (m − 1)/(hi − lo), k = min(⌊t⌋, m − 2)) the factor is
  // f(w) = v_k + (t − k)(v_{k+1} − v_k) = [v_k − (lo·sc + k)·Δv] + (sc·Δv)·w, so
  // Δ_up = dw_up·f_up(w) and Δ_down = −dw_down·f_down(w) are affine there.
  const Index cols = s.cols();
  for (RowArray* a : {&c.a_up, &c.b_up, &c.a_down, &c.b_down, &c.v_lo, &c.v_hi}) a->resize(cols);
  c.bounded = true;
  const Index m = Index(up_.size()), md = Index(down_.size());
  for (Index j = 0; j < cols; ++j) {
    const Scalar lo = s.w_min(r, j), hi = s.w_max(r, j), w = s.w(r, j);
    const auto piece = [&](const std::vector<Scalar>& v, Index nodes, Scalar& a, Scalar& b,
                           Scalar& from, Scalar& to) {
      if (nodes == 1) {  // a constant factor
        a = v[0];
        b = 0;
        from = lo;
        to = hi;
        return;
      }
      const Scalar sc = Scalar(nodes - 1) / std::max(hi - lo, Scalar(1e-12));
      const Scalar t = std::clamp((w - lo) * sc, Scalar(0), Scalar(nodes - 1));
      const Index k = std::min(Index(t), nodes - 2);
      const Scalar dv = v[std::size_t(k) + 1] - v[std::size_t(k)];
      a = v[std::size_t(k)] - (lo * sc + Scalar(k)) * dv;  // f(w) = a + (sc·dv)·w
      b = sc * dv;
      from = lo + Scalar(k) / sc;
      to = lo + Scalar(k + 1) / sc;
    };
    Scalar au, bu, fu, tu, ad, bd, fd, td;
    piece(up_, m, au, bu, fu, tu);
    piece(down_, md, ad, bd, fd, td);
    c.a_up(j) = s.dw_up(r, j) * au;
    c.b_up(j) = -s.dw_up(r, j) * bu;
    c.a_down(j) = -s.dw_down(r, j) * ad;
    c.b_down(j) = s.dw_down(r, j) * bd;
    // Both directions must stay on their own piece (the tables may have different lengths),
    // and inside the bounds.
    c.v_lo(j) = std::max({lo, fu, fd});
    c.v_hi(j) = std::min({hi, tu, td});
  }
}

double PiecewiseStepDevice::granularity() const {
  const Scalar lo = Scalar(p_.w_min), hi = Scalar(p_.w_max);
  const double fu = piecewise_factor(up_, 0.0f, lo, hi);
  const double fd = piecewise_factor(down_, 0.0f, lo, hi);
  const double g = 0.5 * p_.dw_min * ((1 + p_.up_down) * fu + (1 - p_.up_down) * fd);
  return g > 0 ? g : p_.dw_min;
}

void register_device_piecewise_step(DeviceRegistry& r) {
  r.add_model<PiecewiseStepParams, PiecewiseStepDevice>(
      "piecewise_step", "Δw = ±dw·f(w), f interpolated linearly between node lists (aihwkit "
                        "PiecewiseStep)");
}

}  // namespace xb::hw
