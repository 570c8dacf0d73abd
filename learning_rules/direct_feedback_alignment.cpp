// SPDX-License-Identifier: MIT
#include "learning_rules/direct_feedback_alignment.h"

#include <cmath>

namespace xb::rules {

void DirectFeedbackAlignment::prepare(Model& m, const Rng& init) {
  Network& net = need_network(m);
  b_.clear();
  const Index out = net.fan_out(net.layers() - 1);
  const Rng r0 = init.unit(102);
  for (Index k = 0; k + 1 < net.layers(); ++k) {
    MatrixD b(out, net.geometry(k).units());  // to every unit of the layer's output tensor
    Rng r = r0.at(uint64_t(k));
    r.fill_normal(b.data(), b.size());
    b_.push_back(b * (p_.feedback_scale / std::sqrt(double(out))));
  }
}

Estimate DirectFeedbackAlignment::estimate(Model& m, const Batch& b, const Rng& stream,
                                           uint64_t event) {
  const Rng rng = sub_stream(stream, event, k_injection);
  Network& net = need_network(m);
  ForwardCache c;
  const MatrixD out = net.forward(b.x, &c, nullptr, &injection, &rng);
  const MatrixD err = net.output_error(out, b);
  std::vector<MatrixD> delta(static_cast<std::size_t>(net.layers()));
  delta.back() = err;
  for (std::size_t k = 0; k + 1 < delta.size(); ++k) {
    // A conv layer's output tensor (sample x position·channel) is its rows (sample·position x
    // channel) reshaped.
    MatrixD g = reshaped(err * b_[k], c.a[k].rows(), c.a[k].cols());
    if (c.mult[k].size()) g = g.cwiseProduct(c.mult[k]);
    delta[k] = g.cwiseProduct(net.activate_derivative(c.a[k]));
  }
  Estimate e;
  e.estimate = net.assemble(c, delta);
  e.x.assign(c.h.begin(), c.h.end() - 1);
  e.d = std::move(delta);
  e.gradient = net.gradient(b);
  return e;
}

void register_rule_direct_feedback_alignment(RuleRegistry& r) {
  add_rule<DirectFeedbackAlignmentParams, DirectFeedbackAlignment>(
      r, "direct_feedback_alignment", "output error sent to each layer by a fixed random matrix (Nøkland 2016)");
}

}  // namespace xb::rules
