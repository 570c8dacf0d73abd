// SPDX-License-Identifier: MIT
// weight_perturbation (Jabri & Flower 1992; Werfel et al. 2003): every parameter is perturbed
// at once by ξ ~ N(0, s^2 I); ĝ = (L(w + ξ) - L(w)) ξ / s^2, averaged over `samples` draws.
// Unbiased up to O(s^2); its variance grows with the number of parameters N (about
// (N + 1) ||g||^2 / samples for small s). Works on any model (also the quadratic task). On
// analog layers the perturbed weights are programmed into the tile and restored exactly.
#pragma once

#include "learning_rules/learning_rule.h"

namespace xb::rules {

struct WeightPerturbationParams : InjectionParams {
  double sigma = 1e-3;
  int samples = 1;
  template <class F>
  void bind(F&& f) {
    f("sigma", sigma, "1", "std s of the perturbation of each parameter");
    f("samples", samples, "", "independent perturbations averaged per estimate");
  }
  void validate(const Scope& s) const {
    s.require_gt("sigma", sigma, 0.0);
    s.require_in("samples", samples, 1, 1000000);
  }
};

class WeightPerturbation : public LearningRule {
 public:
  explicit WeightPerturbation(const WeightPerturbationParams& p) : p_(p) {}
  Estimate estimate(Model& m, const Batch& b, const Rng& stream, uint64_t event) override;

 private:
  double loss(Model& m, const Batch& b, const Rng& inj) const;
  WeightPerturbationParams p_;
};

}  // namespace xb::rules
