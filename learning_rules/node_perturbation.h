// SPDX-License-Identifier: MIT
// node_perturbation (Werfel et al. 2003; Fiete & Seung 2006): Gaussian noise ξ_l ~ N(0, s^2)
// is added to every pre-activation of every layer at once; per sample n the loss change
// ΔL_n = L_n(ξ) - L_n(0) gives δ_l(n) = ΔL_n ξ_l(n) / s^2, an estimate of dL_n/da_l that is
// unbiased up to O(s^2) (third moments of ξ vanish); then ĝ_W = (1/B) Σ_n δ_l(n) h_{l-1}(n)^T.
// `samples` independent perturbations are averaged. Its variance grows with the number of
// perturbed units; the papers give no f(N) for it, so measure it with the harness
// (estimator_stats with `widths`, docs/theory.md).
#pragma once

#include "learning_rules/learning_rule.h"

namespace xb::rules {

struct NodePerturbationParams : InjectionParams {
  double sigma = 1e-3;
  int samples = 1;
  template <class F>
  void bind(F&& f) {
    f("sigma", sigma, "1", "std s of the perturbation of each pre-activation");
    f("samples", samples, "", "independent perturbations averaged per estimate");
  }
  void validate(const Scope& s) const {
    s.require_gt("sigma", sigma, 0.0);
    s.require_in("samples", samples, 1, 1000000);
  }
};

class NodePerturbation : public LearningRule {
 public:
  explicit NodePerturbation(const NodePerturbationParams& p) : p_(p) {}
  Estimate estimate(Model& m, const Batch& b, const Rng& stream, uint64_t event) override;

 private:
  NodePerturbationParams p_;
};

}  // namespace xb::rules
