// SPDX-License-Identifier: MIT
// backprop: the exact gradient (the zero-bias, zero-variance reference of every comparison).
// With noise injection the estimate is the gradient of the noise-injected network.
#pragma once

#include "learning_rules/learning_rule.h"

namespace xb::rules {

struct BackpropParams : InjectionParams {
  template <class F>
  void bind(F&&) {}
  void validate(const Scope&) const {}
};

class Backprop : public LearningRule {
 public:
  explicit Backprop(const BackpropParams&) {}
  Estimate estimate(Model& m, const Batch& b, const Rng& stream, uint64_t event) override;
};

}  // namespace xb::rules
