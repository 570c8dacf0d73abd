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
  e.gradient = injection.active() ? net->gradient(b) : e.estimate;
  return e;
}

void register_backprop(RuleRegistry& r) {
  add_rule<BackpropParams, Backprop>(r, "backprop", "exact gradient by backpropagation");
}

}  // namespace xb::rules
