// SPDX-License-Identifier: MIT
#include "learning_rules/node_perturbation.h"

#include "hw_models/crossbar/timing_hook.h"

namespace xb::rules {

Estimate NodePerturbation::estimate(Model& m, const Batch& b, const Rng& stream,
                                   uint64_t event) {
  Network& net = need_network(m);
  // The injection noise (if any) is the same in the clean and perturbed passes.
  const Rng inj = sub_stream(stream, event, k_injection);
  ForwardCache c;
  const MatrixD out = net.forward(b.x, &c, nullptr, &injection, &inj);
  const VectorD l0 = net.sample_losses(out, b);
  const double inv_b = 1.0 / double(b.size());
  std::vector<MatrixD> delta(static_cast<std::size_t>(net.layers()));
  // One row per sample, or per sample and position in a conv layer (rows b·P + p).
  for (Index l = 0; l < net.layers(); ++l)
    delta[std::size_t(l)] = MatrixD::Zero(c.a[std::size_t(l)].rows(), net.fan_out(l));
  std::vector<MatrixD> xi(delta.size());
  hw::publish_rule_phase("perturb");
  for (int k = 0; k < p_.samples; ++k) {
    Rng r = sub_stream(stream, event, k_perturbation, uint32_t(k));
    for (std::size_t l = 0; l < xi.size(); ++l) {
      xi[l].resize(delta[l].rows(), delta[l].cols());
      r.fill_normal(xi[l].data(), xi[l].size());
      xi[l] *= p_.sigma;
    }
    const VectorD dl = net.sample_losses(net.forward(b.x, nullptr, &xi, &injection, &inj), b) - l0;
    const VectorD w = dl * (inv_b / (p_.sigma * p_.sigma * p_.samples));
    for (std::size_t l = 0; l < xi.size(); ++l) {
      const Index P = net.geometry(Index(l)).positions();
      const VectorD wr = P == 1 ? w : VectorD(w.transpose().replicate(P, 1).reshaped());
      delta[l] += (xi[l].array().colwise() * wr.array()).matrix();
    }
  }
  Estimate e;
  e.estimate = net.assemble(c, delta);
  e.x.assign(c.h.begin(), c.h.end() - 1);
  e.d = std::move(delta);
  e.gradient = net.gradient(b);
  return e;
}

void register_rule_node_perturbation(RuleRegistry& r) {
  add_rule<NodePerturbationParams, NodePerturbation>(
      r, "node_perturbation", "loss change under random pre-activation noise (Werfel 2003)");
}

}  // namespace xb::rules
