// SPDX-License-Identifier: MIT
#include "hw_models/cells/vector.h"

#include <cmath>
#include <numeric>

namespace xb::hw {

void VectorCellParams::validate(const Scope& s) const {
  s.require_in("n_devices", n_devices, 1, kMaxCellDevices);
  s.require(gamma_vec.empty() || int(gamma_vec.size()) == n_devices, "gamma_vec",
            Scope::fmt(double(gamma_vec.size())) + " values",
            "must be empty or have n_devices (" + std::to_string(n_devices) + ") values");
  for (double g : gamma_vec) s.require(std::isfinite(g) && g > 0, "gamma_vec", g, "must be > 0");
  s.require_one_of("update_policy", update_policy,
                   {"all", "single_fixed", "single_sequential", "single_random"});
  s.require_in("first_update_idx", first_update_idx, 0, n_devices - 1);
}

VectorCell::VectorCell(const VectorCellParams& p) : p_(p) {
  gamma_ = p_.gamma_vec.empty() ? std::vector<double>(size_t(p_.n_devices), 1.0 / p_.n_devices)
                                : p_.gamma_vec;
  gamma_sum_ = std::accumulate(gamma_.begin(), gamma_.end(), 0.0);
}

void VectorCell::combine(const std::vector<Array>& g, const DeviceModel&, Array& w) const {
  w = g[0] * Scalar(gamma_[0]);
  for (int k = 1; k < p_.n_devices; ++k) w += g[size_t(k)] * Scalar(gamma_[size_t(k)]);
}

double VectorCell::dw_min(const CellState& s, const DeviceModel& d) const {
  return d.granularity() * (p_.update_policy == "all" ? gamma_sum_ : gamma_[size_t(s.next)]);
}

void VectorCell::program(CellState& s, const Array& w, const DeviceModel&) const {
  const Array each = w * Scalar(1.0 / gamma_sum_);
  for (DeviceState& d : s.dev) d.w = each.max(d.w_min).min(d.w_max);
}

void VectorCell::route(const CellState& s, const PulseArray& n, std::vector<PulseArray>& out) const {
  for (int k = 0; k < p_.n_devices; ++k) {
    if (p_.update_policy == "all" || k == s.next) out[size_t(k)] = n;
    else out[size_t(k)].resize(0, 0);
  }
}

void VectorCell::after_update(CellState& s, uint64_t, Rng& choice) const {
  if (p_.update_policy == "single_sequential") s.next = (s.next + 1) % p_.n_devices;
  else if (p_.update_policy == "single_random") s.next = int(choice() % uint32_t(p_.n_devices));
}

void register_cell_vector(CellRegistry& r) {
  r.add_model<VectorCellParams, VectorCell>(
      "vector", "n devices per cross-point, W = Σ γ_k g_k, update policies (aihwkit "
                "VectorUnitCell)");
}

}  // namespace xb::hw
