// SPDX-License-Identifier: MIT
#include "hw_models/devices/soft_bounds_pmax.h"

#include <cmath>

namespace xb::hw {

PulsedParams SoftBoundsPmaxParams::converted() const {
  PulsedParams p = pulsed;
  const double b = (range_max - range_min) / (1.0 - std::exp(-double(p_max) * alpha));
  p.w_min = range_min;
  p.w_max = range_min + b;
  p.dw_min = b * alpha;
  p.up_down = 1.0 + 2.0 * range_min / b;
  return p;
}

void SoftBoundsPmaxParams::validate(const Scope& s) const {
  s.require_in("p_max", p_max, 1, 100000000);
  s.require_gt("alpha", alpha, 0.0);
  s.require(range_max > range_min, "range_max", range_max,
            "must be > range_min (" + Scope::fmt(range_min) + ")");
  s.require(range_min < 0, "range_min", range_min,
            "must be < 0 (the converted up_down = 1 + 2·range_min/B must be < 1)");
  const PulsedParams p = converted();
  s.require(p.up_down > -1.0, "range_min", range_min,
            "must be > −B = " + Scope::fmt(range_min - p.w_max) +
                " (the converted up_down = 1 + 2·range_min/B must be > −1)");
  p.validate(s);
}

void register_device_soft_bounds_pmax(DeviceRegistry& r) {
  r.add_model<SoftBoundsPmaxParams, SoftBoundsPmaxDevice>(
      "soft_bounds_pmax",
      "soft bounds fitted as w(p) = B(1 − e^(−αp)) + range_min (aihwkit SoftBoundsPmax)");
}

}  // namespace xb::hw
