// SPDX-License-Identifier: MIT
#include "hw_models/update/mixed_precision.h"

#include "hw_models/crossbar/tile.h"

namespace xb::hw {

void MixedPrecisionScheme::apply(Tile& tile, const UpdateRequest& r,
                                 UpdateReport& rep) {
  if (chi_.rows() != tile.out_size() || chi_.cols() != tile.in_size())
    chi_.setZero(tile.out_size(), tile.in_size());
  Matrix& chi = chi_;
  chi += dense_delta(r);
  const Scalar eps = Scalar(p_.threshold * tile.dw_min());
  const Scalar cap = Scalar(p_.max_pulses);
  tile.apply_pulses(
      [&](PulseArray& n, Index r0, Index r1) {
        auto c = chi.middleRows(r0, r1 - r0).array();
        // Whole pulses toward zero (trunc), at most max_pulses; the rest stays in χ.
        const auto p = (c / eps).abs().floor().min(cap) * c.sign();
        n = p.cast<int32_t>();
        c -= n.cast<Scalar>() * eps;
      },
      rep);
  rep.write_slots = row_serial_slots(rep, tile);
}

void register_scheme_mixed_precision(SchemeRegistry& r) {
  r.add_model<MixedPrecisionParams, MixedPrecisionScheme>(
      "mixed_precision",
      "digital accumulator χ += ΔW; floor(|χ|/ε) pulses when |χ| >= ε = threshold·dw_min, "
      "remainder kept (Nandakumar et al. 2020)");
}

}  // namespace xb::hw
