// SPDX-License-Identifier: MIT
// pulse_count: deterministic rounding of the intended ΔW to signed pulse counts,
//   n_ij = round(ΔW_ij / dw_min)   (half away from zero; dw_min = the tile's step per pulse),
// capped at ±max_pulses and applied through the device (so device nonlinearity, noise and
// bounds act on every pulse). Biased by construction: |ΔW| < dw_min/2 is lost entirely, and
// in general the realised mean is dw_min·round(ΔW/dw_min) (for a noise-free constant step).
#pragma once

#include "hw_models/update/update_scheme.h"

namespace xb::hw {

struct PulseCountParams {
  int max_pulses = 1000000;
  template <class F>
  void bind(F&& f) {
    f("max_pulses", max_pulses, "", "largest pulse count applied to one device per update");
  }
  void validate(const Scope& s) const { s.require_in("max_pulses", max_pulses, 1, 1000000); }
};

class PulseCountScheme : public ClonableScheme<PulseCountScheme> {
 public:
  explicit PulseCountScheme(const PulseCountParams& p) : p_(p) {}
  void apply(Tile& tile, const UpdateRequest& r, UpdateReport& rep) override;

 private:
  PulseCountParams p_;
};

}  // namespace xb::hw
