// SPDX-License-Identifier: MIT
#include "hw_models/update/pulse_count.h"

#include "hw_models/crossbar/tile.h"

namespace xb::hw {

void PulseCountScheme::apply(Tile& tile, const UpdateRequest& r,
                             UpdateReport& rep) {
  const Matrix dw = dense_delta(r);
  const Scalar inv = Scalar(1.0 / tile.dw_min());
  const Scalar cap = Scalar(p_.max_pulses);
  tile.apply_pulses(
      [&](PulseArray& n, Index r0, Index r1) {
        // std::round rounds half away from zero, as documented.
        n = (dw.middleRows(r0, r1 - r0).array() * inv).round().max(-cap).min(cap).cast<int32_t>();
      },
      rep);
  rep.write_slots = row_serial_slots(rep, tile);
}

void register_scheme_pulse_count(SchemeRegistry& r) {
  r.add_model<PulseCountParams, PulseCountScheme>(
      "pulse_count", "n = round(ΔW / dw_min) signed pulses per device, through the device");
}

}  // namespace xb::hw
