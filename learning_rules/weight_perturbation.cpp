// SPDX-License-Identifier: MIT
#include "learning_rules/weight_perturbation.h"

namespace xb::rules {

double WeightPerturbation::loss(Model& m, const Batch& b, const Rng& inj) const {
  Network* net = m.network();
  if (!net || !injection.active()) return m.loss(b);
  return net->sample_losses(net->forward(b.x, nullptr, nullptr, &injection, &inj), b).mean() +
         net->l2_term();
}

Estimate WeightPerturbation::estimate(Model& m, const Batch& b, const Rng& stream,
                                     uint64_t event) {
  const Rng inj = sub_stream(stream, event, k_injection);
  const VectorD w0 = m.params();
  const double l0 = loss(m, b, inj);
  VectorD g = VectorD::Zero(w0.size()), xi(w0.size());
  for (int k = 0; k < p_.samples; ++k) {
    Rng r = sub_stream(stream, event, k_perturbation, uint32_t(k));
    r.fill_normal(xi.data(), xi.size());
    xi *= p_.sigma;
    m.set_params(w0 + xi);
    g += (loss(m, b, inj) - l0) / (p_.sigma * p_.sigma * p_.samples) * xi;
  }
  m.set_params(w0);
  Estimate e;
  e.estimate = std::move(g);
  e.gradient = m.gradient(b);
  return e;
}

void register_rule_weight_perturbation(RuleRegistry& r) {
  add_rule<WeightPerturbationParams, WeightPerturbation>(
      r, "weight_perturbation", "loss change under random perturbation of all weights");
}

}  // namespace xb::rules
