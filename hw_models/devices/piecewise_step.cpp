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
  return nodes[std::size_t(k)] + (t - Scalar(k)) * (nodes[std::size_t(k) + 1] - nodes[std::size_t(k)]);
}

void PiecewiseStepDevice::step(const PulseGroup& g, Index n, RowArray& dw) const {
  // A table lookup per device (a gather): a plain loop, no temporaries.
  const std::vector<Scalar>& nodes = g.up ? up_ : down_;
  const Scalar sign = g.up ? Scalar(1) : Scalar(-1);
  for (Index q = 0; q < n; ++q)
    dw(q) = sign * g.dw(q) * piecewise_factor(nodes, g.w(q), g.lo(q), g.hi(q));
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
