// SPDX-License-Identifier: MIT
// vector: n_devices devices per cross-point, W = Σ_k γ_k g_k (aihwkit VectorUnitCell). gamma_vec
// gives the γ_k (empty: 1/n_devices each, so W is the devices' mean). Updates go to every
// device (update_policy all) or to one: always device first_update_idx (single_fixed), the
// devices in turn, one per update (single_sequential), or one drawn per update
// (single_random). Programming puts W / Σγ on every device.
#pragma once

#include "hw_models/cells/unit_cell.h"

namespace xb::hw {

struct VectorCellParams {
  int n_devices = 2;
  std::vector<double> gamma_vec;
  std::string update_policy = "all";
  int first_update_idx = 0;

  template <class F>
  void bind(F&& f) {
    f("n_devices", n_devices, "", "devices per cross-point");
    f("gamma_vec", gamma_vec, "1", "weight γ_k of each device in W; [] = 1/n_devices each");
    f("update_policy", update_policy, "",
      "all | single_fixed | single_sequential | single_random");
    f("first_update_idx", first_update_idx, "",
      "single_fixed: the device updated; single_sequential: the first");
  }
  void validate(const Scope& s) const;
};

class VectorCell : public UnitCell {
 public:
  explicit VectorCell(const VectorCellParams& p);
  int devices() const override { return p_.n_devices; }
  double fabricated_weight(int, const DeviceModel&, double w_init) const override {
    return w_init;
  }
  void prepare(CellState& s, const DeviceModel&, Rng&) const override {
    s.next = p_.first_update_idx;
  }
  void combine(const std::vector<Array>& g, const DeviceModel&, Array& w) const override;
  double dw_min(const CellState& s, const DeviceModel& d) const override;
  bool resets_on_program() const override { return false; }
  void program(CellState& s, const Array& w, const DeviceModel& d) const override;
  void route(const CellState& s, const PulseArray& n, std::vector<PulseArray>& out) const override;
  bool routes_unchanged() const override { return p_.n_devices == 1; }
  void after_update(CellState& s, uint64_t samples, Rng& choice) const override;

 private:
  VectorCellParams p_;
  std::vector<double> gamma_;  // γ_k, gamma_vec or 1/n
  double gamma_sum_ = 1;
};

}  // namespace xb::hw
