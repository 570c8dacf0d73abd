// SPDX-License-Identifier: MIT
// Convolutional networks: im2col against a direct convolution, every data move against its
// adjoint, gradients against central finite differences (double), conv layers on ideal tiles
// and split over arrays against the digital layer, and the layer list's refusals.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <memory>

#include "hw_models/core/config.h"
#include "hw_models/crossbar/tile.h"
#include "hw_models/update/update_scheme.h"
#include "learning_rules/learning_rule.h"
#include "learning_rules/tile_layer.h"
#include "tests/learning_rules/finite_difference.h"

namespace xb::rules {
namespace {

MatrixD random_matrix(Index r, Index c, uint64_t seed) {
  MatrixD m(r, c);
  Rng(seed, Stream::data).fill_normal(m.data(), m.size());
  return m;
}

Records layers_from(const std::string& yaml) {
  Config cfg = Config::from_string("network: {layers: " + yaml + "}\n", "test");
  return read_params<NetworkParams>(Scope(cfg, "network")).layers;
}

// A conv layer planned on its own: C x H x W input, `out` channels.
LayerGeometry conv_geometry(Shape in, Index out, Index k, Index stride, Index pad) {
  Config none;
  const Records r = layers_from("[{type: conv2d, channels: " + std::to_string(out) +
                                ", kernel: " + std::to_string(k) + ", stride: " +
                                std::to_string(stride) + ", padding: " + std::to_string(pad) +
                                "}, {type: flatten}, {type: linear}]");
  return plan_layers(Scope(none, "network"), r, {}, false, in, 1).front();
}

TEST(ConvOps, Im2colProductIsTheDirectConvolution) {
  const Shape in{3, 7, 6};
  const LayerGeometry g = conv_geometry(in, 4, 3, 2, 1);
  ASSERT_EQ(g.out.h, 4);  // (7 + 2 - 3) / 2 + 1
  ASSERT_EQ(g.out.w, 3);  // (6 + 2 - 3) / 2 + 1
  const MatrixD x = random_matrix(2, in.size(), 1), w = random_matrix(4, g.fan_in(), 2);
  const MatrixD y = im2col(g, x) * w.transpose();  // (2·12) x 4
  for (Index b = 0; b < 2; ++b)
    for (Index oy = 0; oy < g.out.h; ++oy)
      for (Index ox = 0; ox < g.out.w; ++ox)
        for (Index o = 0; o < 4; ++o) {
          double ref = 0;  // sum over c, ky, kx of w[o, c, ky, kx] x[c, iy, ix], zero outside
          for (Index c = 0; c < in.c; ++c)
            for (Index ky = 0; ky < 3; ++ky)
              for (Index kx = 0; kx < 3; ++kx) {
                const Index iy = oy * 2 - 1 + ky, ix = ox * 2 - 1 + kx;
                if (iy < 0 || iy >= in.h || ix < 0 || ix >= in.w) continue;
                ref += w(o, (ky * 3 + kx) * in.c + c) * x(b, (iy * in.w + ix) * in.c + c);
              }
          EXPECT_NEAR(y(b * g.positions() + oy * g.out.w + ox, o), ref, 1e-12);
        }
}

TEST(ConvOps, Col2imAndPoolBackwardAreTheAdjoints) {
  const Shape in{2, 6, 5};
  const LayerGeometry g = conv_geometry(in, 3, 3, 1, 1);
  const MatrixD x = random_matrix(3, in.size(), 3);
  const MatrixD c = random_matrix(3 * g.positions(), g.fan_in(), 4);
  // <im2col(x), c> = <x, col2im(c)>
  EXPECT_NEAR(im2col(g, x).cwiseProduct(c).sum(), x.cwiseProduct(col2im(g, c)).sum(), 1e-10);
  for (bool max : {true, false}) {
    Pooling p;
    p.max = max;
    p.kernel = 2;
    p.stride = 1;  // overlapping windows
    p.in = in;
    p.out = {2, 5, 4};
    PoolWinners win;
    const MatrixD y = pool_forward(p, x, win, false);
    const MatrixD dy = random_matrix(3, p.out.size(), 5);
    EXPECT_NEAR(y.cwiseProduct(dy).sum(), x.cwiseProduct(pool_backward(p, dy, win)).sum(), 1e-10);
    // Reusing the winners on the same input is the same pooling.
    EXPECT_EQ(pool_forward(p, x, win, true), y);
    EXPECT_EQ(y(0, 0), max ? std::max({x(0, 0), x(0, 2), x(0, 10), x(0, 12)})
                           : (x(0, 0) + x(0, 2) + x(0, 10) + x(0, 12)) / 4);
  }
}

// Every output and winner of a pooling against a loop over windows, one channel at a time,
// with ties (the first of equal values wins), overlapping windows and strided ones.
TEST(ConvOps, PoolingEqualsAWindowByWindowReference) {
  const Shape in{3, 7, 6};
  MatrixD x = random_matrix(4, in.size(), 8);
  for (Index i = 0; i < x.size(); i += 3) x.data()[i] = std::round(x.data()[i]);  // ties
  for (bool max : {true, false})
    for (Index stride : {1, 2}) {
      Pooling p;
      p.max = max;
      p.kernel = 2;
      p.stride = stride;
      p.in = in;
      p.out = {in.c, (in.h - 2) / stride + 1, (in.w - 2) / stride + 1};
      PoolWinners win;
      const MatrixD y = pool_forward(p, x, win, false);
      for (Index b = 0; b < x.rows(); ++b)
        for (Index oy = 0; oy < p.out.h; ++oy)
          for (Index ox = 0; ox < p.out.w; ++ox)
            for (Index c = 0; c < in.c; ++c) {
              double best = -std::numeric_limits<double>::infinity(), sum = 0;
              Index arg = -1;
              for (Index ky = 0; ky < 2; ++ky)
                for (Index kx = 0; kx < 2; ++kx) {
                  const Index i = ((oy * stride + ky) * in.w + ox * stride + kx) * in.c + c;
                  sum += x(b, i);
                  if (x(b, i) > best) best = x(b, i), arg = i;
                }
              const Index o = (oy * p.out.w + ox) * in.c + c;
              EXPECT_EQ(y(b, o), max ? best : sum / 4) << b << " " << o;
              if (max) {
                EXPECT_EQ(win[std::size_t(b * p.out.size() + o)], arg) << b << " " << o;
              }
            }
    }
}

TEST(ConvOps, ReshapeKeepsTheRowMajorOrder) {
  const MatrixD m = random_matrix(6, 4, 6);
  const MatrixD t = reshaped(m, 2, 12);
  for (Index r = 0; r < 6; ++r)
    for (Index c = 0; c < 4; ++c) EXPECT_EQ(t((r * 4 + c) / 12, (r * 4 + c) % 12), m(r, c));
}

// Small images with classes or regression targets.
Batch image_batch(Index n, Shape s, Index out, bool classes, uint64_t seed) {
  Batch b;
  b.x = random_matrix(n, s.size(), seed);
  if (classes) {
    b.y = MatrixD::Zero(n, out);
    for (Index i = 0; i < n; ++i) b.labels.push_back(int(i % out)), b.y(i, i % out) = 1.0;
  } else {
    b.y = random_matrix(n, out, seed + 1);
  }
  return b;
}

using test::finite_difference;

struct ConvCase {
  const char* activation;
  const char* layers;
  bool bias;
  LossKind loss;
  double l2;
};

const char* kTwoConv =
    "[{type: conv2d, channels: 3, kernel: 3, padding: 1}, {type: avg_pool, kernel: 2},"
    " {type: conv2d, channels: 4, kernel: 2, stride: 2}, {type: flatten},"
    " {type: linear, width: 5}, {type: linear}]";
const char* kMaxPool =
    "[{type: conv2d, channels: 3, kernel: 3}, {type: max_pool, kernel: 2, stride: 1},"
    " {type: flatten}, {type: linear}]";

NetworkParams conv_params(const ConvCase& c) {
  NetworkParams p;
  p.layers = layers_from(c.layers);
  p.activation = c.activation;
  p.bias = c.bias;
  return p;
}

class ConvGradient : public ::testing::TestWithParam<ConvCase> {};

TEST_P(ConvGradient, MatchesFiniteDifferences) {
  const ConvCase c = GetParam();
  const Shape in{2, 6, 6};
  Network net(conv_params(c), in, 3, c.loss, 0.5, c.l2);
  net.initialise(Rng(3, Stream::init));
  if (c.bias)
    for (Index l = 0; l < net.layers(); ++l) net.set_bias(l, VectorD::Constant(net.fan_out(l), 0.1));
  const Batch b = image_batch(4, in, 3, c.loss == LossKind::cross_entropy, 9);
  const VectorD g = net.gradient(b), fd = finite_difference(net, b);
  EXPECT_LE((g - fd).norm() / fd.norm(), 1e-6) << c.activation << " " << c.layers;
}

INSTANTIATE_TEST_SUITE_P(
    Layers, ConvGradient,
    ::testing::Values(ConvCase{"tanh", kTwoConv, true, LossKind::mse, 0.0},
                      ConvCase{"relu", kTwoConv, false, LossKind::cross_entropy, 0.2},
                      ConvCase{"sigmoid", kMaxPool, true, LossKind::cross_entropy, 0.0},
                      ConvCase{"relu", kMaxPool, true, LossKind::mse, 0.0}));

TEST(ConvNetwork, GradientOverBlocksEqualsOneBlock) {
  // A data set larger than one evaluation block: the exact gradient and loss summed over
  // blocks equal the whole-batch figures (up to rounding).
  const Shape in{1, 40, 40};
  NetworkParams p;
  p.layers = layers_from("[{type: conv2d, channels: 64, kernel: 3, padding: 1}, {type: flatten}, {type: linear}]");
  Network net(p, in, 2, LossKind::mse, 0.5, 0.0);
  net.initialise(Rng(1, Stream::init));
  const Index n = net.chunk_samples() * 2 + 3;
  const Batch b = image_batch(n, in, 2, false, 2);
  ForwardCache c;
  const MatrixD out = net.forward(b.x, &c);
  const VectorD whole = net.assemble(c, net.backward(c, net.output_error(out, b)));
  EXPECT_LE((net.gradient(b) - whole).norm(), 1e-12 * whole.norm());
  EXPECT_NEAR(net.data_loss(b), net.sample_losses(out, b).mean(), 1e-12);
}

TEST(ConvNetwork, LayerListRefusesWhatDoesNotFit) {
  const auto plan_error = [](const std::string& layers, Shape in) {
    Config cfg = Config::from_string("network: {layers: " + layers + "}\n", "net.yaml");
    try {
      const NetworkParams p = read_params<NetworkParams>(Scope(cfg, "network"));
      plan_layers(Scope(cfg, "network"), p.layers, p.hidden, false, in, 10);
    } catch (const ConfigError& e) {
      return std::string(e.what());
    }
    return std::string("accepted");
  };
  const Shape img{1, 28, 28};
  EXPECT_NE(plan_error("[{type: linear}]", img).find("network.layers[0].type"), std::string::npos);
  EXPECT_NE(plan_error("[{type: linear}]", img).find("flatten"), std::string::npos);
  EXPECT_NE(plan_error("[{type: conv2d, channels: 2, kernel: 29}, {type: flatten}, {type: linear}]", img)
                .find("network.layers[0].kernel"),
            std::string::npos);
  EXPECT_NE(plan_error("[{type: conv2d, kernel: 3}, {type: flatten}, {type: linear}]", img)
                .find("network.layers[0].channels"),
            std::string::npos);
  EXPECT_NE(plan_error("[{type: conv2d, channels: 2, size: 3}, {type: flatten}, {type: linear}]", img)
                .find("network.layers[0].size"),
            std::string::npos);
  EXPECT_NE(plan_error("[{type: flatten}, {type: max_pool}, {type: linear}]", img).find("layers[1].type"),
            std::string::npos);
  EXPECT_NE(plan_error("[{type: flatten}, {type: linear, width: 4}, {type: conv2d, channels: 2}]", img)
                .find("the last layer must be linear"),
            std::string::npos);
  EXPECT_NE(plan_error("[{type: flatten}, {type: linear, width: 4}]", img).find("layers[1].width"),
            std::string::npos);
  EXPECT_NE(plan_error("[{type: conv2}]", img).find("did you mean"), std::string::npos);
  EXPECT_EQ(plan_error("[{type: conv2d, channels: 2, kernel: 5, padding: 2}, {type: max_pool},"
                       " {type: flatten}, {type: linear}]",
                       img),
            "accepted");
  Config both = Config::from_string("network: {hidden: [4], layers: [{type: linear}]}\n", "net.yaml");
  EXPECT_THROW(read_params<NetworkParams>(Scope(both, "network")), ConfigError);
}

// A conv network digital and on tiles of an ideal device with a perfect periphery, optionally
// split over arrays of at most `max_rows` x `max_cols`.
struct ConvTilePair {
  Network digital, analog;
  std::vector<std::shared_ptr<TileLayer>> tiles;
};
ConvTilePair conv_tile_pair(int max_rows, int max_cols) {
  Config cfg = Config::from_string(
      "device: {type: ideal}\nscheme: {type: ideal}\nperiphery: {is_perfect: true}\n", "test");
  auto dev = std::shared_ptr<const hw::DeviceModel>(hw::device_registry().create(Scope(cfg, "device")));
  hw::TileParams tp = read_params<hw::TileParams>(Scope(cfg, "tile"));
  const hw::PeripheryParams pp = read_params<hw::PeripheryParams>(Scope(cfg, "periphery"));
  NetworkParams p = conv_params({"tanh", kTwoConv, true, LossKind::mse, 0.0});
  p.init_gain = 0.5;
  const Shape in{2, 6, 6};
  ConvTilePair pair{Network(p, in, 3, LossKind::mse, 0.5, 0.0), Network(p, in, 3, LossKind::mse, 0.5, 0.0), {}};
  pair.analog.initialise(Rng(2, Stream::init));
  for (Index l = 0; l < pair.analog.layers(); ++l) {
    auto t = std::make_shared<TileLayer>(
        pair.analog.fan_out(l), pair.analog.fan_in(l), max_rows, max_cols,
        [&](Index r, Index c, uint32_t k) {
          return hw::Tile(tp, pp, dev, r, c, 1, uint32_t(l) + 1024u * k,
                          hw::scheme_registry().create(Scope(cfg, "scheme"), "ideal"));
        });
    pair.tiles.push_back(t);
    pair.analog.set_analog(l, t);
  }
  pair.digital.set_params(pair.analog.params());
  return pair;
}

TEST(ConvNetwork, ConvLayersOnIdealTilesEqualTheDigitalLayers) {
  const Batch b = image_batch(5, {2, 6, 6}, 3, false, 4);
  for (const auto& [rows, cols] : std::vector<std::pair<int, int>>{{0, 0}, {2, 7}}) {
    ConvTilePair pair = conv_tile_pair(rows, cols);
    if (rows) {
      EXPECT_GT(pair.tiles[0]->tiles().size(), 1u);  // 3 x 18 on 2 x 7 arrays: 2 x 3
    }
    const MatrixD yd = pair.digital.forward(b.x), ya = pair.analog.forward(b.x);
    // Float reads: relative error ~1e-7 x sqrt(fan_in); 1e-5 leaves margin.
    EXPECT_LE((yd - ya).norm(), 1e-5 * yd.norm()) << rows;
    // Backprop through the tiles' backward reads and a step written as pulses.
    const VectorD gd = pair.digital.gradient(b);
    ForwardCache c;
    const MatrixD out = pair.analog.forward(b.x, &c);
    const VectorD ga = pair.analog.assemble(c, pair.analog.backward(c, pair.analog.output_error(out, b)));
    EXPECT_LE((gd - ga).norm(), 1e-5 * gd.norm()) << rows;
  }
}

TEST(ConvNetwork, TiledConvEqualsUntiledWithAPerfectPeriphery) {
  const Batch b = image_batch(5, {2, 6, 6}, 3, false, 4);
  ConvTilePair one = conv_tile_pair(0, 0), split = conv_tile_pair(2, 7);
  EXPECT_LE((one.analog.forward(b.x) - split.analog.forward(b.x)).norm(),
            1e-6 * one.analog.forward(b.x).norm());
  // The same rank-one update on both: factors from the conv layer's patch rows.
  ForwardCache c;
  const MatrixD out = one.analog.forward(b.x, &c);
  const std::vector<MatrixD> d = one.analog.backward(c, one.analog.output_error(out, b));
  for (ConvTilePair* p : {&one, &split}) {
    double pulses = 0;
    const MatrixD dw = -0.1 * d[0].transpose() * c.h[0];
    p->analog.tile(0)->update(dw, c.h[0], d[0], 0.1, pulses);
    p->analog.sync_from_tiles();
  }
  EXPECT_LE((one.analog.weight(0) - split.analog.weight(0)).cwiseAbs().maxCoeff(), 1e-6);
}

TEST(ConvNetwork, RulesDefinedOnConvNetworksRunAndEquilibriumPropagationRefuses) {
  const Shape in{2, 6, 6};
  Network net(conv_params({"tanh", kTwoConv, true, LossKind::mse, 0.0}), in, 3, LossKind::mse, 0.5, 0.0);
  net.initialise(Rng(3, Stream::init));
  const Batch b = image_batch(6, in, 3, false, 5);
  const VectorD g = net.gradient(b);
  const auto estimate = [&](const std::string& rule) {
    Config cfg = Config::from_string("rule: " + rule + "\n", "test");
    auto r = rule_registry().create(Scope(cfg, "rule"));
    r->prepare(net, Rng(1, Stream::init));
    return r->estimate(net, b, Rng(1, Stream::estimator), 0);
  };
  // Backprop is the gradient; its rank-one factors rebuild it layer by layer.
  const Estimate bp = estimate("{type: backprop}");
  EXPECT_LE((bp.estimate - g).norm(), 1e-12 * g.norm());
  for (Index l = 0; l < net.layers(); ++l) {
    const MatrixD gw = bp.d[std::size_t(l)].transpose() * bp.x[std::size_t(l)];
    EXPECT_LE((Eigen::Map<const MatrixD>(g.data() + net.offset(l), gw.rows(), gw.cols()) - gw).norm(),
              1e-12 * g.norm());
  }
  // Direct feedback alignment: the output layer's estimate is exact, the others are not.
  const Estimate dfa = estimate("{type: direct_feedback_alignment}");
  const Index last = net.offset(net.layers() - 1);
  EXPECT_LE((dfa.estimate.tail(g.size() - last) - g.tail(g.size() - last)).norm(), 1e-12 * g.norm());
  EXPECT_GT((dfa.estimate.head(last) - g.head(last)).norm(), 1e-3 * g.norm());
  // Node perturbation with many small perturbations converges on the gradient (bias O(sigma^2)).
  const Estimate np = estimate("{type: node_perturbation, sigma: 1e-4, samples: 4000}");
  EXPECT_GT(np.estimate.dot(g) / (np.estimate.norm() * g.norm()), 0.9);
  // Feedback alignment runs through the random feedback weights.
  const Estimate fa = estimate("{type: feedback_alignment}");
  EXPECT_EQ(fa.estimate.size(), g.size());
  EXPECT_GT((fa.estimate.head(last) - g.head(last)).norm(), 1e-3 * g.norm());
  EXPECT_THROW(estimate("{type: equilibrium_propagation}"), ConfigError);
}

}  // namespace
}  // namespace xb::rules
