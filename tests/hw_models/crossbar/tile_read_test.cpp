// SPDX-License-Identifier: MIT
// Tile reads: exactness with ideal periphery, DAC/ADC edges, saturation, management, noise.
#include <gtest/gtest.h>

#include <cmath>

#include "tests/hw_models/crossbar/tile_test_util.h"

namespace xb {
namespace {

using hw::Tile;
using hw::TileParams;

TEST(TileRead, ForwardBackwardEqualDenseReferenceWithIdealPeriphery) {
  for (const auto& pp : {test::perfect(), test::all_off()}) {
    for (const char* mapping : {"single", "one_sided", "differential", "reference", "vector"}) {
      Tile t(TileParams{}, pp, test::ideal_device(), 37, 53, 1, 0, nullptr,
             test::cell(std::string("{type: ") + mapping + ", " +
                        (std::string(mapping) == "reference" ? "reference: value}"
                         : std::string(mapping) == "single" || std::string(mapping) == "vector"
                             ? "}"
                             : "w_max: 2}")));
      const Matrix w = test::random_matrix(37, 53, 2);
      t.set_weights(w);
      ASSERT_LT((t.weights() - w).cwiseAbs().maxCoeff(), 1e-6f) << mapping;
      const BatchMatrix x = test::random_batch(53, 5, 3), d = test::random_batch(37, 4, 4);
      BatchMatrix y, z;
      t.forward(x, y);
      t.backward(d, z);
      const BatchMatrix y_ref = t.weights() * x, z_ref = t.weights().transpose() * d;
      EXPECT_LT((y - y_ref).cwiseAbs().maxCoeff(), 1e-5f) << mapping;
      EXPECT_LT((z - z_ref).cwiseAbs().maxCoeff(), 1e-5f) << mapping;
    }
  }
}

TEST(TileRead, PairCellsProgramAboveTheResetConductance) {
  // Device range [-1, 1] (width 2) with w_max 2: W = g+ − g−. The ideal device resets to 0.
  Tile t(TileParams{}, test::perfect(), test::ideal_device(), 1, 2, 1, 0, nullptr,
         test::cell("{type: one_sided, w_max: 2}"));
  Matrix w(1, 2);
  w << 0.75f, -0.5f;
  t.set_weights(w);
  // W > 0 goes on G+ above G−'s reset value, W < 0 on G− above G+'s.
  EXPECT_FLOAT_EQ(t.device_state(0).w(0, 0), 0.75f);
  EXPECT_FLOAT_EQ(t.device_state(1).w(0, 0), 0.0f);
  EXPECT_FLOAT_EQ(t.device_state(0).w(0, 1), 0.0f);
  EXPECT_FLOAT_EQ(t.device_state(1).w(0, 1), 0.5f);
  EXPECT_DOUBLE_EQ(t.dw_min(), 0.001);  // step 0.001 in device units × w_max / (g_max − g_min)
}

// 4x4 identity tile: y = x through the periphery, so each output shows one input's path.
Tile identity_tile(const hw::PeripheryParams& pp) {
  Tile t(TileParams{}, pp, test::ideal_device(), 5, 5, 1, 0);
  t.set_weights(Matrix::Identity(5, 5));
  return t;
}

TEST(TileRead, DacQuantisationAndBoundEdges) {
  hw::PeripheryParams pp = test::all_off();
  pp.inp_bound = 1.0;
  pp.inp_res = 0.25;  // step 0.25 · 2 · 1 = 0.5
  Tile t = identity_tile(pp);
  BatchMatrix x(5, 1), y;
  x << 0.24f, 0.26f, 0.75f, 1.3f, -1.3f;
  t.forward(x, y);
  // 0.24 -> 0, 0.26 -> 0.5, 0.75 -> 1.0 (half away from zero), ±1.3 clipped to ±1.
  EXPECT_FLOAT_EQ(y(0), 0.0f);
  EXPECT_FLOAT_EQ(y(1), 0.5f);
  EXPECT_FLOAT_EQ(y(2), 1.0f);
  EXPECT_FLOAT_EQ(y(3), 1.0f);
  EXPECT_FLOAT_EQ(y(4), -1.0f);
  EXPECT_EQ(t.read_stats().input_clips, 2u);
}

TEST(TileRead, AdcQuantisationAndSaturationCount) {
  hw::PeripheryParams pp = test::all_off();
  pp.out_bound = 2.0;
  pp.out_res = 0.125;  // step 0.125 · 2 · 2 = 0.5
  Tile t = identity_tile(pp);
  BatchMatrix x(5, 1), y;
  x << 0.2f, 0.3f, 1.9f, 2.5f, -3.0f;
  t.forward(x, y);
  EXPECT_FLOAT_EQ(y(0), 0.0f);
  EXPECT_FLOAT_EQ(y(1), 0.5f);
  EXPECT_FLOAT_EQ(y(2), 2.0f);  // rounds to the rail but did not saturate
  EXPECT_FLOAT_EQ(y(3), 2.0f);
  EXPECT_FLOAT_EQ(y(4), -2.0f);
  EXPECT_EQ(t.read_stats().saturations, 2u);
  // Same for the backward read.
  BatchMatrix z;
  t.backward(x, z);
  EXPECT_EQ(t.read_stats().saturations, 4u);
  EXPECT_FLOAT_EQ(z(4), -2.0f);
}

TEST(TileRead, IterativeBoundManagementRereadsWithHalvedInput) {
  hw::PeripheryParams pp = test::all_off();
  pp.out_bound = 1.0;
  pp.bound_management = "iterative";
  {
    Tile t = identity_tile(pp);
    BatchMatrix x(5, 2), y;
    x.col(0) << 3.0f, 0.5f, 0, 0, 0;    // needs x/4: two re-reads
    x.col(1) << 0.5f, -0.25f, 0, 0, 0;  // fits at once
    t.forward(x, y);
    EXPECT_FLOAT_EQ(y(0, 0), 3.0f);
    EXPECT_FLOAT_EQ(y(1, 0), 0.5f);
    EXPECT_FLOAT_EQ(y(0, 1), 0.5f);
    EXPECT_EQ(t.read_stats().saturations, 0u);
    EXPECT_EQ(t.read_stats().bm_rereads, 2u);
  }
  {
    pp.max_bm_factor = 2.0;  // one halving only: 3/2 still saturates at 1, scaled back to 2
    Tile t = identity_tile(pp);
    BatchMatrix x(5, 1), y;
    x << 3.0f, 0.5f, 0, 0, 0;
    t.forward(x, y);
    EXPECT_FLOAT_EQ(y(0), 2.0f);
    EXPECT_FLOAT_EQ(y(1), 0.5f);
    EXPECT_EQ(t.read_stats().saturations, 1u);
    EXPECT_EQ(t.read_stats().bm_rereads, 1u);
  }
  {
    pp.bound_management = "none";
    Tile t = identity_tile(pp);
    BatchMatrix x(5, 1), y;
    x << 3.0f, 0.5f, 0, 0, 0;
    t.forward(x, y);
    EXPECT_FLOAT_EQ(y(0), 1.0f);
    EXPECT_EQ(t.read_stats().bm_rereads, 0u);
  }
}

TEST(TileRead, NoiseManagementScalesByAbsMax) {
  hw::PeripheryParams pp = test::all_off();
  pp.inp_bound = 1.0;
  pp.inp_res = 0.25;  // step 0.5 on the scaled input
  pp.noise_management = "abs_max";
  Tile t = identity_tile(pp);
  BatchMatrix x(5, 1), y;
  x << 10.0f, 5.0f, 2.4f, 0, -10.0f;  // scaled: 1, 0.5, 0.24 -> 0, 0, -1
  t.forward(x, y);
  EXPECT_FLOAT_EQ(y(0), 10.0f);
  EXPECT_FLOAT_EQ(y(1), 5.0f);
  EXPECT_FLOAT_EQ(y(2), 0.0f);
  EXPECT_FLOAT_EQ(y(4), -10.0f);
  EXPECT_EQ(t.read_stats().input_clips, 0u);
}

TEST(TileRead, DefaultsFollowAihwkitIOParameters) {
  hw::PeripheryParams pp;
  EXPECT_DOUBLE_EQ(pp.inp_res, 1.0 / 126);
  EXPECT_DOUBLE_EQ(pp.out_res, 1.0 / 510);
  EXPECT_DOUBLE_EQ(pp.out_bound, 12.0);
  EXPECT_DOUBLE_EQ(pp.out_noise, 0.06);
  EXPECT_DOUBLE_EQ(pp.inp_bound, 1.0);
  EXPECT_EQ(pp.noise_management, "abs_max");
  EXPECT_EQ(pp.bound_management, "iterative");
}

TEST(TileRead, OutputAndWeightNoiseStatistics) {
  // W = 0, so y is pure noise: out_noise² + w_noise²·|x|² per output.
  hw::PeripheryParams pp = test::all_off();
  pp.out_noise = 0.3;
  pp.w_noise = 0.1;
  const Index n_out = 64, n_in = 16, nb = 200;
  Tile t(TileParams{}, pp, test::ideal_device(), n_out, n_in, 5, 0);
  t.set_weights(Matrix::Zero(n_out, n_in));
  const BatchMatrix x = BatchMatrix::Ones(n_in, nb);  // |x|₂ = 4
  BatchMatrix y;
  t.forward(x, y);
  const double n = double(y.size());
  const double mean = y.cast<double>().mean();
  const double var = (y.cast<double>().array() - mean).square().sum() / (n - 1);
  const double sd = std::sqrt(0.3 * 0.3 + 0.01 * 16);  // 0.5
  // CLT: the mean has sd/sqrt(n); the sample variance has sd²·sqrt(2/(n-1)). 5 sigma.
  EXPECT_NEAR(mean, 0.0, 5 * sd / std::sqrt(n));
  EXPECT_NEAR(var, sd * sd, 5 * sd * sd * std::sqrt(2.0 / (n - 1)));
  // A second read draws new noise; the same seed replays it.
  BatchMatrix y2, y3;
  t.forward(x, y2);
  EXPECT_GT((y2 - y).cwiseAbs().maxCoeff(), 0.0f);
  Tile u(TileParams{}, pp, test::ideal_device(), n_out, n_in, 5, 0);
  u.set_weights(Matrix::Zero(n_out, n_in));
  u.forward(x, y3);
  EXPECT_EQ(y3, y);
}

TEST(TileRead, IrDropAttenuatesFarDevices) {
  hw::PeripheryParams pp = test::all_off();
  pp.ir_drop = 0.5;
  Tile t(TileParams{}, pp, test::ideal_device(), 1, 4, 1, 0);
  Matrix w = Matrix::Constant(1, 4, 0.5f);
  t.set_weights(w);
  BatchMatrix x = BatchMatrix::Ones(4, 1), y;
  t.forward(x, y);
  // periphery.h model: y = Σ w x − ir_drop·ā·Σ w x·pos with ā = Σ|w||x|/n = 0.5 and
  // positions 0, 1/3, 2/3, 1 (Σ w x·pos = 1): y = 2 − 0.5·0.5·1 = 1.75.
  EXPECT_NEAR(y(0), 1.75f, 1e-6);
}

TEST(TileRead, ValidationNamesTheKey) {
  Config cfg = Config::from_string("periphery: {out_res: 2.0}\n", "p.yaml");
  try {
    read_params<hw::PeripheryParams>(Scope(cfg, "periphery"));
    FAIL() << "no ConfigError";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("periphery.out_res"), std::string::npos) << e.what();
  }
  Config cfg2 = Config::from_string("cell: {type: triple}\n", "t.yaml");
  EXPECT_THROW(hw::cell_registry().create(Scope(cfg2, "cell")), ConfigError);
}

TEST(TileRead, ConstructionFromConfigScopes) {
  Config cfg = Config::from_string(
      "cell: {type: differential, w_max: 0.5}\n"
      "periphery: {out_noise: 0, inp_res: 0, out_res: 0, noise_management: none}\n",
      "c.yaml");
  Tile t(Scope(cfg, "tile"), Scope(cfg, "periphery"), test::ideal_device(), 2, 3, 1, 0);
  EXPECT_EQ(t.devices(), 2);
  EXPECT_DOUBLE_EQ(t.dw_min(), 2 * 0.001 * 0.5 / 2);  // push-pull: two device steps per pulse
  EXPECT_EQ(t.periphery().params().noise_management, "none");
  EXPECT_DOUBLE_EQ(t.periphery().params().out_bound, 12.0);  // default kept
  EXPECT_NO_THROW(cfg.check_all_used());
}

}  // namespace
}  // namespace xb
