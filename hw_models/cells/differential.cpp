// SPDX-License-Identifier: MIT
#include "hw_models/cells/differential.h"

namespace xb::hw {

void DifferentialCell::route(const CellState&, const PulseArray& n,
                             std::vector<PulseArray>& out) const {
  out[0] = n;
  out[1] = -n;
}

void register_cell_differential(CellRegistry& r) {
  r.add_model<PairCellParams, DifferentialCell>(
      "differential", "pair written push-pull (G+ up, G− down), W ∝ G+ − G−, with refresh");
}

}  // namespace xb::hw
