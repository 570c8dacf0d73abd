// SPDX-License-Identifier: MIT
#include "hw_models/cells/one_sided.h"

namespace xb::hw {

void OneSidedCell::route(const CellState&, const PulseArray& n, std::vector<PulseArray>& out) const {
  out[0] = n.max(0);
  out[1] = (-n).max(0);
}

void register_cell_one_sided(CellRegistry& r) {
  r.add_model<PairCellParams, OneSidedCell>(
      "one_sided", "pair potentiated one way each, W ∝ G+ − G−, with refresh (Nandakumar et "
                   "al. 2020; aihwkit OneSidedUnitCell)");
}

}  // namespace xb::hw
