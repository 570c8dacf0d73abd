// SPDX-License-Identifier: MIT
// Network: every gradient against central finite differences (double), [G23]'s Xavier
// initialisation (docs/corrections.md C1), and backprop on ideal tiles against the digital network.
#include <gtest/gtest.h>

#include <cmath>
#include <memory>

#include "hw_models/core/config.h"
#include "hw_models/crossbar/tile.h"
#include "hw_models/update/update_scheme.h"
#include "learning_rules/learning_rule.h"
#include "learning_rules/tile_layer.h"
#include "tests/learning_rules/finite_difference.h"

namespace xb::rules {
namespace {

Batch random_batch(Index n, Index in, Index out, bool classes, uint64_t seed) {
  Batch b;
  b.x.resize(n, in);
  Rng r(seed, Stream::data);
  r.fill_normal(b.x.data(), b.x.size());
  if (classes) {
    b.y = MatrixD::Zero(n, out);
    for (Index i = 0; i < n; ++i) {
      b.labels.push_back(int(i % out));
      b.y(i, i % out) = 1.0;
    }
  } else {
    b.y.resize(n, out);
    Rng ry = r.at(1);
    ry.fill_normal(b.y.data(), b.y.size());
  }
  return b;
}

using test::finite_difference;

struct Case {
  const char* activation;
  bool bias;
  LossKind loss;
  double l2;
};

class GradientCheck : public ::testing::TestWithParam<Case> {};

TEST_P(GradientCheck, MatchesFiniteDifferences) {
  const Case c = GetParam();
  NetworkParams p;
  p.hidden = {7, 5};
  p.activation = c.activation;
  p.bias = c.bias;
  Network net(p, 4, 3, c.loss, 0.5, c.l2);
  net.initialise(Rng(3, Stream::init));
  if (c.bias)
    for (Index l = 0; l < net.layers(); ++l) net.set_bias(l, VectorD::Constant(net.fan_out(l), 0.1));
  const Batch b = random_batch(6, 4, 3, c.loss == LossKind::cross_entropy, 9);
  const VectorD g = net.gradient(b);
  const VectorD fd = finite_difference(net, b);
  const double rel = (g - fd).norm() / fd.norm();
  EXPECT_LE(rel, 1e-6) << c.activation;
}

INSTANTIATE_TEST_SUITE_P(
    Activations, GradientCheck,
    ::testing::Values(Case{"linear", true, LossKind::mse, 0.0}, Case{"relu", true, LossKind::mse, 0.0},
                      Case{"tanh", false, LossKind::mse, 0.3},
                      Case{"sigmoid", true, LossKind::cross_entropy, 0.0},
                      Case{"relu", false, LossKind::cross_entropy, -0.05},
                      Case{"tanh", true, LossKind::cross_entropy, 0.0}));

TEST(Network, MultiplicativeInjectionGradientMatchesFiniteDifferences) {
  // With a fixed noise draw the injected network is a deterministic function; its gradient
  // (what backprop with injection returns) must match finite differences of that function.
  NetworkParams p;
  p.hidden = {6};
  p.activation = "tanh";
  Network net(p, 3, 2, LossKind::mse, 0.5, 0.0);
  net.initialise(Rng(4, Stream::init));
  const Batch b = random_batch(5, 3, 2, false, 2);
  const Injection inj{"multiplicative", 0.3};
  const Rng r(5, Stream::estimator);
  ForwardCache c;
  const MatrixD out = net.forward(b.x, &c, nullptr, &inj, &r);
  const VectorD g = net.assemble(c, net.backward(c, net.output_error(out, b)));
  const VectorD p0 = net.params();
  VectorD fd(p0.size());
  for (Index i = 0; i < p0.size(); ++i) {
    VectorD q = p0;
    q(i) += 1e-5;
    net.set_params(q);
    const double up = net.sample_losses(net.forward(b.x, nullptr, nullptr, &inj, &r), b).mean();
    q(i) = p0(i) - 1e-5;
    net.set_params(q);
    const double dn = net.sample_losses(net.forward(b.x, nullptr, nullptr, &inj, &r), b).mean();
    fd(i) = (up - dn) / 2e-5;
  }
  EXPECT_LE((g - fd).norm() / fd.norm(), 1e-6);
}

TEST(Network, XavierIsVarianceOneOverFanInForEveryLayer) {
  NetworkParams p;
  p.hidden = {400};
  Network net(p, 300, 200, LossKind::mse, 0.5, 0.0);
  net.initialise(Rng(1, Stream::init));
  for (Index l = 0; l < 2; ++l) {
    const MatrixD& w = net.weight(l);
    const double n = double(w.size());
    const double var = w.squaredNorm() / n;
    // Sample variance of n Gaussians: relative std sqrt(2/n) (<= 0.5 % here); allow 5 sigma.
    EXPECT_NEAR(var * net.fan_in(l), 1.0, 5 * std::sqrt(2.0 / n)) << "layer " << l;
    EXPECT_NEAR(w.mean(), 0.0, 5 * std::sqrt(var / n));
  }
}

// A 4-6-2 tanh network twice: `analog` on ideal tiles with a perfect periphery, `digital` with
// the float weights those tiles hold. init_gain 0.5 keeps the weights inside the device bounds.
struct IdealTilePair {
  Network digital, analog;
  std::vector<TileLayer*> tiles;
};
IdealTilePair ideal_tile_pair() {
  Config cfg = Config::from_string(
      "device: {type: ideal}\nscheme: {type: ideal}\nperiphery: {is_perfect: true}\n", "test");
  auto dev = std::shared_ptr<const hw::DeviceModel>(hw::device_registry().create(Scope(cfg, "device")));
  const hw::TileParams tp = read_params<hw::TileParams>(Scope(cfg, "tile"));
  const hw::PeripheryParams pp = read_params<hw::PeripheryParams>(Scope(cfg, "periphery"));
  NetworkParams p;
  p.hidden = {6};
  p.activation = "tanh";
  p.init_gain = 0.5;
  IdealTilePair pair{Network(p, 4, 2, LossKind::mse, 0.5, 0.0), Network(p, 4, 2, LossKind::mse, 0.5, 0.0), {}};
  pair.digital.initialise(Rng(2, Stream::init));
  pair.analog.initialise(Rng(2, Stream::init));
  for (Index l = 0; l < pair.analog.layers(); ++l) {
    auto t = std::make_shared<TileLayer>(
        hw::Tile(tp, pp, dev, pair.analog.fan_out(l), pair.analog.fan_in(l), 1, uint32_t(l),
                 hw::scheme_registry().create(Scope(cfg, "scheme"), "ideal")));
    pair.tiles.push_back(t.get());
    pair.analog.set_analog(l, t);
  }
  for (Index l = 0; l < pair.analog.layers(); ++l) pair.digital.set_weight(l, pair.analog.weight(l));
  return pair;
}

// Equilibrium propagation on an analog network relaxes through the crossbars: each iteration
// is a forward read of every tile and a backward read of every tile above the first. On ideal
// tiles with perfect periphery the estimate equals the digital one (float reads), and the read
// counters show the settling cost: B·(1 + free + nudged) forward samples on tile 0 (the 1 is
// the feed-forward start) and B·(free + nudged) backward samples more on tile 1.
TEST(Network, EquilibriumPropagationRelaxesThroughTheTiles) {
  IdealTilePair pair = ideal_tile_pair();
  Network &digital = pair.digital, &analog = pair.analog;
  const auto& tiles = pair.tiles;
  Config cfg = Config::from_string(
      "rule: {type: equilibrium_propagation, beta: 0.05, free_steps: 30, nudged_steps: 10}\n",
      "test");
  const Batch b = random_batch(5, 4, 2, false, 3);
  auto rule = rule_registry().create(Scope(cfg, "rule"));
  const uint64_t r0 = tiles[0]->tiles().front().read_stats().reads, r1 = tiles[1]->tiles().front().read_stats().reads;
  const VectorD ea = rule->estimate(analog, b, Rng(1, Stream::estimator), 0).estimate;
  const uint64_t d0 = tiles[0]->tiles().front().read_stats().reads - r0,
                 d1 = tiles[1]->tiles().front().read_stats().reads - r1;
  const VectorD ed = rule->estimate(digital, b, Rng(1, Stream::estimator), 0).estimate;
  EXPECT_LE((ea - ed).norm(), 1e-4 * ed.norm());
  EXPECT_EQ(d0, 5u * (1 + 30 + 10));
  EXPECT_EQ(d1, 5u * (1 + 30 + 10) + 5u * (30 + 10));
  // The reference gradient (e.gradient) is exact and reads no tile.
  EXPECT_LE((analog.gradient(b) - digital.gradient(b)).norm(), 1e-12 * digital.gradient(b).norm());
  EXPECT_EQ(tiles[0]->tiles().front().read_stats().reads - r0, d0);
}

TEST(Network, BackpropOnIdealTilesEqualsDigital) {
  IdealTilePair pair = ideal_tile_pair();
  Network &digital = pair.digital, &analog = pair.analog;
  const Batch b = random_batch(4, 4, 2, false, 3);
  const double lr = 0.05;
  const double l0 = digital.loss(b);
  for (int step = 0; step < 20; ++step) {
    const VectorD gd = digital.gradient(b), ga = analog.gradient(b);
    // Float reads: relative error of a float GEMV is ~1e-7 x sqrt(fan_in); 1e-5 leaves margin.
    EXPECT_LE((gd - ga).norm(), 1e-5 * gd.norm()) << "step " << step;
    digital.set_params(digital.params() - lr * gd);
    double pulses = 0;
    for (Index l = 0; l < analog.layers(); ++l) {
      const MatrixD dw = -lr * Eigen::Map<const MatrixD>(ga.data() + analog.offset(l),
                                                         analog.fan_out(l), analog.fan_in(l));
      analog.tile(l)->update(dw, MatrixD(), MatrixD(), lr, pulses);
      analog.set_bias(l, analog.bias(l) - lr * ga.segment(analog.offset(l) + dw.size(), dw.rows()));
    }
    analog.sync_from_tiles();
  }
  const VectorD pd = digital.params(), pa = analog.params();
  EXPECT_LE((pd - pa).cwiseAbs().maxCoeff(), 1e-5);
  EXPECT_LT(analog.loss(b), 0.8 * l0);  // and both trained
}

}  // namespace
}  // namespace xb::rules
