// SPDX-License-Identifier: MIT
// A layer split over a grid of tiles (tile_layer.h): with a perfect periphery it reads and
// writes as the one-tile layer does: bit for bit where the float sums are exact, to float
// rounding otherwise; every tile holds its own block, and a noisy periphery adds noise per
// partial sum.
#include <gtest/gtest.h>

#include "learning_rules/tile_layer.h"
#include "tests/hw_models/crossbar/tile_test_util.h"

namespace xb::rules {
namespace {

constexpr Index kOut = 10, kIn = 7;

TileLayer layer(Index max_rows, Index max_cols, const hw::PeripheryParams& pp, double dw_min = 1.0 / 64) {
  auto dev = test::ideal_device(dw_min, -100, 100);
  return TileLayer(kOut, kIn, max_rows, max_cols, [&](Index r, Index c, uint32_t k) {
    return hw::Tile(hw::TileParams{}, pp, dev, r, c, 9, k);
  });
}

// Values on a grid of 1/8 (weights) and 1/4 (inputs): every product and sum below is exact
// in float, so any order of summation gives the same bits.
MatrixD grid_values(Index r, Index c, uint64_t seed, double step) {
  Rng rng(seed, Stream::init);
  MatrixD m(r, c);
  for (Index i = 0; i < m.size(); ++i) m.data()[i] = step * std::floor(rng.uniform() * 17 - 8);
  return m;
}

TEST(TileLayer, SplitLayerEqualsOneTileBitForBitWhereSumsAreExact) {
  TileLayer one = layer(0, 0, test::perfect()), split = layer(4, 3, test::perfect());
  EXPECT_EQ(one.tiles().size(), 1u);
  ASSERT_EQ(split.tiles().size(), 9u);  // rows 4 + 4 + 2, columns 3 + 3 + 1
  EXPECT_EQ(split.tiles()[8].out_size(), 2);
  EXPECT_EQ(split.tiles()[8].in_size(), 1);
  EXPECT_EQ(split.tile_name("layer2", 5), "layer2.t1_2");
  EXPECT_EQ(one.tile_name("layer2", 0), "layer2");
  const MatrixD w = grid_values(kOut, kIn, 1, 0.125);
  one.set_weights(w);
  split.set_weights(w);
  EXPECT_EQ(split.weights(), w);
  EXPECT_EQ(split.tiles()[4].weights().cast<double>(), w.block(4, 3, 4, 3));
  const MatrixD x = grid_values(5, kIn, 2, 0.25), d = grid_values(5, kOut, 3, 0.25);
  EXPECT_EQ(split.forward(x), one.forward(x));
  EXPECT_EQ(split.backward(d), one.backward(d));
  EXPECT_EQ(split.forward(x), x * w.transpose());
  // An exact update (ideal scheme) of the same ΔW, dense or from its factors.
  double p1 = 0, p2 = 0;
  const MatrixD dw = -0.25 * d.transpose() * x;
  EXPECT_EQ(split.update(dw, MatrixD(), MatrixD(), 0.25, p1), one.update(dw, MatrixD(), MatrixD(), 0.25, p2));
  EXPECT_EQ(split.weights(), one.weights());
  EXPECT_EQ(split.update(MatrixD(), x, d, 0.25, p1), one.update(MatrixD(), x, d, 0.25, p2));
  EXPECT_EQ(split.weights(), one.weights());
  EXPECT_EQ(split.weights(), w + 2 * dw);
}

TEST(TileLayer, SplitLayerEqualsOneTileToFloatRounding) {
  TileLayer one = layer(0, 0, test::perfect()), split = layer(3, 2, test::perfect());
  const MatrixD w = test::random_matrix(kOut, kIn, 4).cast<double>();
  one.set_weights(w);
  split.set_weights(w);
  const MatrixD x = test::random_matrix(6, kIn, 5).cast<double>();
  const MatrixD y1 = one.forward(x), y2 = split.forward(x);
  EXPECT_LE((y1 - y2).norm(), 1e-6 * y1.norm());
}

TEST(TileLayer, EveryPartialSumHasItsOwnPeripheryNoise) {
  hw::PeripheryParams pp = test::all_off();
  pp.out_noise = 0.1;
  TileLayer one = layer(0, 0, pp), split = layer(kOut, 2, pp);  // 4 column blocks
  const MatrixD w = MatrixD::Zero(kOut, kIn);
  one.set_weights(w);
  split.set_weights(w);
  const MatrixD x = MatrixD::Ones(4000, kIn);
  // Zero weights: the reads are pure output noise, σ per tile, so σ·√4 for the split layer.
  auto sd = [](const MatrixD& y) { return std::sqrt(y.array().square().mean()); };
  EXPECT_NEAR(sd(one.forward(x)), 0.1, 0.003);
  EXPECT_NEAR(sd(split.forward(x)), 0.2, 0.006);
}

}  // namespace
}  // namespace xb::rules
