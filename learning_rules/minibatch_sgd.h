// SPDX-License-Identifier: MIT
// minibatch_sgd: the exact minibatch noise of [Z22] Prop. 1/8 (P19 in docs/theory.md). The
// batch handed to the rule is the whole data set D; the true gradient is the gradient on D and
// the estimate the gradient on `size` rows drawn from it, with or without replacement.
#pragma once

#include "learning_rules/learning_rule.h"

namespace xb::rules {

struct MinibatchSgdParams : InjectionParams {
  int size = 1;
  bool replacement = false;
  template <class F>
  void bind(F&& f) {
    f("size", size, "", "minibatch size S drawn from the batch handed to the rule");
    f("replacement", replacement, "", "draw with replacement (true) or without (false)");
  }
  void validate(const Scope& s) const { s.require_in("size", size, 1, 1 << 24); }
};

class MinibatchSgd : public LearningRule {
 public:
  explicit MinibatchSgd(const MinibatchSgdParams& p) : p_(p) {}
  Estimate estimate(Model& m, const Batch& b, const Rng& stream, uint64_t event) override;

 private:
  MinibatchSgdParams p_;
};

}  // namespace xb::rules
