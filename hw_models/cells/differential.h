// SPDX-License-Identifier: MIT
// differential: a pair of bidirectional devices written push-pull: a pulse that raises W
// potentiates G+ and depresses G−, one that lowers W does the opposite. One pulse moves W by
// scale·(dw_up⁺ + dw_down⁻), so a device's up/down asymmetry enters both directions alike and
// the pair's step is symmetric on average (the complementary write of differential ReRAM
// pairs). W, programming and refresh: pair_cell.h.
#pragma once

#include "hw_models/cells/pair_cell.h"

namespace xb::hw {

class DifferentialCell : public PairCell {
 public:
  using PairCell::PairCell;
  double dw_min(const CellState&, const DeviceModel& d) const override {
    return 2.0 * d.granularity() * scale(d);
  }
  void route(const CellState& s, const PulseArray& n, std::vector<PulseArray>& out) const override;
};

}  // namespace xb::hw
