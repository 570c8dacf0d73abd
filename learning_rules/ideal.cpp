// SPDX-License-Identifier: MIT
#include "learning_rules/ideal.h"

#include "hw_models/crossbar/tile.h"

namespace xb::rules {

void IdealScheme::apply(hw::Tile& tile, const hw::UpdateRequest& r, hw::UpdateReport& rep) const {
  tile.write_delta(dense_delta(r));
  rep.programmed = true;
}

void register_ideal(SchemeRegistry& r) {
  r.add_model<IdealSchemeParams, IdealScheme>(
      "ideal", "writes the intended ΔW exactly, bypassing device physics (reference)");
}

}  // namespace xb::rules
