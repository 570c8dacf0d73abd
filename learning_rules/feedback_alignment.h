// SPDX-License-Identifier: MIT
// feedback_alignment (Lillicrap et al. 2016): the backward pass sends the error through fixed
// random matrices B_l (shape of W_l, drawn once from the init stream with variance
// feedback_scale^2 / fan_in) instead of W_l^T. Biased: its estimate aligns with the gradient
// only as the forward weights come to align with B (the alignment angle is reported by `train`).
#pragma once

#include "learning_rules/learning_rule.h"

namespace xb::rules {

struct FeedbackAlignmentParams : InjectionParams {
  double feedback_scale = 1.0;
  template <class F>
  void bind(F&& f) {
    f("feedback_scale", feedback_scale, "1", "std of the feedback weights times sqrt(fan_in)");
  }
  void validate(const Scope& s) const { s.require_gt("feedback_scale", feedback_scale, 0.0); }
};

class FeedbackAlignment : public LearningRule {
 public:
  explicit FeedbackAlignment(const FeedbackAlignmentParams& p) : p_(p) {}
  void prepare(Model& m, const Rng& init) override;
  Estimate estimate(Model& m, const Batch& b, const Rng& stream, uint64_t event) override;
  const std::vector<MatrixD>& feedback() const { return b_; }

 private:
  FeedbackAlignmentParams p_;
  std::vector<MatrixD> b_;
};

}  // namespace xb::rules
