// SPDX-License-Identifier: MIT
// mixed_precision: the digital-accumulator scheme of Nandakumar et al. (2020, "Mixed-precision
// deep learning based on computational memory"; aihwkit's MixedPrecisionCompound without its
// input quantisation). The intended ΔW is added to a high-precision digital matrix χ beside the
// array; every device whose |χ_ij| reaches the threshold ε = threshold · dw_min receives
//   p_ij = floor(|χ_ij| / ε) pulses of sign(χ_ij),   and χ_ij −= sign(χ_ij) p_ij ε.
// Nothing below one pulse is lost (unlike pulse_count), so the written change tracks the
// intended one up to |χ| < ε, while the device still adds its own nonlinearity and noise
// (χ is decremented by the nominal step: open loop, as in the paper).
#pragma once

#include "hw_models/update/update_scheme.h"

namespace xb::hw {

struct MixedPrecisionParams {
  double threshold = 1.0;
  int max_pulses = 1000000;
  template <class F>
  void bind(F&& f) {
    f("threshold", threshold, "", "transfer threshold ε in units of the tile's dw_min");
    f("max_pulses", max_pulses, "", "largest pulse count applied to one device per update");
  }
  void validate(const Scope& s) const {
    s.require_in("threshold", threshold, 1e-3, 1e6);
    s.require_in("max_pulses", max_pulses, 1, 1000000);
  }
};

class MixedPrecisionScheme : public ClonableScheme<MixedPrecisionScheme> {
 public:
  explicit MixedPrecisionScheme(const MixedPrecisionParams& p) : p_(p) {}
  void apply(Tile& tile, const UpdateRequest& r, UpdateReport& rep) override;
  void reset() override { chi_.resize(0, 0); }
  void save_state(StateMap& s, const std::string& prefix) const override {
    if (chi_.size()) s.arrays[prefix + "chi"] = chi_.array();
  }
  void load_state(const StateMap& s, const std::string& prefix) override {
    auto it = s.arrays.find(prefix + "chi");  // absent: no update yet
    if (it == s.arrays.end())
      chi_.resize(0, 0);
    else
      chi_ = it->second.matrix();
  }
  // χ, the digital high-precision memory beside the array (empty before the first update).
  const Matrix& accumulator() const { return chi_; }

 private:
  MixedPrecisionParams p_;
  Matrix chi_;
};

}  // namespace xb::hw
