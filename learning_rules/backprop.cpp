// SPDX-License-Identifier: MIT
#include "learning_rules/backprop.h"

namespace xb::rules {

Estimate Backprop::estimate(Model& m, const Batch& b, const Rng& stream, uint64_t event) {
  Estimate e;
  Network* net = m.network();
  if (!net) {
    e.gradient = m.gradient(b);
    e.estimate = e.gradient;
    return e;
  }
  e.estimate = network_gradient(*net, b, sub_stream(stream, event, k_injection), nullptr, e);
  // The reference g is exact; on an all-digital network without injection it equals the
  // estimate, which saves the second pass.
  bool analog = false;
  for (Index l = 0; l < net->layers(); ++l) analog = analog || net->is_analog(l);
  e.gradient = injection.active() || analog ? net->gradient(b) : e.estimate;
  return e;
}

void register_rule_backprop(RuleRegistry& r) {
  add_rule<BackpropParams, Backprop>(r, "backprop", "exact gradient by backpropagation");
}

}  // namespace xb::rules
