// SPDX-License-Identifier: MIT
// single: one device per cross-point, W = g (device weight units); every pulse goes to it.
#pragma once

#include "hw_models/cells/unit_cell.h"

namespace xb::hw {

struct SingleCellParams {
  template <class F>
  void bind(F&&) {}
  void validate(const Scope&) const {}
};

class SingleCell : public UnitCell {
 public:
  explicit SingleCell(const SingleCellParams&) {}
  int devices() const override { return 1; }
  double fabricated_weight(int, const DeviceModel&, double w_init) const override {
    return w_init;
  }
  void combine(const std::vector<Array>& g, const DeviceModel&, Array& w) const override {
    w = g[0];
  }
  double dw_min(const CellState&, const DeviceModel& d) const override { return d.granularity(); }
  void program(CellState& s, const Array& w, const DeviceModel& d) const override;
  void route(const CellState& s, const PulseArray& n, std::vector<PulseArray>& out) const override;
  bool routes_unchanged() const override { return true; }
};

}  // namespace xb::hw
