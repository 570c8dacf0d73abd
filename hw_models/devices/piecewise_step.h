// SPDX-License-Identifier: MIT
// piecewise_step: the step factor is interpolated linearly between m equally spaced nodes
// over the device's range [b_min, b_max] (aihwkit PiecewiseStepDevice; the closest thing to
// a measured look-up table):
//   t = (w − b_min)/(b_max − b_min)·(m − 1),  k = min(⌊t⌋, m − 2),
//   f_d(w) = v_d[k] + (t − k)·(v_d[k+1] − v_d[k])
//   Δ_up = dw_up(i,j)·f_up(w),  Δ_down = −dw_down(i,j)·f_down(w)
// One node means a constant factor.
#pragma once

#include <vector>

#include "hw_models/devices/pulsed_device.h"

namespace xb::hw {

struct PiecewiseStepParams {
  PulsedParams pulsed;
  std::vector<double> piecewise_up = {1.0};
  std::vector<double> piecewise_down = {1.0};
  template <class F>
  void bind(F&& f) {
    pulsed.bind(f);
    f("piecewise_up", piecewise_up, "1",
      "up-step factors at equally spaced weights from w_min to w_max");
    f("piecewise_down", piecewise_down, "1",
      "down-step factors at equally spaced weights from w_min to w_max");
  }
  void validate(const Scope& s) const;
};

class PiecewiseStepDevice : public PulsedDevice {
 public:
  explicit PiecewiseStepDevice(const PiecewiseStepParams& p)
      : PulsedDevice(p.pulsed),
        pp_(p),
        up_(p.piecewise_up.begin(), p.piecewise_up.end()),
        down_(p.piecewise_down.begin(), p.piecewise_down.end()) {}
  double granularity() const override;

 protected:
  void step(const PulseGroup& g, Index n, RowArray& dw) const override;
  // Affine on each piece between two nodes: the summed draw applies within the piece.
  bool affine() const override { return true; }
  void affine_step(const DeviceState& s, Index r, AffineRow& c) const override;

 private:
  PiecewiseStepParams pp_;
  std::vector<Scalar> up_, down_;  // the node lists in the device's precision
};

// f(w) of a node list over [lo, hi]: linear interpolation between equally spaced nodes.
Scalar piecewise_factor(const std::vector<Scalar>& nodes, Scalar w, Scalar lo, Scalar hi);

}  // namespace xb::hw
