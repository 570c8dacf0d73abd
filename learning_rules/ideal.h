// SPDX-License-Identifier: MIT
// ideal (update scheme): W <- W + ΔW exactly, written straight into the device weights without
// pulses or device physics (only the device bounds / mapping range clip). The zero-bias
// reference every other scheme is compared with.
#pragma once

#include "learning_rules/update_scheme.h"

namespace xb::rules {

struct IdealSchemeParams {
  template <class F>
  void bind(F&&) {}
  void validate(const Scope&) const {}
};

class IdealScheme : public UpdateScheme {
 public:
  explicit IdealScheme(const IdealSchemeParams&) {}
  void apply(hw::Tile& tile, const hw::UpdateRequest& r, hw::UpdateReport& rep) const override;
};

}  // namespace xb::rules
