// SPDX-License-Identifier: MIT
// ideal (update scheme): W <- W + ΔW exactly, written straight into the device weights without
// pulses or device physics (only the device bounds / mapping range clip). The zero-bias
// reference every other scheme is compared with.
#pragma once

#include "hw_models/update/update_scheme.h"

namespace xb::hw {

struct IdealSchemeParams {
  template <class F>
  void bind(F&&) {}
  void validate(const Scope&) const {}
};

class IdealScheme : public ClonableScheme<IdealScheme> {
 public:
  explicit IdealScheme(const IdealSchemeParams&) {}
  void apply(Tile& tile, const UpdateRequest& r, UpdateReport& rep) override;
};

}  // namespace xb::hw
