// SPDX-License-Identifier: MIT
// Update schemes: how an intended ΔW becomes device pulses on a tile (architecture.md §6,
// "learning rules vs update schemes"). The types are in hw_models/crossbar/update_scheme.h;
// the schemes are registered by name in SCHEMES.def:
//   ideal             writes ΔW exactly into the weights, bypassing device physics (reference)
//   pulse_count       n = round(ΔW / dw_min) signed pulses per device, through the device
//   stochastic_pulse  Gokmen & Vlasov (2016) rank-1 coincidence of stochastic pulse trains
//   mixed_precision   digital accumulator, whole pulses transferred (Nandakumar et al. 2020)
// Built from the `scheme:` section: scheme_registry().create(Scope(cfg, "scheme"), "ideal").
#pragma once

#include "hw_models/core/registry.h"
#include "hw_models/crossbar/update_scheme.h"

namespace xb::rules {

using UpdateScheme = hw::UpdateScheme;
using SchemeRegistry = Registry<hw::UpdateScheme>;

const SchemeRegistry& scheme_registry();

// The dense intended ΔW of a request: *dw, or −lr·D·Xᵀ from the factors.
inline Matrix dense_delta(const hw::UpdateRequest& r) {
  if (r.dw) return *r.dw;
  Matrix dw;
  dw.noalias() = Scalar(-r.lr) * (*r.d) * r.x->transpose();
  return dw;
}

}  // namespace xb::rules
