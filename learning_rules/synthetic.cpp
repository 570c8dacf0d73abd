// SPDX-License-Identifier: MIT
#include "learning_rules/synthetic.h"

#include <algorithm>
#include <cmath>

namespace xb::rules {

void Synthetic::prepare(Model& m, const Rng& init) {
  noise_ = std::make_unique<EstimatorNoise>(np_, m.n_params(), init.unit(103));
  draw_ = 0;
}

Estimate Synthetic::estimate(Model& m, const Batch& b, const Rng& stream, uint64_t event) {
  if (!noise_ || noise_->size() != m.n_params()) prepare(m, Rng(stream.seed(), Stream::init));
  Estimate e;
  Network* net = m.network();
  e.gradient = m.gradient(b);
  const VectorD g = (net && injection.active()) ? network_gradient(*net, b, sub_stream(stream, event, k_injection), nullptr, e)
                                                : e.gradient;
  const uint64_t k = draw_++;
  auto at = [k](const std::vector<double>& v, double dflt) {
    return v.empty() ? dflt : v[std::min<std::size_t>(std::size_t(k), v.size() - 1)];
  };
  const double n = double(m.n_params());
  double bb = at(xp_.b_steps, np_.b), sig = at(xp_.sigma_steps, np_.sigma);
  if (xp_.b_ratio > 0) bb = xp_.b_ratio * e.gradient.norm() / std::sqrt(n);  // ||β|| = sqrt(N)
  if (xp_.sigma_ratio > 0) sig = xp_.sigma_ratio * e.gradient.norm() / std::sqrt(noise_->f());
  last_b_ = bb;
  last_sigma_ = sig;
  // n̂ is positioned by the rule's own draw counter (lane 0, apart from the sub_stream lanes),
  // so antithetic pairs are consecutive calls.
  VectorD nh;
  noise_->sample(stream, k, nh);
  e.estimate = g - bb * noise_->beta() - (sig * std::sqrt(noise_->f())) * nh;
  e.x.clear();
  e.d.clear();
  return e;
}

void register_rule_synthetic(RuleRegistry& r) {
  r.add({"synthetic", "true gradient + b beta + sigma sqrt(f(N)) n_hat ([G23] eq. 1)",
         [](const Scope& s) -> std::unique_ptr<LearningRule> {
           const EstimatorNoiseParams np = EstimatorNoiseParams::read(s);
           const SyntheticExtraParams xp = read_params<SyntheticExtraParams>(s);
           InjectionParams ip;
           ip.bind_injection(ParamReader(s));
           ip.validate_injection(s);
           auto rule = std::make_unique<Synthetic>(np, xp);
           rule->injection = ip.get();
           rule->name = "synthetic";
           return rule;
         },
         [] {
           std::vector<ParamRow> rows = EstimatorNoiseParams::describe_rows();
           SyntheticExtraParams xp;
           ParamDescriber d;
           xp.bind(d);
           xp.bind_injection(d);
           rows.insert(rows.end(), d.rows.begin(), d.rows.end());
           return rows;
         }});
}

}  // namespace xb::rules
