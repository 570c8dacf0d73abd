// SPDX-License-Identifier: MIT
// The two-device cells: W = w_max · (g⁺ − g⁻) / (g_max − g_min), g_min and g_max the device's
// nominal bounds (so w_max is the weight of a fully potentiated g⁺ with g⁻ at g_min).
// Programming resets both devices (the device's `reset`, `reset_dtod`, `reset_std`) and then
// writes |W| onto one of them above the other's reset conductance.
//
// Refresh (aihwkit OneSidedUnitCell, after Nandakumar et al. 2020): every `refresh_every`
// updates (mini-batches, or samples with units_in_mbatch: false) the tile reads both device
// arrays through its periphery (one pass per column and device, one-hot inputs), and every
// cross-point whose devices have both drifted the same way, one beyond refresh_upper_thres and
// the other beyond refresh_lower_thres of the range above the reset conductance
// (u = (g − reset)/(g_max − reset); both above, or both below −thres), is reset and
// rewritten: round(|W_read| / (scale·dw_min)) potentiation pulses on the device of W's sign,
// through the device law (so nonlinearity and cycle noise act on the rewrite as on any write).
// The reads and pulses are a `refresh` operation of the tile (ledger and trace phase 4).
#pragma once

#include "hw_models/cells/unit_cell.h"

namespace xb::hw {

struct PairCellParams {
  double w_max = 1.0;
  int refresh_every = 0;
  double refresh_upper_thres = 0.75;
  double refresh_lower_thres = 0.25;
  bool units_in_mbatch = true;

  template <class F>
  void bind(F&& f) {
    f("w_max", w_max, "1", "weight of a fully potentiated G+ with G− at g_min");
    f("refresh_every", refresh_every, "",
      "refresh check every this many updates (see units_in_mbatch); 0 = never");
    f("refresh_upper_thres", refresh_upper_thres, "1",
      "refresh a cross-point when one device is above this fraction of its range ...");
    f("refresh_lower_thres", refresh_lower_thres, "1", "... and the other above this one");
    f("units_in_mbatch", units_in_mbatch, "",
      "count refresh_every in mini-batches (true) or in samples (false)");
  }
  void validate(const Scope& s) const;
};

class PairCell : public UnitCell {
 public:
  explicit PairCell(const PairCellParams& p) : p_(p) {}
  int devices() const override { return 2; }
  double fabricated_weight(int, const DeviceModel& d, double) const override {
    return d.nominal_w_min();
  }
  void combine(const std::vector<Array>& g, const DeviceModel& d, Array& w) const override;
  void program(CellState& s, const Array& w, const DeviceModel& d) const override;
  void after_update(CellState& s, uint64_t samples, Rng& choice) const override;
  bool refresh_due(const CellState& s) const override;
  void refresh_plan(const std::vector<Array>& g, const DeviceModel& d,
                    RefreshPlan& plan) const override;

 protected:
  // W per unit of g⁺ − g⁻.
  double scale(const DeviceModel& d) const {
    return p_.w_max / (d.nominal_w_max() - d.nominal_w_min());
  }
  PairCellParams p_;
};

}  // namespace xb::hw
