// SPDX-License-Identifier: MIT
// soft_bounds_pmax: soft bounds parameterised by a measured pulse-response fit
// w(p) = B·(1 − e^(−α·p)) + range_min (aihwkit SoftBoundsPmaxDevice). The fit is converted
// (as aihwkit converts it) to soft_bounds parameters:
//   B = (range_max − range_min)/(1 − e^(−p_max·α)),  w_min = range_min,  w_max = range_min + B,
//   dw_min = B·α,  up_down = 1 + 2·range_min/B
// so dw_min, up_down, w_min and w_max are not keys of this model.
#pragma once

#include "hw_models/devices/soft_bounds.h"

namespace xb::hw {

struct SoftBoundsPmaxParams {
  PulsedParams pulsed;
  int p_max = 1000;
  double alpha = 0.0005;
  double range_min = -1.0;
  double range_max = 1.0;
  SoftBoundsPmaxParams() { pulsed.bind_range = false; }
  template <class F>
  void bind(F&& f) {
    f("p_max", p_max, "", "pulses to go from range_min to range_max");
    f("alpha", alpha, "1", "exponential rate α of the fitted pulse response, per pulse");
    f("range_min", range_min, "1", "weight at pulse 0 of the fit (< 0)");
    f("range_max", range_max, "1", "weight after p_max pulses of the fit");
    pulsed.bind(f);
  }
  // The soft_bounds parameters the fit converts to.
  PulsedParams converted() const;
  void validate(const Scope& s) const;
};

class SoftBoundsPmaxDevice : public SoftBoundsDevice {
 public:
  explicit SoftBoundsPmaxDevice(const SoftBoundsPmaxParams& p) : SoftBoundsDevice(p.converted()) {}
};

}  // namespace xb::hw
