// SPDX-License-Identifier: MIT
// direct_feedback_alignment (Nøkland 2016): every hidden layer k receives the output error e
// directly through a fixed random matrix B_k (outputs x width_k): δ_k = (e B_k) ⊙ f'(a_k).
// B_k is drawn once from the init stream with variance feedback_scale^2 / outputs.
#pragma once

#include "learning_rules/learning_rule.h"

namespace xb::rules {

struct DirectFeedbackAlignmentParams : InjectionParams {
  double feedback_scale = 1.0;
  template <class F>
  void bind(F&& f) {
    f("feedback_scale", feedback_scale, "1", "std of the feedback weights times sqrt(outputs)");
  }
  void validate(const Scope& s) const { s.require_gt("feedback_scale", feedback_scale, 0.0); }
};

class DirectFeedbackAlignment : public LearningRule {
 public:
  explicit DirectFeedbackAlignment(const DirectFeedbackAlignmentParams& p) : p_(p) {}
  void prepare(Model& m, const Rng& init) override;
  Estimate estimate(Model& m, const Batch& b, const Rng& stream, uint64_t event) override;

 private:
  DirectFeedbackAlignmentParams p_;
  std::vector<MatrixD> b_;
};

}  // namespace xb::rules
