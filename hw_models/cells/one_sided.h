// SPDX-License-Identifier: MIT
// one_sided: a pair of devices written in one direction only (aihwkit OneSidedUnitCell, the PCM
// unit cell of Nandakumar et al. 2020): a positive pulse potentiates G+, a negative pulse
// potentiates G−; neither device is ever depressed by an update, so without refresh both
// drift up to saturation. W, programming and refresh: pair_cell.h.
#pragma once

#include "hw_models/cells/pair_cell.h"

namespace xb::hw {

class OneSidedCell : public PairCell {
 public:
  using PairCell::PairCell;
  double dw_min(const CellState&, const DeviceModel& d) const override {
    return d.granularity() * scale(d);
  }
  void route(const CellState& s, const PulseArray& n, std::vector<PulseArray>& out) const override;
};

}  // namespace xb::hw
