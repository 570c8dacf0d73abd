// SPDX-License-Identifier: MIT
#include "learning_rules/equilibrium_propagation.h"

#include "hw_models/crossbar/timing_hook.h"

namespace xb::rules {

void EquilibriumPropagation::relax(const Network& net, const Batch& b, double beta, int steps,
                                   std::vector<MatrixD>& s) const {
  const Index top = net.layers() - 1;
  for (int it = 0; it < steps; ++it) {
    // Synchronous update from the previous iterate (all layers at once).
    std::vector<MatrixD> next(s.size());
    for (Index l = 0; l <= top; ++l) {
      const MatrixD& below = l == 0 ? b.x : s[std::size_t(l - 1)];
      MatrixD a = net.read_forward(l, below);
      if (net.has_bias()) a.rowwise() += net.bias(l).transpose();
      if (l < top) {
        a += net.read_backward(l + 1, s[std::size_t(l + 1)]);
        next[std::size_t(l)] = net.activate(a);
      } else if (beta == 0.0) {
        next[std::size_t(l)] = a;
      } else {
        // Nudged linear output: s = a - beta dC/ds at the previous iterate (its error term is
        // output_error times the batch size, i.e. the per-sample dC_n/ds).
        const MatrixD e = net.output_error(s[std::size_t(l)], b) * double(b.size());
        next[std::size_t(l)] = a - beta * e;
      }
    }
    s.swap(next);
  }
}

Estimate EquilibriumPropagation::estimate(Model& m, const Batch& b, const Rng& stream,
                                          uint64_t event) {
  Network& net = need_network(m);
  (void)stream, (void)event;
  // Free phase from the feed-forward pass.
  ForwardCache c;
  net.forward(b.x, &c);
  std::vector<MatrixD> s0(c.h.begin() + 1, c.h.end());
  hw::publish_rule_phase("free");
  relax(net, b, 0.0, p_.free_steps, s0);
  std::vector<MatrixD> sp = s0, sm = s0;
  hw::publish_rule_phase("nudged");
  relax(net, b, p_.beta, p_.nudged_steps, sp);
  if (p_.symmetric) {
    hw::publish_rule_phase("nudged_negative");
    relax(net, b, -p_.beta, p_.nudged_steps, sm);
  }
  const double scale = -1.0 / ((p_.symmetric ? 2.0 : 1.0) * p_.beta * double(b.size()));
  Estimate e;
  e.estimate.resize(net.n_params());
  for (Index l = 0; l < net.layers(); ++l) {
    const std::size_t k = std::size_t(l);
    const MatrixD& xp = l == 0 ? b.x : sp[k - 1];
    const MatrixD& xm = l == 0 ? b.x : sm[k - 1];
    const MatrixD gw = scale * (sp[k].transpose() * xp - sm[k].transpose() * xm);
    Eigen::Map<MatrixD>(e.estimate.data() + net.offset(l), gw.rows(), gw.cols()) = gw;
    if (net.has_bias())
      e.estimate.segment(net.offset(l) + gw.size(), gw.rows()) =
          scale * (sp[k] - sm[k]).colwise().sum().transpose();
  }
  if (net.l2_term() != 0.0) e.estimate += net.l2_gradient();
  e.gradient = net.gradient(b);
  return e;
}

void register_rule_equilibrium_propagation(RuleRegistry& r) {
  add_rule<EquilibriumPropagationParams, EquilibriumPropagation>(
      r, "equilibrium_propagation",
      "free and nudged relaxation of an energy-based network (Scellier & Bengio 2017)");
}

}  // namespace xb::rules
