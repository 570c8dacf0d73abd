// SPDX-License-Identifier: MIT
// A learning rule (`rule.type`) is a gradient estimator (docs/learning-rules.md): from a model's
// state and a batch it returns, side by side, the true gradient g and its own estimate ĝ; the
// intended update is Δw = -lr ĝ. Returning both for the same state and batch is what lets a
// harness measure the rule's bias E[ĝ] - g and covariance (P1 in docs/theory.md). An update
// scheme then turns the intended update into pulses.
//
// Every rule accepts Gaussian noise injection on hidden activations ([C21] Sec. 2):
// `injection: none | additive | multiplicative` and `injection_sigma`. The injected noise enters
// the rule's own forward (and so backward) passes; the true gradient is always the clean one.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "hw_models/core/registry.h"
#include "hw_models/core/rng.h"
#include "hw_models/core/state_map.h"
#include "learning_rules/network.h"

namespace xb::rules {

struct Estimate {
  VectorD gradient;  // true gradient of the model's loss on the batch (double, exact)
  VectorD estimate;  // the rule's estimate ĝ; intended update Δw = -lr ĝ
  // Rank-one factors per layer when the estimate of layer l is d[l]^T x[l] (batch-summed outer
  // products: backprop, FA, DFA); empty otherwise. Pulse schemes use them for coincidences.
  std::vector<MatrixD> x, d;
};

struct InjectionParams {
  std::string injection = "none";
  double injection_sigma = 0.0;
  template <class F>
  void bind_injection(F&& f) {
    f("injection", injection, "", "noise injection on hidden activations: none | additive | "
                                  "multiplicative (h + s xi or h (1 + s xi), [C21])");
    f("injection_sigma", injection_sigma, "1", "std s of the injected noise");
  }
  void validate_injection(const Scope& s) const;
  Injection get() const { return {injection, injection_sigma}; }
};

class LearningRule {
 public:
  virtual ~LearningRule() = default;
  // Called once before training with the model and the init stream (fixed random feedback
  // weights are drawn here). Throws ConfigError when the rule cannot act on this model.
  virtual void prepare(Model& m, const Rng& init) { (void)m, (void)init; }
  // `stream` is the estimator stream (unpositioned) and `event` the step: every draw of this
  // call comes from stream.at(event, lane) with the lanes of sub_stream(), so the result is a
  // pure function of (seed, step) whatever else happens.
  virtual Estimate estimate(Model& m, const Batch& b, const Rng& stream, uint64_t event) = 0;
  // State a checkpoint keeps beyond what prepare() rebuilds from the seed. Default: none.
  virtual void save_state(StateMap&) const {}
  virtual void load_state(const StateMap&) {}

  // Lanes of one step's draws: kind in the high byte, an index below it.
  enum Kind : uint32_t { k_injection = 1, k_perturbation = 2, k_sample = 3 };
  static Rng sub_stream(const Rng& s, uint64_t event, Kind kind, uint32_t index = 0) {
    return s.at(event, uint32_t(kind) << 24 | (index & 0xffffffu));
  }

  Injection injection;
  std::string name;

 protected:
  // The network of `m`, or ConfigError naming this rule when the model has no layers.
  Network& need_network(Model& m) const;
  // The same, refusing networks with conv2d layers (for rules defined on perceptrons only).
  Network& need_perceptron(Model& m) const;
  // Gradient of the network through its (possibly noise-injected) forward pass, keeping the
  // rank-one factors in `e`. `inj` is the injection stream of this step.
  VectorD network_gradient(Network& net, const Batch& b, const Rng& inj,
                           const std::vector<MatrixD>* feedback, Estimate& e) const;
};

using RuleRegistry = Registry<LearningRule>;
const RuleRegistry& rule_registry();

// Helper for registration: a Params struct with bind/validate (and bind_injection) and a rule
// constructed from it.
template <class Params, class Rule>
void add_rule(RuleRegistry& r, const std::string& name, const std::string& summary) {
  r.add({name, summary,
         [name](const Scope& s) -> std::unique_ptr<LearningRule> {
           Params p;
           ParamReader reader(s);
           p.bind(reader);
           p.bind_injection(reader);
           p.validate(s);
           p.validate_injection(s);
           auto rule = std::make_unique<Rule>(p);
           rule->injection = p.get();
           rule->name = name;
           return rule;
         },
         [] {
           Params p;
           ParamDescriber d;
           p.bind(d);
           p.bind_injection(d);
           attach_rules(d.rows, [&p](const Scope& s) {
             p.validate(s);
             p.validate_injection(s);
           });
           attach_not_used<Params>(d.rows);
           return d.rows;
         }});
}

}  // namespace xb::rules
