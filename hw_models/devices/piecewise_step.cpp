// SPDX-License-Identifier: MIT
#include "hw_models/devices/piecewise_step.h"

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

RowArray piecewise_factor(const std::vector<double>& nodes, const RowArray& w, const RowArray& lo,
                          const RowArray& hi) {
  const Index m = Index(nodes.size());
  if (m == 1) return RowArray::Constant(w.size(), Scalar(nodes[0]));
  const RowArray t =
      ((w - lo) / (hi - lo).max(1e-12f)).max(0.0f).min(1.0f) * Scalar(m - 1);
  const RowArray k = t.floor().min(Scalar(m - 2));
  // Gathers of the node values at k and k + 1 (plain indexing; the law stays array code).
  const RowArray v0 = k.unaryExpr([&](Scalar kk) { return Scalar(nodes[std::size_t(kk)]); });
  const RowArray v1 = k.unaryExpr([&](Scalar kk) { return Scalar(nodes[std::size_t(kk) + 1]); });
  return v0 + (t - k) * (v1 - v0);
}

void PiecewiseStepDevice::step(const DeviceState& s, Index r, const RowArray& w,
                               const RowArray& sgn, RowArray& dw) const {
  const RowArray lo = s.w_min.row(r), hi = s.w_max.row(r);
  const RowArray up = s.dw_up.row(r) * piecewise_factor(pp_.piecewise_up, w, lo, hi);
  const RowArray down = -s.dw_down.row(r) * piecewise_factor(pp_.piecewise_down, w, lo, hi);
  dw = (sgn > 0).select(up, down);
}

double PiecewiseStepDevice::granularity() const {
  const RowArray zero = RowArray::Zero(1), lo = RowArray::Constant(1, Scalar(p_.w_min)),
                 hi = RowArray::Constant(1, Scalar(p_.w_max));
  const double fu = piecewise_factor(pp_.piecewise_up, zero, lo, hi)(0);
  const double fd = piecewise_factor(pp_.piecewise_down, zero, lo, hi)(0);
  const double g = 0.5 * p_.dw_min * ((1 + p_.up_down) * fu + (1 - p_.up_down) * fd);
  return g > 0 ? g : p_.dw_min;
}

void register_device_piecewise_step(DeviceRegistry& r) {
  r.add_model<PiecewiseStepParams, PiecewiseStepDevice>(
      "piecewise_step", "Δw = ±dw·f(w), f interpolated linearly between node lists (aihwkit "
                        "PiecewiseStep)");
}

}  // namespace xb::hw
