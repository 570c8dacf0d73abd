// SPDX-License-Identifier: MIT
#include "hw_models/cells/pair_cell.h"

#include <algorithm>
#include <cmath>

namespace xb::hw {

void PairCellParams::validate(const Scope& s) const {
  s.require_gt("w_max", w_max, 0.0);
  s.require_in("refresh_every", refresh_every, 0, 1 << 30);
  s.require_in("refresh_upper_thres", refresh_upper_thres, 0.0, 1.0);
  s.require_in("refresh_lower_thres", refresh_lower_thres, 0.0, 1.0);
  s.require(refresh_lower_thres <= refresh_upper_thres, "refresh_lower_thres",
            refresh_lower_thres,
            "must be <= refresh_upper_thres (" + Scope::fmt(refresh_upper_thres) + ")");
}

void PairCell::combine(const std::vector<Array>& g, const DeviceModel& d, Array& w) const {
  w = (g[0] - g[1]) * Scalar(scale(d));
}

void PairCell::program(CellState& s, const Array& w, const DeviceModel& d) const {
  // Both devices hold their reset conductance; |W| goes on top of the other device's, on
  // the device of W's sign (the other keeps its reset value, reset noise included).
  DeviceState &p = s.dev[0], &m = s.dev[1];
  const Array g = w * Scalar(1.0 / scale(d));
  const Array plus = (g > 0).select(m.w + g, p.w), minus = (g < 0).select(p.w - g, m.w);
  p.w = plus.max(p.w_min).min(p.w_max);
  m.w = minus.max(m.w_min).min(m.w_max);
}

void PairCell::after_update(CellState& s, uint64_t samples, Rng&) const {
  s.since_refresh += p_.units_in_mbatch ? 1.0 : double(samples);
}

bool PairCell::refresh_due(const CellState& s) const {
  return p_.refresh_every > 0 && s.since_refresh >= double(p_.refresh_every);
}

void PairCell::refresh_plan(const std::vector<Array>& g, const DeviceModel& d,
                            RefreshPlan& plan) const {
  // Fractions of the range above the reset conductance, where a refresh leaves a device.
  const double reset = std::clamp(d.nominal_reset(), d.nominal_w_min(), d.nominal_w_max());
  const Scalar lo = Scalar(reset);
  const Scalar inv_range = Scalar(1.0 / std::max(d.nominal_w_max() - reset, 1e-12));
  const Array up = (g[0] - lo) * inv_range, um = (g[1] - lo) * inv_range;
  const Scalar hi_t = Scalar(p_.refresh_upper_thres), lo_t = Scalar(p_.refresh_lower_thres);
  // Both devices up (a one-sided pair's drift), or both below the reset conductance (a
  // push-pull pair's common mode, mirrored).
  plan.mask = (((up > hi_t) && (um > lo_t)) || ((um > hi_t) && (up > lo_t)) ||
               ((up < -hi_t) && (um < -lo_t)) || ((um < -hi_t) && (up < -lo_t)))
                  .cast<int32_t>();
  // The weight as read, rewritten as potentiation pulses on the device of its sign (after
  // the reset, both devices sit at the reset conductance).
  const Array n = ((g[0] - g[1]) / Scalar(d.granularity())).round().min(1e6f).max(-1e6f);
  plan.pulses.resize(2);
  plan.pulses[0] = (plan.mask != 0).select(n.max(0).cast<int32_t>(), 0);
  plan.pulses[1] = (plan.mask != 0).select((-n).max(0).cast<int32_t>(), 0);
}

}  // namespace xb::hw
