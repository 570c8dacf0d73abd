// SPDX-License-Identifier: MIT
// synthetic: the estimator of [G23] eq. 1 (P1 in docs/theory.md) on any model:
//   Δw = -g + b β + σ sqrt(f(N)) n̂,   i.e. ĝ = g - b β - σ sqrt(f(N)) n̂,
// with the noise laws, β choices and sampling modes of learning_rules/noise.h. Two further
// options, the bias and noise settings of [G23] Figs. 1, 7 and Cor. A.2:
//   b_ratio, sigma_ratio > 0: the bias and noise are given relative to the gradient norm and
//     recomputed every step: ||b β|| = b_ratio ||g||, E||noise||^2 = sigma_ratio^2 ||g||^2;
//   b_steps, sigma_steps: per-step values of b and σ (call k uses entry min(k, size - 1)).
#pragma once

#include <memory>

#include "learning_rules/learning_rule.h"
#include "learning_rules/noise.h"

namespace xb::rules {

struct SyntheticExtraParams : InjectionParams {
  double b_ratio = 0.0;
  double sigma_ratio = 0.0;
  std::vector<double> b_steps;
  std::vector<double> sigma_steps;
  template <class F>
  void bind(F&& f) {
    f("b_ratio", b_ratio, "1", "if > 0: ||b beta|| = b_ratio ||g||, every step (overrides b)");
    f("sigma_ratio", sigma_ratio, "1",
      "if > 0: noise norm sigma sqrt(f(N)) = sigma_ratio ||g||, every step (overrides sigma)");
    f("b_steps", b_steps, "1", "per-step b (last value held); empty: constant b");
    f("sigma_steps", sigma_steps, "1", "per-step sigma (last value held); empty: constant sigma");
  }
  void validate(const Scope& s) const {
    s.require_ge("b_ratio", b_ratio, 0.0);
    s.require_ge("sigma_ratio", sigma_ratio, 0.0);
    for (double v : sigma_steps) s.require(v >= 0, "sigma_steps", v, "entries must be >= 0");
  }
};

class Synthetic : public LearningRule {
 public:
  Synthetic(const EstimatorNoiseParams& noise, const SyntheticExtraParams& extra)
      : np_(noise), xp_(extra) {}
  void prepare(Model& m, const Rng& init) override;
  Estimate estimate(Model& m, const Batch& b, const Rng& stream, uint64_t event) override;
  // b and σ used at the last call (after ratios and schedules).
  double last_b() const { return last_b_; }
  double last_sigma() const { return last_sigma_; }
  const EstimatorNoise* noise() const { return noise_.get(); }
  // The draw counter (n̂ and the b/σ schedules follow calls, not steps).
  void save_state(StateMap& s) const override { s.numbers["rule.draw"] = double(draw_); }
  void load_state(const StateMap& s) override { draw_ = uint64_t(s.number("rule.draw")); }

 private:
  EstimatorNoiseParams np_;
  SyntheticExtraParams xp_;
  std::unique_ptr<EstimatorNoise> noise_;
  uint64_t draw_ = 0;
  double last_b_ = 0, last_sigma_ = 0;
};

}  // namespace xb::rules
