// SPDX-License-Identifier: MIT
#include "hw_models/devices/ideal.h"

namespace xb::hw {

void IdealParams::validate(const Scope& s) const {
  validate_weight_range(s, w_min, w_max, dw_min);
}

DeviceState IdealDevice::fabricate(Index rows, Index cols, double w0, Rng&) const {
  DeviceState s;
  s.w_min = Array::Constant(rows, cols, Scalar(p_.w_min));
  s.w_max = Array::Constant(rows, cols, Scalar(p_.w_max));
  s.dw_up = Array::Constant(rows, cols, Scalar(p_.dw_min));
  s.dw_down = s.dw_up;
  s.w = Array::Constant(rows, cols, Scalar(w0)).max(s.w_min).min(s.w_max);
  return s;
}

void IdealDevice::apply_pulses(DeviceState& s, const Eigen::Ref<const PulseArray>& n, const Rng&,
                               uint64_t, Index row0) const {
  // With a constant step and hard bounds, n same-direction pulses clip once at the end. The
  // bounds are the same for every device (fabricate), so they are read as two numbers, not
  // as two more arrays streamed through memory.
  auto w = s.w.middleRows(row0, n.rows());
  w = (w + n.cast<Scalar>() * Scalar(p_.dw_min))
          .max(Scalar(p_.w_min))
          .min(Scalar(p_.w_max));
}

void register_device_ideal(DeviceRegistry& r) {
  r.add_model<IdealParams, IdealDevice>("ideal",
                                        "exact ±dw_min steps, hard bounds, no noise (reference)");
}

}  // namespace xb::hw
