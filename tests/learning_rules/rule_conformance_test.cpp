// SPDX-License-Identifier: MIT
// Properties every registered learning rule must have (the rules' counterpart of
// tests/hw_models/devices/device_conformance_test.cpp). Parameterised over rules::rule_registry().names()
// (each rule with its defaults, so a newly registered rule is covered without editing this file)
// plus a few non-default settings that make otherwise deterministic rules draw, crossed with
//   digital         a 4-5-2 tanh network in double,
//   analog_ideal    its layers on tiles: ideal device, ideal scheme, default (noisy) periphery,
//   analog_pulsed   its layers on tiles: noisy constant_step device, stochastic_pulse scheme,
//   analog_mixed    the same device with mixed_precision (a scheme with state between updates).
// Everything is built from YAML through LearningSetup, exactly as `train` and `estimator_stats`
// build it, and updates are written through the AnalogLayer interface of network.h, so the
// suite does not depend on the Tile C++ API.
//
// Checks (suite.test; EveryRule runs on all four, EveryRuleDigital on digital, EveryRuleOnTiles
// on the three analog settings):
//   EveryRule.EstimateHasTheShapeOfTheParameters  ĝ and g have n_params entries (= sum over
//       layers of fan_out x fan_in + biases, at the layer offsets), are finite, ĝ != 0, g is the
//       exact gradient, and rank-one factors (when given) have the layer shapes and d^T x equals
//       ĝ's weight blocks.
//   EveryRule.EstimateLeavesTheModelUnchanged  after estimate(): parameters and tile weights
//       bit-identical, and the next update realises exactly what it does on a model that never
//       ran estimate() (no hidden hardware state touched, e.g. a scheme's pending updates).
//   EveryRule.SameSeedGivesBitIdenticalRuns  two builds from the same config and seed, 3
//       training steps each: estimates, reported pulses and weights bit-identical.
//   EveryRule.EstimatorSeedMattersIffRuleDraws  with the model fixed, ĝ depends on the
//       estimator seed exactly when it depends on the step (stochastic rules: both;
//       deterministic ones: neither). Stochastic or not is detected, not listed.
//   EveryRule.InjectionMakesEveryRuleDraw  with `injection: additive` every rule's ĝ changes and
//       depends on the estimator seed and step (learning_rule.h), g stays the clean gradient.
//   EveryRuleDigital.EstimateIsAPureFunctionOfSeedAndStep  ĝ(seed, step) does not depend on the
//       calls made before it (learning_rule.h: "a pure function of (seed, step)").
//   EveryRuleOnTiles.ForksLeaveTheOriginalAndReproduce  the estimator_stats path: tiles replaced
//       by forks, one step each; same key => bit-identical step, different keys differ (noisy
//       device); the original tiles keep their weights and then behave exactly as in a build
//       that was never forked.
//   EveryRuleOnTiles.LedgerMatchesReportedPulsesAndReads  2 steps inside the functional
//       instrument: per tile, ledger pulses = pulses the updates reported, one ledger update per
//       step, read passes = the tile's own read counters, and > 0 for every rule that reads
//       (all but synthetic, which is defined on the exact gradient).
//   EveryRuleOnTiles.TrainLedgerMatchesSummary  the `train` experiment inside the instrument:
//       summary total_pulses = ledger total, updates per tile = steps.
//   NoNetworkTask.RefusesOrAccepts  on the quadratic task (no layers) a rule either gives a
//       finite estimate of the right size or throws need_network's ConfigError (exit 2), and the
//       `run` command path (prepare_run + execute_run) agrees.
//   NoNetworkTaskSuggestions.SuggestedRulesAccept  the rules need_network's message recommends
//       for tasks without a network accept one.
//
// Known violations (kKnown below) are checked to still occur and then reported as skipped with
// their reason; once a rule is fixed its test fails until the entry is removed.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <ostream>
#include <string>
#include <tuple>
#include <vector>

#include "hw_models/core/config.h"
#include "hw_models/core/errors.h"
#include "hw_models/crossbar/timing_hook.h"
#include "hw_models/timing/instrument.h"
#include "learning_rules/learning_rule.h"
#include "learning_rules/tile_layer.h"
#include "sim/cli_commands.h"
#include "sim/experiment.h"
#include "sim/learning_setup.h"
#include "sim/tasks/task.h"

