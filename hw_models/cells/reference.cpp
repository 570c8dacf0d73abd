// SPDX-License-Identifier: MIT
#include "hw_models/cells/reference.h"

#include <cmath>

namespace xb::hw {

void ReferenceCellParams::validate(const Scope& s) const {
  s.require_one_of("reference", reference, {"symmetry_point", "value"});
  s.require(std::isfinite(reference_value), "reference_value", reference_value, "must be finite");
  s.require_in("n_estimation_steps", n_estimation_steps, 1, 100000);
}

void ReferenceCell::prepare(CellState& s, const DeviceModel& d, Rng& fab) const {
  if (p_.reference == "value") {
    s.reference = Array::Constant(s.dev[0].rows(), s.dev[0].cols(), Scalar(p_.reference_value));
    return;
  }
  // Alternating single up and down pulses walk each device to where the two cancel.
  DeviceState probe = s.dev[0];
  const Index rows = probe.rows(), cols = probe.cols();
  const PulseArray up = PulseArray::Ones(rows, cols), down = -up;
  const Rng cycle = fab.at(1, 0);
  for (int k = 0; k < p_.n_estimation_steps; ++k) {
    d.apply_pulses(probe, up, cycle, 2 * uint64_t(k), 0);
    d.apply_pulses(probe, down, cycle, 2 * uint64_t(k) + 1, 0);
  }
  s.reference = probe.w;
}

void ReferenceCell::program(CellState& s, const Array& w, const DeviceModel&) const {
  DeviceState &g0 = s.dev[0], &g1 = s.dev[1];
  g1.w = s.reference.max(g1.w_min).min(g1.w_max);
  g0.w = (g1.w + w).max(g0.w_min).min(g0.w_max);
}

void ReferenceCell::route(const CellState&, const PulseArray& n, std::vector<PulseArray>& out) const {
  out[0] = n;
  out[1].resize(0, 0);
}

void register_cell_reference(CellRegistry& r) {
  r.add_model<ReferenceCellParams, ReferenceCell>(
      "reference", "updated device minus a fixed reference device (symmetry point or a value); "
                   "aihwkit ReferenceUnitCell");
}

}  // namespace xb::hw
