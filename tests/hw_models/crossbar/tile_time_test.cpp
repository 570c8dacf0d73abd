// SPDX-License-Identifier: MIT
// Device time on a tile (Tile::advance) against closed forms: lifetime decay, diffusion,
// power-law drift; and the device's own read noise on reads, with evaluation reads kept on
// their own streams.
#include <gtest/gtest.h>

#include <cmath>

#include "tests/hw_models/crossbar/tile_test_util.h"

namespace xb {
namespace {

using hw::Tile;
using hw::TileParams;

constexpr Index kRows = 64, kCols = 64;

Tile tile_of(const std::string& keys, hw::PeripheryParams pp = test::perfect()) {
  auto dev = test::device_from_yaml("constant_step",
                                    "w_min: -1, w_max: 1, w_min_dtod: 0, w_max_dtod: 0, " + keys);
  Tile t(TileParams{}, pp, dev, kRows, kCols, 3, 0);
  t.set_weights(test::random_matrix(kRows, kCols, 5));
  return t;
}

TEST(TileTime, LifetimeDecaysTowardTheResetWeightPerBatch) {
  // w_k = reset + (w_0 − reset)(1 − 1/lifetime)^k, no spread.
  Tile t = tile_of("lifetime: 40, reset: 0.1");
  const Matrix w0 = t.weights();
  for (int k = 1; k <= 30; ++k) t.advance(1, 0.0);
  const double f = std::pow(1.0 - 1.0 / 40, 30);
  const Matrix expect = ((w0.array() - 0.1f) * Scalar(f) + 0.1f).matrix();
  EXPECT_LT((t.weights() - expect).cwiseAbs().maxCoeff(), 2e-6f);
  // The same 30 batches in one call.
  Tile u = tile_of("lifetime: 40, reset: 0.1");
  u.advance(30, 0.0);
  EXPECT_LT((u.weights() - expect).cwiseAbs().maxCoeff(), 2e-6f);
}

TEST(TileTime, DiffusionVarianceGrowsLinearlyInBatches) {
  for (int k : {1, 4, 16}) {
    Tile t = tile_of("diffusion: 0.002");  // far from the bounds: no clipping
    const Matrix w0 = t.weights();
    for (int i = 0; i < k; ++i) t.advance(1, 0.0);
    const Array d = (t.weights() - w0).array();
    const double var = double((d - d.mean()).square().mean());
    const double expect = k * 0.002 * 0.002;
    // Variance estimate of n = 4096 Gaussians: relative std sqrt(2/n) ≈ 2.2 %; 5 sigma.
    EXPECT_NEAR(var, expect, 0.11 * expect) << k << " batches";
  }
}

TEST(TileTime, DriftFollowsThePowerLawExactly) {
  Tile t = tile_of("drift_nu: 0.06, drift_nu_dtod: 0, drift_t0: 20");
  const Matrix w0 = t.weights();
  t.advance(0, 10.0);
  EXPECT_EQ((t.weights() - w0).cwiseAbs().maxCoeff(), 0.0f) << "no drift before t0";
  t.advance(0, 3590.0);  // one hour after programming
  const Scalar f = Scalar(std::pow(3600.0 / 20.0, -0.06));
  EXPECT_LT((t.weights() - w0 * f).cwiseAbs().maxCoeff(), 1e-6f);
  t.set_weights(w0);  // programming restarts the clock
  EXPECT_EQ((t.weights() - w0).cwiseAbs().maxCoeff(), 0.0f);
}

TEST(TileTime, DeviceReadNoiseIsDrawnOnEveryRead) {
  Tile t = tile_of("read_noise_std: 0.05");
  const BatchMatrix x = BatchMatrix::Identity(kCols, kCols);
  BatchMatrix y1, y2;
  t.forward(x, y1);
  t.forward(x, y2);
  const Matrix e1 = y1 - t.weights(), e2 = y2 - t.weights();
  const Array d = e1.array();
  EXPECT_NEAR(double(d.square().mean()), 0.05 * 0.05, 0.11 * 0.05 * 0.05);
  EXPECT_GT((e1 - e2).cwiseAbs().maxCoeff(), 0.0f) << "fresh noise per read";
}

TEST(TileTime, EvaluationReadsLeaveTrainingReadsUnchanged) {
  hw::PeripheryParams pp;  // default periphery: output and weight noise
  Tile a = tile_of("read_noise_std: 0.05", pp), b = tile_of("read_noise_std: 0.05", pp);
  const BatchMatrix x = test::random_batch(kCols, 3, 9);
  BatchMatrix ya, yb, ye1, ye2;
  b.set_eval_reads(true, 7);
  b.forward(x, ye1);
  b.set_eval_reads(false);
  a.forward(x, ya);
  b.forward(x, yb);
  EXPECT_EQ(ya, yb) << "an evaluation in between does not move training's read noise";
  b.set_eval_reads(true, 7);
  b.forward(x, ye2);
  EXPECT_EQ(ye1, ye2) << "an evaluation at the same step draws the same noise";
  EXPECT_NE(ye1, ya);
}

}  // namespace
}  // namespace xb