namespace xb::sim {
namespace {

namespace fs = std::filesystem;

constexpr uint64_t kSeed = 3;
constexpr double kLr = 0.1;

// ---------------------------------------------------------------------------------------------
// The rules and hardware under test.

struct RuleCase {
  std::string name;  // test-name part
  std::string type;  // rule.type
  std::string yaml;  // the rule section
};

std::vector<RuleCase> rule_cases() {
  std::vector<RuleCase> v;
  for (const std::string& n : rules::rule_registry().names())
    v.push_back({n, n, "{type: " + n + "}"});
  // Settings that draw where the defaults do not (synthetic's defaults b = sigma = 0 are the
  // exact gradient), and other code paths (two-sided EP, sampling with replacement).
  v.push_back({"synthetic_noisy", "synthetic",
               "{type: synthetic, b: 0.05, sigma: 0.3, f_of_n: N}"});
  v.push_back({"equilibrium_propagation_symmetric", "equilibrium_propagation",
               "{type: equilibrium_propagation, symmetric: true}"});
  v.push_back({"minibatch_sgd_replacement", "minibatch_sgd",
               "{type: minibatch_sgd, size: 4, replacement: true}"});
  return v;
}

// Rules whose estimate is defined on the exact (double) gradient of Model::gradient, which by
// contract (network.h) never reads a tile: on analog layers they read nothing.
bool reads_no_tiles(const RuleCase& r) { return r.type == "synthetic"; }

enum class Hw { digital, analog_ideal, analog_pulsed, analog_mixed };

const char* hw_name(Hw h) {
  switch (h) {
    case Hw::digital: return "digital";
    case Hw::analog_ideal: return "analog_ideal";
    case Hw::analog_pulsed: return "analog_pulsed";
    default: return "analog_mixed";
  }
}

// Readable parameter values in gtest's messages.
void PrintTo(const RuleCase& r, std::ostream* os) { *os << r.name; }
void PrintTo(Hw h, std::ostream* os) { *os << hw_name(h); }

std::string config_yaml(const RuleCase& r, Hw hw) {
  std::string y =
      "task: {type: student_teacher, inputs: 4, outputs: 2, teacher_hidden: [4], samples: 8, "
      "test_samples: 4}\n"
      "network: {hidden: [5], activation: tanh, init_gain: 0.5, analog: " +
      std::string(hw == Hw::digital ? "false" : "true") + "}\n" + "rule: " + r.yaml + "\n";
  if (hw == Hw::analog_ideal) y += "device: {type: ideal}\nscheme: {type: ideal}\n";
  if (hw == Hw::analog_pulsed)
    y += "device: {type: constant_step, dw_min: 0.005}\nscheme: {type: stochastic_pulse}\n";
  // A scheme with state between updates (the digital accumulator): threshold 3 dw_min keeps
  // part of every update pending in it.
  if (hw == Hw::analog_mixed)
    y += "device: {type: constant_step, dw_min: 0.005}\n"
         "scheme: {type: mixed_precision, threshold: 3}\n";
  return y;
}

// ---------------------------------------------------------------------------------------------
// Known contract violations: (rule case, check) pairs that are expected to fail.

struct Known {
  const char* rule_case;
  const char* check;
  const char* why;
};

constexpr Known kKnown[] = {
    // EquilibriumPropagation::estimate never applies `injection` (it ignores the estimator
    // stream altogether): `injection: additive` is accepted and silently does nothing, against
    // learning_rule.h ("every rule accepts Gaussian noise injection").
    {"equilibrium_propagation", "injection", "EP ignores rule.injection"},
    {"equilibrium_propagation_symmetric", "injection", "EP ignores rule.injection"},
    // Synthetic positions its noise n̂ by its own call counter (draw_), not by the step, so ĝ
    // depends on how many calls came before and not on `event` (intended for antithetic pairs,
    // synthetic.cpp; contradicts learning_rule.h: "a pure function of (seed, step)").
    {"synthetic_noisy", "seed_iff_step", "synthetic's noise follows its call count, not the step"},
    {"synthetic_noisy", "pure", "synthetic's noise follows its call count, not the step"},
    // On the quadratic task (no network, empty batches) minibatch_sgd throws "rule.size = 1: must
    // be <= the batch size 0", though need_network recommends it for tasks without a network.
    {"minibatch_sgd", "no_network", "minibatch_sgd cannot run on a task without data"},
    {"minibatch_sgd", "suggested_accepts", "minibatch_sgd cannot run on a task without data"},
    // Weight perturbation perturbs analog weights by reprogramming the tiles (Network::set_params
    // -> Tile::set_weights, which resets the scheme): every estimate() wipes mixed_precision's
    // digital accumulator (and these writes appear nowhere in the pulse ledger).
    {"weight_perturbation", "estimate_keeps_hardware_analog_mixed",
     "weight_perturbation's estimate() reprograms the tiles, resetting the scheme's state"},
};

// EXPECT_TRUE(ok), except for a listed known violation: then !ok is expected and the test is
// reported as skipped with the reason (and fails once the violation has gone away).
void conform(const std::string& rule_case, const std::string& check, bool ok,
             const std::string& detail) {
  for (const Known& k : kKnown) {
    if (rule_case != k.rule_case || check != k.check) continue;
    if (ok) {
      ADD_FAILURE() << rule_case << ": known violation '" << check
                    << "' no longer occurs: remove it from kKnown";
    } else {
      GTEST_SKIP() << rule_case << ": known violation '" << check << "': " << k.why << " ("
                   << detail << ")";
    }
    return;
  }
  EXPECT_TRUE(ok) << rule_case << ": " << check << ": " << detail;
}

// ---------------------------------------------------------------------------------------------
// Building and stepping, as train / estimator_stats do.

struct Built {
  Config cfg;
  LearningSetup setup;
  std::unique_ptr<rules::Model> model;
  rules::Network* net = nullptr;
  std::vector<std::shared_ptr<rules::TileLayer>> tiles;
  rules::Batch batch;
};

std::unique_ptr<Built> build(const std::string& yaml,
                             const std::vector<std::string>& overrides = {},
                             uint64_t seed = kSeed) {
  auto b = std::make_unique<Built>();
  b->cfg = Config::from_string(yaml, "conformance.yaml");
  for (const auto& o : overrides) b->cfg.apply_override(o);
  b->setup = LearningSetup::read(b->cfg);
  b->setup.task->load(seed);
  const Rng init(seed, Stream::init);
  b->model = b->setup.task->make_model(b->setup.network, init);
  b->net = b->model->network();
  if (b->net) {
    b->tiles = b->setup.place_on_tiles(*b->net, seed);
    // Inside an instrumented run every tile gets its ledger hook (as train attaches them).
    if (hw::RunInstrument* ins = hw::current_instrument())
      for (std::size_t l = 0; l < b->tiles.size(); ++l)
        b->tiles[l]->tiles().front().set_timing_hook(
            ins->attach(b->tiles[l]->tiles().front(), "layer" + std::to_string(l)));
  }
  b->setup.rule->prepare(*b->model, init);
  b->batch = b->setup.task->train();
  return b;
}

rules::Estimate estimate(Built& b, uint64_t est_seed, uint64_t event) {
  return b.setup.rule->estimate(*b.model, b.batch, Rng(est_seed, Stream::estimator), event);
}

// Writes -lr ĝ as train does: digital parameters exactly; analog weights through their tiles
// (with the rank-one factors when the rule gives them and there is no L2 term); biases stay
// digital. Returns the pulses the updates reported, per layer.
std::vector<double> apply(Built& b, const rules::Estimate& e, double lr = kLr) {
  rules::Network* net = b.net;
  if (!net || b.tiles.empty()) {
    b.model->set_params(b.model->params() - lr * e.estimate);
    return {};
  }
  std::vector<double> pulses(std::size_t(net->layers()), 0.0);
  for (Index l = 0; l < net->layers(); ++l) {
    const Index off = net->offset(l), rows = net->fan_out(l), cols = net->fan_in(l);
    const MatrixD dw = -lr * Eigen::Map<const MatrixD>(e.estimate.data() + off, rows, cols);
    const bool factors = std::size_t(l) < e.d.size() && b.setup.task->l2() == 0.0;
    static const MatrixD none;
    net->tile(l)->update(dw, factors ? e.x[std::size_t(l)] : none,
                         factors ? e.d[std::size_t(l)] : none, lr, pulses[std::size_t(l)]);
    if (net->has_bias())
      net->set_bias(l, net->bias(l) - lr * e.estimate.segment(off + rows * cols, rows));
  }
  net->sync_from_tiles();
  return pulses;
}

bool bit_equal(const VectorD& a, const VectorD& b) {
  return a.size() == b.size() &&
         std::memcmp(a.data(), b.data(), sizeof(double) * std::size_t(a.size())) == 0;
}

std::vector<MatrixD> tile_weights(const Built& b) {
  std::vector<MatrixD> w;
  for (const auto& t : b.tiles) w.push_back(t->weights());
  return w;
}

bool bit_equal(const std::vector<MatrixD>& a, const std::vector<MatrixD>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (a[i].rows() != b[i].rows() || a[i].cols() != b[i].cols() ||
        std::memcmp(a[i].data(), b[i].data(), sizeof(double) * std::size_t(a[i].size())) != 0)
      return false;
  return true;
}

// ---------------------------------------------------------------------------------------------

class EveryRule : public ::testing::TestWithParam<std::tuple<RuleCase, Hw>> {
 protected:
  const RuleCase& rule() const { return std::get<0>(GetParam()); }
  Hw hw() const { return std::get<1>(GetParam()); }
  bool analog() const { return hw() != Hw::digital; }
  // Written by device pulses (not reprogrammed as by the ideal scheme); the device is noisy.
  bool pulsed() const { return hw() == Hw::analog_pulsed || hw() == Hw::analog_mixed; }
  std::string yaml() const { return config_yaml(rule(), hw()); }
};

TEST_P(EveryRule, EstimateHasTheShapeOfTheParameters) {
  auto b = build(yaml());
  ASSERT_NE(b->net, nullptr);
  const rules::Network& net = *b->net;
  ASSERT_EQ(net.layers(), 2);
  EXPECT_EQ(net.fan_in(0), 4);
  EXPECT_EQ(net.fan_out(0), 5);
  EXPECT_EQ(net.fan_in(1), 5);
  EXPECT_EQ(net.fan_out(1), 2);
  EXPECT_EQ(b->tiles.size(), analog() ? 2u : 0u);
  Index n = 0;
  for (Index l = 0; l < net.layers(); ++l) {
    EXPECT_EQ(net.offset(l), n) << "layer " << l;
    n += net.fan_out(l) * net.fan_in(l) + (net.has_bias() ? net.fan_out(l) : 0);
  }
  ASSERT_EQ(b->model->n_params(), n);
  ASSERT_EQ(b->model->params().size(), n);

  const rules::Estimate e = estimate(*b, kSeed, 0);
  ASSERT_EQ(e.estimate.size(), n);
  ASSERT_EQ(e.gradient.size(), n);
  EXPECT_TRUE(e.estimate.allFinite());
  EXPECT_TRUE(e.gradient.allFinite());
  EXPECT_GT(e.estimate.norm(), 0.0) << "an all-zero estimate cannot train";
  // g is the exact gradient at the weights the model holds (read without noise).
  const VectorD g = b->model->gradient(b->batch);
  EXPECT_GT(g.norm(), 0.0);
  EXPECT_LE((e.gradient - g).norm(), 1e-12 * g.norm());
  // Rank-one factors, when given, describe the weight blocks of ĝ: d[l]^T x[l].
  if (!e.x.empty() || !e.d.empty()) {
    ASSERT_EQ(e.x.size(), std::size_t(net.layers()));
    ASSERT_EQ(e.d.size(), std::size_t(net.layers()));
    for (Index l = 0; l < net.layers(); ++l) {
      const MatrixD &x = e.x[std::size_t(l)], &d = e.d[std::size_t(l)];
      ASSERT_EQ(x.cols(), net.fan_in(l)) << "layer " << l;
      ASSERT_EQ(d.cols(), net.fan_out(l)) << "layer " << l;
      ASSERT_EQ(x.rows(), d.rows()) << "layer " << l;
      EXPECT_GE(x.rows(), 1) << "layer " << l;
      const MatrixD block = Eigen::Map<const MatrixD>(e.estimate.data() + net.offset(l),
                                                      net.fan_out(l), net.fan_in(l));
      EXPECT_LE((d.transpose() * x - block).norm(), 1e-12 * (1.0 + block.norm())) << "layer " << l;
    }
  }
}

// estimate() reads the model; it must not change it: neither the parameters and tile weights
// nor hidden hardware state (a scheme's pending updates), which would show in the next update.
TEST_P(EveryRule, EstimateLeavesTheModelUnchanged) {
  auto b = build(yaml()), ref = build(yaml());
  const rules::Estimate e = estimate(*b, kSeed, 0);
  apply(*b, e);
  apply(*ref, e);
  ASSERT_TRUE(bit_equal(b->model->params(), ref->model->params()));
  const VectorD w0 = b->model->params();
  const std::vector<MatrixD> t0 = tile_weights(*b);
  for (uint64_t event : {1, 2}) estimate(*b, kSeed, event);
  EXPECT_TRUE(bit_equal(b->model->params(), w0)) << "estimate() changed the parameters";
  EXPECT_TRUE(bit_equal(tile_weights(*b), t0)) << "estimate() changed the tile weights";
  // The same intended update again, on the model that ran estimate() and on one that did not.
  apply(*b, e);
  apply(*ref, e);
  conform(rule().name, std::string("estimate_keeps_hardware_") + hw_name(hw()),
          bit_equal(b->model->params(), ref->model->params()),
          "after estimate() the same update realises a different change (norm of the difference " +
              std::to_string((b->model->params() - ref->model->params()).norm()) + ")");
}

TEST_P(EveryRule, SameSeedGivesBitIdenticalRuns) {
  struct Run {
    std::vector<VectorD> estimates;
    std::vector<double> pulses;
    VectorD weights;
  };
  auto run = [&] {
    Run r;
    auto b = build(yaml());
    for (uint64_t step = 0; step < 3; ++step) {
      const rules::Estimate e = estimate(*b, kSeed, step);
      r.estimates.push_back(e.estimate);
      for (double p : apply(*b, e)) r.pulses.push_back(p);
    }
    r.weights = b->model->params();
    return r;
  };
  const Run a = run(), c = run();
  ASSERT_EQ(a.estimates.size(), c.estimates.size());
  for (std::size_t k = 0; k < a.estimates.size(); ++k)
    EXPECT_TRUE(bit_equal(a.estimates[k], c.estimates[k])) << "step " << k;
  EXPECT_EQ(a.pulses, c.pulses);
  EXPECT_TRUE(bit_equal(a.weights, c.weights));
  // The steps did something (else the comparison above would be empty).
  const auto b0 = build(yaml());
  EXPECT_FALSE(bit_equal(a.weights, b0->model->params()));
  if (pulsed()) {
    double total = 0;
    for (double p : a.pulses) total += p;
    EXPECT_GT(total, 0.0);
  }
}

// Every estimate from a fresh build (same model, tiles and read noise): only the rule's own
// draws can differ between the calls.
TEST_P(EveryRule, EstimatorSeedMattersIffRuleDraws) {
  auto fresh = [&](uint64_t est_seed, uint64_t event) {
    return estimate(*build(yaml()), est_seed, event).estimate;
  };
  const VectorD e10 = fresh(1, 0), again = fresh(1, 0), e11 = fresh(1, 1), e20 = fresh(2, 0);
  EXPECT_TRUE(bit_equal(e10, again)) << "same seed and step, different estimate";
  const bool by_step = !bit_equal(e10, e11), by_seed = !bit_equal(e10, e20);
  RecordProperty("stochastic", by_seed ? "yes" : "no");
  conform(rule().name, "seed_iff_step", by_step == by_seed,
          std::string("depends on the step: ") + (by_step ? "yes" : "no") +
              ", on the estimator seed: " + (by_seed ? "yes" : "no"));
}

TEST_P(EveryRule, InjectionMakesEveryRuleDraw) {
  const std::vector<std::string> inj = {"rule.injection=additive", "rule.injection_sigma=0.3"};
  auto fresh = [&](const std::vector<std::string>& o, uint64_t est_seed, uint64_t event) {
    return estimate(*build(yaml(), o), est_seed, event);
  };
  const rules::Estimate clean = fresh({}, 1, 0), e10 = fresh(inj, 1, 0), e11 = fresh(inj, 1, 1),
                        e20 = fresh(inj, 2, 0);
  // The true gradient is always the clean one.
  EXPECT_TRUE(bit_equal(e10.gradient, clean.gradient));
  EXPECT_TRUE(e10.estimate.allFinite());
  const bool by_step = !bit_equal(e10.estimate, e11.estimate);
  const bool by_seed = !bit_equal(e10.estimate, e20.estimate);
  const bool changed = !bit_equal(e10.estimate, clean.estimate);
  conform(rule().name, "injection", by_step && by_seed && changed,
          std::string("with injection the estimate ") + (changed ? "changes" : "is unchanged") +
              ", depends on the step: " + (by_step ? "yes" : "no") + ", on the seed: " +
              (by_seed ? "yes" : "no"));
}

// A digital property: on tiles every read draws read noise of its own read event.
class EveryRuleDigital : public EveryRule {};

TEST_P(EveryRuleDigital, EstimateIsAPureFunctionOfSeedAndStep) {
  auto a = build(yaml()), b = build(yaml());
  const VectorD direct = estimate(*a, kSeed, 7).estimate;
  for (uint64_t event : {3, 5, 7}) estimate(*b, kSeed, event);  // other calls first
  const VectorD later = estimate(*b, kSeed, 7).estimate;
  conform(rule().name, "pure", bit_equal(direct, later),
          "estimate(step 7) after other calls differs from a first call by " +
              std::to_string((direct - later).norm()));
}

class EveryRuleOnTiles : public EveryRule {};

// The estimator_stats path: every tile replaced by a fork, one step, read back.
TEST_P(EveryRuleOnTiles, ForksLeaveTheOriginalAndReproduce) {
  auto b = build(yaml());
  rules::Network& net = *b->net;
  std::vector<hw::Tile> saved;
  for (const auto& t : b->tiles) saved.push_back(t->tiles().front());
  std::vector<VectorD> saved_bias;
  for (Index l = 0; l < net.layers(); ++l) saved_bias.push_back(net.bias(l));
  const VectorD w0 = net.params();
  const std::vector<MatrixD> t0 = tile_weights(*b);

  // One step on fork k (rule event `event`), with a freshly prepared rule each time so that a
  // rule's own call history cannot enter (that is EstimateIsAPureFunctionOfSeedAndStep's topic).
  auto step_on_fork = [&](uint32_t k, uint64_t event) {
    for (std::size_t l = 0; l < b->tiles.size(); ++l) b->tiles[l]->tiles().front() = saved[l].fork(k);
    for (Index l = 0; l < net.layers(); ++l) net.set_bias(l, saved_bias[std::size_t(l)]);
    net.sync_from_tiles();
    EXPECT_TRUE(bit_equal(net.params(), w0)) << "a fork does not hold the original weights";
    auto rule = rules::rule_registry().create(Scope(b->cfg, "rule"));
    rule->prepare(*b->model, Rng(kSeed, Stream::init));
    const rules::Estimate e =
        rule->estimate(*b->model, b->batch, Rng(kSeed, Stream::estimator), event);
    apply(*b, e);
    return VectorD(net.params() - w0);
  };
  const VectorD d0 = step_on_fork(0, 0), d0again = step_on_fork(0, 0), d1 = step_on_fork(1, 0);
  EXPECT_TRUE(d0.allFinite());
  EXPECT_GT(d0.norm(), 0.0) << "the step on the fork did nothing";
  EXPECT_TRUE(bit_equal(d0, d0again)) << "forks with the same key differ";
  if (pulsed()) {  // fresh cycle noise (and pulse trains) per fork key
    EXPECT_FALSE(bit_equal(d0, d1)) << "forks with different keys gave the same update";
  }

  // The originals are untouched ...
  std::vector<MatrixD> ts;
  for (const hw::Tile& t : saved) ts.push_back(t.weights().cast<double>());
  EXPECT_TRUE(bit_equal(ts, t0)) << "updating forks changed the original tiles";
  for (std::size_t l = 0; l < b->tiles.size(); ++l) b->tiles[l]->tiles().front() = saved[l];
  for (Index l = 0; l < net.layers(); ++l) net.set_bias(l, saved_bias[std::size_t(l)]);
  net.sync_from_tiles();
  EXPECT_TRUE(bit_equal(net.params(), w0));
  // ... and behave exactly as a build that was never forked (no state shared with the forks).
  auto ref = build(yaml());
  for (uint64_t step = 0; step < 2; ++step) {
    auto rule = rules::rule_registry().create(Scope(b->cfg, "rule"));
    rule->prepare(*b->model, Rng(kSeed, Stream::init));
    apply(*b, rule->estimate(*b->model, b->batch, Rng(kSeed, Stream::estimator), 100 + step));
    auto rref = rules::rule_registry().create(Scope(ref->cfg, "rule"));
    rref->prepare(*ref->model, Rng(kSeed, Stream::init));
    apply(*ref, rref->estimate(*ref->model, ref->batch, Rng(kSeed, Stream::estimator), 100 + step));
  }
  EXPECT_TRUE(bit_equal(b->model->params(), ref->model->params()))
      << "the original tiles behave differently after forks were used";
}

TEST_P(EveryRuleOnTiles, LedgerMatchesReportedPulsesAndReads) {
  Config icfg = Config::from_string(yaml(), "conformance.yaml");
  auto ins = timing::Instrument::create(icfg, "functional", false);
  const int steps = 2;
  std::vector<double> reported;
  std::vector<uint64_t> tile_reads;
  ins->execute(
      [&] {
        auto b = build(yaml());
        reported.assign(b->tiles.size(), 0.0);
        for (int s = 0; s < steps; ++s) {
          const std::vector<double> p = apply(*b, estimate(*b, kSeed, uint64_t(s)));
          for (std::size_t l = 0; l < p.size(); ++l) reported[l] += p[l];
        }
        for (const auto& t : b->tiles) {
          const hw::ReadStats& r = t->tiles().front().read_stats();
          tile_reads.push_back(r.reads + r.bm_rereads);
        }
      },
      ".");
  const auto& tiles = ins->ledger().tiles();
  ASSERT_EQ(tiles.size(), 2u);
  double total_reported = 0;
  uint64_t passes = 0;
  for (std::size_t l = 0; l < tiles.size(); ++l) {
    const timing::TileCounts& c = tiles[l];
    EXPECT_EQ(double(c.pulses_up + c.pulses_down), reported[l]) << c.name;
    EXPECT_EQ(c.updates, uint64_t(steps)) << c.name;
    EXPECT_EQ(c.forward_passes + c.backward_passes, tile_reads[l]) << c.name;
    total_reported += reported[l];
    passes += c.forward_passes + c.backward_passes;
  }
  EXPECT_EQ(double(ins->ledger().total_pulses()), total_reported);
  if (pulsed()) {
    EXPECT_GT(total_reported, 0.0) << "no pulses: nothing compared";
  }
  if (reads_no_tiles(rule())) {
    EXPECT_EQ(passes, 0u) << "a rule on the exact gradient read the tiles";
  } else {
    EXPECT_GT(passes, 0u) << "the rule computed its estimate without reading the tiles";
  }
}

TEST_P(EveryRuleOnTiles, TrainLedgerMatchesSummary) {
  const std::string yaml_train =
      yaml() + "experiment: {type: train, steps: 4, batch: 4, lr: 0.1, eval_every: 4}\n";
  Config cfg = Config::from_string(yaml_train, "conformance.yaml");
  auto exp = experiment_registry().create(Scope(cfg, "experiment"));
  RunOptions opt;
  opt.seed = kSeed;
  opt.quiet = true;
  exp->prepare(cfg, opt);
  auto ins = timing::Instrument::create(cfg, "functional", false);
  const fs::path dir = fs::temp_directory_path() / ("xb_rule_conf_" + std::to_string(::getpid()) +
                                                   "_" + rule().name + "_" + hw_name(hw()));
  RunFolder out(dir.string(), true);
  ins->execute([&] { exp->run(out); }, out.path());
  const double summary_pulses = out.summary()["total_pulses"].get<double>();
  EXPECT_EQ(double(ins->ledger().total_pulses()), summary_pulses);
  if (pulsed()) {
    EXPECT_GT(summary_pulses, 0.0);
  }
  ASSERT_EQ(ins->ledger().tiles().size(), 2u);
  for (const auto& c : ins->ledger().tiles()) EXPECT_EQ(c.updates, 4u) << c.name;
  fs::remove_all(dir);
}

std::vector<std::tuple<RuleCase, Hw>> cases(std::vector<Hw> hws) {
  std::vector<std::tuple<RuleCase, Hw>> v;
  for (const RuleCase& r : rule_cases())
    for (Hw h : hws) v.emplace_back(r, h);
  return v;
}

std::string case_name(const ::testing::TestParamInfo<std::tuple<RuleCase, Hw>>& info) {
  return std::get<0>(info.param).name + "_" + hw_name(std::get<1>(info.param));
}

INSTANTIATE_TEST_SUITE_P(Rules, EveryRule,
                         ::testing::ValuesIn(cases({Hw::digital, Hw::analog_ideal,
                                                    Hw::analog_pulsed, Hw::analog_mixed})),
                         case_name);
INSTANTIATE_TEST_SUITE_P(Rules, EveryRuleDigital, ::testing::ValuesIn(cases({Hw::digital})),
                         case_name);
INSTANTIATE_TEST_SUITE_P(
    Rules, EveryRuleOnTiles,
    ::testing::ValuesIn(cases({Hw::analog_ideal, Hw::analog_pulsed, Hw::analog_mixed})), case_name);

// ---------------------------------------------------------------------------------------------
// A task without layers (quadratic).

const char* kQuadratic = "task: {type: quadratic, hessian_diag: [1.0, 0.5, 0.25]}\n";

// What a rule does with a model that has no network: "ok" (finite estimate of the right size),
// "refused" (the need_network ConfigError naming the rule), or a description of anything else.
std::string on_quadratic(const RuleCase& r, std::string* message = nullptr) {
  try {
    auto b = build(std::string(kQuadratic) + "rule: " + r.yaml + "\n");
    if (b->net) return "the quadratic task has a network";
    for (uint64_t step = 0; step < 2; ++step) {
      const rules::Estimate e = estimate(*b, kSeed, step);
      if (e.estimate.size() != b->model->n_params() || !e.estimate.allFinite())
        return "estimate of size " + std::to_string(e.estimate.size()) + " (or not finite)";
      apply(*b, e);
    }
    return "ok";
  } catch (const ConfigError& e) {
    if (message) *message = e.what();
    const std::string m = e.what();
    if (m.find("rule.type = " + r.type) != std::string::npos &&
        m.find("needs a layered network") != std::string::npos)
      return "refused";
    return std::string("other ConfigError: ") + e.what();
  } catch (const std::exception& e) {
    return std::string("exception (exit 1 class): ") + e.what();
  }
}

class NoNetworkTask : public ::testing::TestWithParam<RuleCase> {};

TEST_P(NoNetworkTask, RefusesOrAccepts) {
  const RuleCase& r = GetParam();
  const std::string outcome = on_quadratic(r);
  // The `run` command path (prepare_run + execute_run, inside the instrument): the same
  // outcome; a ConfigError there is exit 2 (sim/main.cpp).
  const fs::path dir = fs::temp_directory_path() /
                       ("xb_rule_conf_q_" + std::to_string(::getpid()) + "_" + r.name);
  fs::create_directories(dir);
  {
    std::ofstream f(dir / "config.yaml");
    f << kQuadratic << "rule: " << r.yaml << "\n"
      << "experiment: {type: train, steps: 3, lr: 0.1}\n";
  }
  RunArgs args;
  args.config = (dir / "config.yaml").string();
  args.quiet = true;
  std::string cli = "ok";
  try {
    PreparedRun run = prepare_run(args);
    if (execute_run(run, (dir / "run").string(), true) != 0) cli = "nonzero exit";
  } catch (const ConfigError& e) {
    cli = std::string("ConfigError: ") + e.what();
  } catch (const std::exception& e) {
    cli = std::string("exception: ") + e.what();
  }
  fs::remove_all(dir);
  const bool ok = outcome == "ok" ? cli == "ok"
                                  : outcome == "refused" && cli.rfind("ConfigError: ", 0) == 0;
  conform(r.name, "no_network", ok, "direct: " + outcome + "; run command: " + cli);
}

// need_network's message recommends rules for tasks without a network: they must accept one.
TEST(NoNetworkTaskSuggestions, SuggestedRulesAccept) {
  std::string message;
  std::string refusing;
  for (const RuleCase& r : rule_cases())
    if (on_quadratic(r, &message) == "refused") {
      refusing = r.type;
      break;
    }
  ASSERT_FALSE(refusing.empty()) << "no registered rule refuses a task without a network";
  const auto open = message.find("(use "), close = message.find(')', open);
  ASSERT_NE(open, std::string::npos) << message;
  std::string list = message.substr(open + 5, close - open - 5);
  for (const std::string sep : {", ", " or "})
    for (auto p = list.find(sep); p != std::string::npos; p = list.find(sep))
      list.replace(p, sep.size(), ",");
  std::vector<std::string> names;
  for (std::size_t a = 0, b; a <= list.size(); a = b + 1) {
    b = list.find(',', a);
    if (b == std::string::npos) b = list.size();
    names.push_back(list.substr(a, b - a));
  }
  ASSERT_GE(names.size(), 2u) << message;
  const auto registered = rules::rule_registry().names();
  for (const std::string& n : names) {
    const bool known = std::find(registered.begin(), registered.end(), n) != registered.end();
    EXPECT_TRUE(known) << "need_network recommends an unregistered rule '" << n << "'";
    if (!known) continue;
    const RuleCase rc{n, n, "{type: " + n + "}"};
    conform(n, "suggested_accepts", on_quadratic(rc) == "ok",
            "need_network recommends it for tasks without a network, but: " + on_quadratic(rc));
  }
}

// Every rule with its defaults, and synthetic drawing noise. (minibatch_sgd_replacement is left
// out: on a task without data it draws from uniform_int(0, -1), undefined behaviour.)
std::vector<RuleCase> no_network_cases() {
  std::vector<RuleCase> v;
  for (const RuleCase& r : rule_cases())
    if (r.name == r.type || r.name == "synthetic_noisy") v.push_back(r);
  return v;
}

INSTANTIATE_TEST_SUITE_P(Rules, NoNetworkTask, ::testing::ValuesIn(no_network_cases()),
                         [](const auto& info) { return info.param.name; });

}  // namespace
}  // namespace xb::sim
