// SPDX-License-Identifier: MIT
// ideal: the zero-bias reference device. Every pulse moves the weight by exactly ±dw_min,
// clipped to the fixed bounds [w_min, w_max]; no device-to-device or cycle-to-cycle noise
// (aihwkit's IdealDevice used through pulses).
#pragma once

#include "hw_models/devices/device_model.h"

namespace xb::hw {

struct IdealParams {
  double dw_min = 0.001;
  double w_min = -1.0;
  double w_max = 1.0;
  template <class F>
  void bind(F&& f) {
    f("dw_min", dw_min, "1", "weight change of one pulse");
    f("w_min", w_min, "1", "lower weight bound");
    f("w_max", w_max, "1", "upper weight bound");
  }
  void validate(const Scope& s) const;
};

class IdealDevice : public DeviceModel {
 public:
  explicit IdealDevice(const IdealParams& p) : p_(p) {}
  DeviceState fabricate(Index rows, Index cols, double w0, Rng& fab) const override;
  void apply_pulses(DeviceState& s, const Eigen::Ref<const PulseArray>& n, const Rng& cycle,
                    uint64_t event, Index row0) const override;
  double granularity() const override { return p_.dw_min; }
  double nominal_w_min() const override { return p_.w_min; }
  double nominal_w_max() const override { return p_.w_max; }

 private:
  IdealParams p_;
};

}  // namespace xb::hw
