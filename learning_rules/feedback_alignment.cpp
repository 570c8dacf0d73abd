// SPDX-License-Identifier: MIT
#include "learning_rules/feedback_alignment.h"

#include <cmath>

namespace xb::rules {

void FeedbackAlignment::prepare(Model& m, const Rng& init) {
  Network& net = need_network(m);
  b_.clear();
  // Unit 101: a stream of the init kind apart from the forward weights' own.
  const Rng r0 = init.unit(101);
  for (Index l = 0; l < net.layers(); ++l) {
    MatrixD b(net.fan_out(l), net.fan_in(l));
    Rng r = r0.at(uint64_t(l));
    r.fill_normal(b.data(), b.size());
    b_.push_back(b * (p_.feedback_scale / std::sqrt(double(net.fan_in(l)))));
  }
}

Estimate FeedbackAlignment::estimate(Model& m, const Batch& b, const Rng& stream,
                                     uint64_t event) {
  Network& net = need_network(m);
  Estimate e;
  e.estimate = network_gradient(net, b, sub_stream(stream, event, k_injection), &b_, e);
  e.gradient = net.gradient(b);
  return e;
}

void register_rule_feedback_alignment(RuleRegistry& r) {
  add_rule<FeedbackAlignmentParams, FeedbackAlignment>(
      r, "feedback_alignment", "errors sent back through fixed random matrices (Lillicrap 2016)");
}

}  // namespace xb::rules
