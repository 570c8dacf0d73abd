// SPDX-License-Identifier: MIT
// equilibrium_propagation (Scellier & Bengio 2017; the discrete-time "prototypical" form of
// Ernoult et al. 2019 / Laborieux et al. 2021). The layered network is read as an energy-based
// model with primitive Φ = Σ_l s_l^T W_l s_{l-1} + b_l^T s_l (s_0 = x clamped): hidden states
// relax by s_l ← ρ(W_l s_{l-1} + b_l + W_{l+1}^T s_{l+1}) (ρ = the network's activation), the
// linear output by s_L ← W_L s_{L-1} + b_L - β ∂C/∂s_L. The free phase (β = 0, `free_steps`
// iterations from the feed-forward pass) reaches s⁰; the nudged phase (`nudged_steps` from s⁰)
// reaches s^β. Estimate: ĝ_{W_l} = -(1/β) mean_n [s_l^β s_{l-1}^βT - s_l⁰ s_{l-1}⁰T]; with
// `symmetric: true` the phases are +β and -β and the difference is divided by 2β (Laborieux
// et al. 2021, which removes the O(β) bias).
//
// On an analog network every relaxation iteration reads the crossbars: W_l s_{l-1} is a forward
// read of tile l and W_{l+1}^T s_{l+1} a backward (transposed) read of tile l+1, through the
// periphery (DAC/ADC, read noise) and, in timed mode, on the timeline and in the ledger, so the
// settling cost of EqProp (free_steps + nudged_steps iterations) is paid in hardware time.
// The estimate's outer products s_l s_{l-1}^T are formed digitally.
//
// The true gradient reported next to ĝ is the feed-forward network's (what `train` evaluates
// and updates). EqProp's estimate targets the loss at the free fixed point of the energy model,
// which differs from the feed-forward pass through the top-down terms: the measured bias
// therefore contains that model mismatch as well as the finite-β bias.
#pragma once

#include "learning_rules/learning_rule.h"

namespace xb::rules {

struct EquilibriumPropagationParams : InjectionParams {
  double beta = 0.1;
  bool symmetric = false;
  int free_steps = 40;
  int nudged_steps = 20;
  template <class F>
  void bind(F&& f) {
    f("beta", beta, "1", "nudging strength beta");
    f("symmetric", symmetric, "", "nudge with +beta and -beta (2-sided estimate)");
    f("free_steps", free_steps, "", "relaxation iterations of the free phase");
    f("nudged_steps", nudged_steps, "", "relaxation iterations of each nudged phase");
  }
  // The relaxation phases settle to fixed points of the energy; no forward pass takes the
  // injected noise (tests/learning_rules/rule_conformance_test.cpp lists it as known).
  static std::vector<std::pair<std::string, std::string>> not_used() {
    return {{"injection", "equilibrium propagation relaxes to fixed points and injects no noise"},
            {"injection_sigma", "equilibrium propagation injects no noise"}};
  }
  void validate(const Scope& s) const {
    s.require_gt("beta", beta, 0.0);
    s.require_in("free_steps", free_steps, 1, 100000);
    s.require_in("nudged_steps", nudged_steps, 1, 100000);
  }
};

class EquilibriumPropagation : public LearningRule {
 public:
  explicit EquilibriumPropagation(const EquilibriumPropagationParams& p) : p_(p) {}
  // Its energy is defined on a chain of dense layers: conv networks are refused.
  void prepare(Model& m, const Rng&) override { need_perceptron(m); }
  Estimate estimate(Model& m, const Batch& b, const Rng& stream, uint64_t event) override;

 private:
  // Relaxes the states `s` (one per layer) for `steps` iterations at nudging `beta`.
  void relax(const Network& net, const Batch& b, double beta, int steps,
             std::vector<MatrixD>& s) const;
  EquilibriumPropagationParams p_;
};

}  // namespace xb::rules
