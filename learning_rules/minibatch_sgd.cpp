// SPDX-License-Identifier: MIT
#include "learning_rules/minibatch_sgd.h"

#include <boost/random/uniform_int_distribution.hpp>
#include <numeric>

#include "hw_models/core/errors.h"

namespace xb::rules {

Estimate MinibatchSgd::estimate(Model& m, const Batch& b, const Rng& stream, uint64_t event) {
  const Index n = b.size();
  if (!p_.replacement && p_.size > n)
    throw ConfigError("rule.size = " + std::to_string(p_.size) +
                      ": must be <= the batch size " + std::to_string(n) +
                      " when drawing without replacement");
  Rng r = sub_stream(stream, event, k_sample);
  std::vector<Index> idx;
  if (p_.replacement) {
    boost::random::uniform_int_distribution<Index> u(0, n - 1);
    for (int k = 0; k < p_.size; ++k) idx.push_back(u(r));
  } else {
    // Partial Fisher–Yates: the first `size` entries are a uniform sample without replacement.
    std::vector<Index> all(static_cast<std::size_t>(n));
    std::iota(all.begin(), all.end(), Index(0));
    for (int k = 0; k < p_.size; ++k) {
      boost::random::uniform_int_distribution<Index> u(k, n - 1);
      std::swap(all[std::size_t(k)], all[std::size_t(u(r))]);
    }
    idx.assign(all.begin(), all.begin() + p_.size);
  }
  const Batch sub = b.rows(idx);
  Estimate e;
  Network* net = m.network();
  e.estimate = net ? network_gradient(*net, sub, sub_stream(stream, event, k_injection), nullptr, e) : m.gradient(sub);
  e.gradient = m.gradient(b);
  return e;
}

void register_rule_minibatch_sgd(RuleRegistry& r) {
  add_rule<MinibatchSgdParams, MinibatchSgd>(
      r, "minibatch_sgd", "gradient on a random minibatch of the batch (exact minibatch noise, [Z22])");
}

}  // namespace xb::rules
