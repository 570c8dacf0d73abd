// SPDX-License-Identifier: MIT
#include "hw_models/cells/single.h"

namespace xb::hw {

void SingleCell::program(CellState& s, const Array& w, const DeviceModel&) const {
  DeviceState& d = s.dev[0];
  d.w = w.max(d.w_min).min(d.w_max);
}

void SingleCell::route(const CellState&, const PulseArray& n, std::vector<PulseArray>& out) const {
  out[0] = n;
}

void register_cell_single(CellRegistry& r) {
  r.add_model<SingleCellParams, SingleCell>("single",
                                            "one device per cross-point, W = g (the default)");
}

}  // namespace xb::hw
