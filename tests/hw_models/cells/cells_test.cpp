// SPDX-License-Identifier: MIT
// Unit cells against closed forms and against each other: a vector cell of one device is the
// single device bit for bit; every cell is bit-identical across thread counts; refresh keeps
// each weight within half a step and counts its pulses; the push-pull pair's step is symmetric
// on an asymmetric device; the reference cell finds the soft-bounds symmetry point
// w* = β (closed form below); programming a pair starts from a reset with its stated spread.
#include <gtest/gtest.h>

#include <cmath>

#include "hw_models/core/parallel.h"
#include "hw_models/update/update_scheme.h"
#include "tests/hw_models/crossbar/tile_test_util.h"

namespace xb {
namespace {

using hw::Tile;
using hw::TileParams;

using test::scheme;

// A noisy, asymmetric soft-bounds device (every kind of draw on).
std::shared_ptr<const hw::DeviceModel> noisy_device() {
  return test::device_from_yaml("soft_bounds",
                                "dw_min: 0.01, up_down: 0.2, dw_min_std: 0.3, reset_std: 0.05");
}

// A noise-free constant-step device with range [-1, 1] and reset 0.
// `extra` adds keys (reset_std is 0 unless it sets it).
std::shared_ptr<const hw::DeviceModel> exact_device(const std::string& extra = "reset_std: 0") {
  return test::device_from_yaml(
      "constant_step",
      "dw_min: 0.01, dw_min_dtod: 0, dw_min_std: 0, up_down_dtod: 0, w_min: -1, w_max: 1, "
      "w_min_dtod: 0, w_max_dtod: 0, " + extra);
}

// Applies `steps` stochastic-pulse updates of random x and d.
void train(Tile& t, int steps, uint64_t seed = 5) {
  for (int k = 0; k < steps; ++k) {
    const BatchMatrix x = test::random_batch(t.in_size(), 3, seed + 2 * uint64_t(k));
    const BatchMatrix d = test::random_batch(t.out_size(), 3, seed + 2 * uint64_t(k) + 1);
    hw::UpdateRequest req;
    req.x = &x;
    req.d = &d;
    req.lr = 0.2;
    t.update(req);
  }
}

TEST(Cells, VectorOfOneDeviceIsTheSingleDevice) {
  const auto dev = noisy_device();
  Tile a(TileParams{}, test::perfect(), dev, 9, 11, 3, 0, scheme("{type: stochastic_pulse}"));
  Tile b(TileParams{}, test::perfect(), dev, 9, 11, 3, 0, scheme("{type: stochastic_pulse}"),
         test::cell("{type: vector, n_devices: 1}"));
  const Matrix w = test::random_matrix(9, 11, 1, 0.3);
  a.set_weights(w);
  b.set_weights(w);
  train(a, 6);
  train(b, 6);
  EXPECT_TRUE((a.weights().array() == b.weights().array()).all());
}

const char* kCells[] = {
    "{type: single}",
    "{type: one_sided, refresh_every: 2, refresh_upper_thres: 0.1, refresh_lower_thres: 0.05}",
    "{type: differential, refresh_every: 2, refresh_upper_thres: 0.1, refresh_lower_thres: 0.05}",
    "{type: reference, n_estimation_steps: 50}",
    "{type: vector, n_devices: 3, update_policy: single_random}",
    "{type: vector, n_devices: 3, gamma_vec: [0.5, 0.3, 0.2]}"};

TEST(Cells, EveryCellIsBitIdenticalAcrossThreads) {
  for (const char* c : kCells) {
    Matrix w[2];
    uint64_t refreshes[2] = {0, 0};
    for (int threads : {1, 2}) {
      set_threads(threads);
      Tile t(TileParams{}, test::perfect(), noisy_device(), 70, 40, 7, 1,
             scheme("{type: stochastic_pulse}"), test::cell(c));
      t.set_weights(test::random_matrix(70, 40, 2, 0.3));
      train(t, 8);
      w[threads - 1] = t.weights();
      refreshes[threads - 1] = t.refreshes();
    }
    set_threads(1);
    EXPECT_TRUE((w[0].array() == w[1].array()).all()) << c;
    EXPECT_EQ(refreshes[0], refreshes[1]) << c;
  }
}

// Records the refresh operations a tile reports.
class RefreshRecorder : public hw::TimingHook {
 public:
  void run(const Tile&, hw::TileOp op, const std::function<hw::OpCost()>& kernel) override {
    const hw::OpCost c = kernel();
    if (op == hw::TileOp::refresh) refreshes.push_back(c);
  }
  std::vector<hw::OpCost> refreshes;
};

TEST(Cells, RefreshKeepsEachWeightWithinHalfAStepAndCountsItsPulses) {
  // W = g+ − g− (w_max 2 over the range [-1, 1]); one pulse = 0.01. Alternating +0.1 and
  // −0.1 updates raise both devices of the one-sided pair while W stays, until the refresh
  // (both above 0.25 of the range above reset 0, one above 0.75) rewrites them.
  Tile t(TileParams{}, test::perfect(), exact_device(), 4, 5, 1, 0, scheme("{type: pulse_count}"),
         test::cell("{type: one_sided, w_max: 2, refresh_every: 1}"));
  RefreshRecorder rec;
  t.set_timing_hook(&rec);
  t.set_weights(test::random_matrix(4, 5, 3, 0.2));
  // Whole steps, so that W is exact before refresh.
  const Matrix w0 = ((t.weights().array() / 0.01f).round() * 0.01f).matrix();
  t.set_weights(w0);
  Matrix expected = t.weights();
  for (int k = 0; k < 40; ++k) {
    const Matrix dw = Matrix::Constant(4, 5, k % 2 == 0 ? 0.1f : -0.1f);
    hw::UpdateRequest req;
    req.dw = &dw;
    const size_t before = rec.refreshes.size();
    Matrix g_plus = t.device_state(0).w.matrix(), g_minus = t.device_state(1).w.matrix();
    t.update(req);
    expected += dw;
    EXPECT_LT((t.weights() - expected).cwiseAbs().maxCoeff(), 0.005f + 1e-5f) << k;
    if (rec.refreshes.size() > before) {
      // The refreshed cross-points (the only way a one-sided device goes down): one device
      // back at reset (0), the other holds |W|, written with round(|W| / 0.01) pulses.
      const hw::OpCost& c = rec.refreshes.back();
      uint64_t pulses = 0, refreshed = 0;
      for (Index i = 0; i < 4; ++i)
        for (Index j = 0; j < 5; ++j) {
          const float p = t.device_state(0).w(i, j), m = t.device_state(1).w(i, j);
          if (p < g_plus(i, j) - 1e-6f || m < g_minus(i, j) - 1e-6f) {
            ++refreshed;
            EXPECT_EQ(std::min(p, m), 0.0f);
            pulses += uint64_t(std::lround(std::abs(p - m) / 0.01f));
          }
        }
      EXPECT_EQ(c.refreshed, refreshed) << k;
      EXPECT_EQ(c.pulses_up, pulses) << k;
      EXPECT_EQ(c.read_passes, 2u * 5u);  // one pass per column and device
    }
    expected = t.weights();
  }
  EXPECT_GT(rec.refreshes.size(), 0u);
  uint64_t total = 0;
  for (const auto& c : rec.refreshes) total += c.refreshed;
  EXPECT_GT(total, 0u);
  EXPECT_EQ(t.refreshes(), 40u);  // a check after every update
}

TEST(Cells, PushPullPairStepsAlikeUpAndDown) {
  // Asymmetry β = 0.2: a single device steps 1.2·dw up and 0.8·dw down; the push-pull pair
  // moves G+ and G− together, 2·dw (in device units) either way.
  const auto dev = exact_device("up_down: 0.2, reset_std: 0");
  for (const char* c : {"{type: single}", "{type: differential, w_max: 2}"}) {
    Tile t(TileParams{}, test::perfect(), dev, 1, 1, 1, 0, scheme("{type: pulse_count}"),
           test::cell(c));
    t.set_weights(Matrix::Zero(1, 1));
    const double step = t.dw_min();
    Matrix up = Matrix::Constant(1, 1, Scalar(step)), down = -up;
    hw::UpdateRequest req;
    req.dw = &up;
    t.update(req);
    const double w_up = t.weights()(0, 0);
    req.dw = &down;
    t.update(req);
    const double w_down = w_up - t.weights()(0, 0);
    if (std::string(c) == "{type: single}") {
      EXPECT_NEAR(w_up, 0.012, 1e-6);
      EXPECT_NEAR(w_down, 0.008, 1e-6);
    } else {
      EXPECT_NEAR(step, 0.02, 1e-9);
      EXPECT_NEAR(w_up, 0.02, 1e-6);
      EXPECT_NEAR(w_down, 0.02, 1e-6);
    }
  }
}

TEST(Cells, ReferenceHoldsTheSymmetryPoint) {
  // Soft bounds on [-1, 1]: up (1 + β)(1 − w), down (1 − β)(1 + w) (times dw_min); they
  // cancel at w* = β.
  const auto dev = test::device_from_yaml(
      "soft_bounds", "dw_min: 0.01, up_down: 0.3, dw_min_dtod: 0, dw_min_std: 0, up_down_dtod: 0, "
                     "w_min: -1, w_max: 1, w_min_dtod: 0, w_max_dtod: 0");
  Tile t(TileParams{}, test::perfect(), dev, 3, 4, 1, 0, nullptr,
         test::cell("{type: reference, n_estimation_steps: 2000}"));
  const Matrix w = test::random_matrix(3, 4, 2, 0.3);
  t.set_weights(w);
  EXPECT_LT((t.weights() - w).cwiseAbs().maxCoeff(), 1e-6f);
  EXPECT_LT((t.device_state(1).w - 0.3f).abs().maxCoeff(), 0.01f);
  // With a fixed value instead.
  Tile v(TileParams{}, test::perfect(), dev, 3, 4, 1, 0, nullptr,
         test::cell("{type: reference, reference: value, reference_value: -0.2}"));
  v.set_weights(w);
  EXPECT_TRUE((v.device_state(1).w == -0.2f).all());
  EXPECT_LT((v.weights() - w).cwiseAbs().maxCoeff(), 1e-6f);
}

TEST(Cells, PairProgrammingStartsFromAResetWithItsSpread) {
  const auto dev = exact_device("reset: 0.1, reset_std: 0.05");
  Tile t(TileParams{}, test::perfect(), dev, 40, 50, 1, 0, nullptr,
         test::cell("{type: one_sided, w_max: 2}"));
  const Matrix w = Matrix::Constant(40, 50, 0.3f);
  t.set_weights(w);
  EXPECT_LT((t.weights() - w).cwiseAbs().maxCoeff(), 1e-5f);  // W exact
  const Array& g_minus = t.device_state(1).w;                   // held at its reset
  const double mean = g_minus.mean();
  const double sd = std::sqrt((g_minus - Scalar(mean)).square().mean());
  EXPECT_NEAR(mean, 0.1, 0.01);
  EXPECT_NEAR(sd, 0.05, 0.01);
}

}  // namespace
}  // namespace xb
