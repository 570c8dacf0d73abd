// SPDX-License-Identifier: MIT
#include "hw_models/core/errors.h"
#include "learning_rules/learning_rule.h"

namespace xb::rules {

// rule_registry(), from RULES.def (hw_models/core/registry_list.h).
#define XB_REGISTRY_KIND rule
#define XB_REGISTRY_TYPE RuleRegistry
#define XB_REGISTRY_LABEL "learning rule"
#define XB_REGISTRY_LIST "learning_rules/RULES.def"
#define XB_RULE XB_REGISTRY_ENTRY
#include "hw_models/core/registry_list.h"
#undef XB_RULE

void InjectionParams::validate_injection(const Scope& s) const {
  s.require_one_of("injection", injection, {"none", "additive", "multiplicative"});
  s.require_ge("injection_sigma", injection_sigma, 0.0);
}

Network& LearningRule::need_network(Model& m) const {
  Network* net = m.network();
  if (!net)
    throw ConfigError("rule.type = " + name +
                      ": needs a layered network; this task has no network (use backprop, "
                      "synthetic, weight_perturbation or minibatch_sgd)");
  return *net;
}

Network& LearningRule::need_perceptron(Model& m) const {
  Network& net = need_network(m);
  if (net.convolutional())
    throw ConfigError("rule.type = " + name +
                      ": is defined for networks of linear layers only, and network.layers has "
                      "conv2d layers (on conv networks use backprop, synthetic, minibatch_sgd, "
                      "feedback_alignment, direct_feedback_alignment, node_perturbation or "
                      "weight_perturbation)");
  return net;
}

VectorD LearningRule::network_gradient(Network& net, const Batch& b, const Rng& inj,
                                       const std::vector<MatrixD>* feedback, Estimate& e) const {
  ForwardCache c;
  const MatrixD out = net.forward(b.x, &c, nullptr, &injection, &inj);
  std::vector<MatrixD> delta = net.backward(c, net.output_error(out, b), feedback);
  VectorD g = net.assemble(c, delta);
  e.x.assign(c.h.begin(), c.h.end() - 1);
  e.d = std::move(delta);
  return g;
}

}  // namespace xb::rules
