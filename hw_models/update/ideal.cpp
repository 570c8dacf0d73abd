// SPDX-License-Identifier: MIT
#include "hw_models/update/ideal.h"

#include "hw_models/crossbar/tile.h"

namespace xb::hw {

void IdealScheme::apply(Tile& tile, const UpdateRequest& r, UpdateReport& rep) {
  tile.write_delta(dense_delta(r));
  rep.write_slots = uint64_t(tile.out_size());  // reprogrammed row by row, one slot each
}

void register_scheme_ideal(SchemeRegistry& r) {
  r.add_model<IdealSchemeParams, IdealScheme>(
      "ideal", "writes the intended ΔW exactly, bypassing device physics (reference)");
}

}  // namespace xb::hw
