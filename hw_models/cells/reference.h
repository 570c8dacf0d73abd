// SPDX-License-Identifier: MIT
// reference: an updated device minus a reference device that is programmed once and never
// pulsed, W = g₀ − g₁ (aihwkit ReferenceUnitCell). With `reference: symmetry_point` each
// reference device holds the symmetry point of its partner, the weight at which an up and a
// down pulse cancel, so W = 0 sits where the asymmetric device drifts under noise-like
// updates (symmetry-point subtraction, Gokmen & Haensch 2020; Kim et al. 2019). The symmetry
// point is found the way a chip would: n_estimation_steps up/down pulse pairs on a copy of the
// fabricated device, from its fabrication weight.
#pragma once

#include "hw_models/cells/unit_cell.h"

namespace xb::hw {

struct ReferenceCellParams {
  std::string reference = "symmetry_point";
  double reference_value = 0.0;
  int n_estimation_steps = 1000;

  template <class F>
  void bind(F&& f) {
    f("reference", reference, "",
      "what the reference device holds: symmetry_point (of its partner) | value");
    f("reference_value", reference_value, "1", "reference: value: the reference weight");
    f("n_estimation_steps", n_estimation_steps, "",
      "up/down pulse pairs that find a device's symmetry point");
  }
  void validate(const Scope& s) const;
};

class ReferenceCell : public UnitCell {
 public:
  explicit ReferenceCell(const ReferenceCellParams& p) : p_(p) {}
  int devices() const override { return 2; }
  double fabricated_weight(int, const DeviceModel&, double w_init) const override {
    return w_init;
  }
  void prepare(CellState& s, const DeviceModel& d, Rng& fab) const override;
  void combine(const std::vector<Array>& g, const DeviceModel&, Array& w) const override {
    w = g[0] - g[1];
  }
  double dw_min(const CellState&, const DeviceModel& d) const override { return d.granularity(); }
  bool resets_on_program() const override { return false; }
  void program(CellState& s, const Array& w, const DeviceModel& d) const override;
  void route(const CellState& s, const PulseArray& n, std::vector<PulseArray>& out) const override;

 private:
  ReferenceCellParams p_;
};

}  // namespace xb::hw
