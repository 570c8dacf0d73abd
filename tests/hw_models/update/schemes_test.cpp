// SPDX-License-Identifier: MIT
// Update schemes on a tile: exactness of `ideal`, rounding of `pulse_count`, the mean of
// `stochastic_pulse` (unbiased where it should be, the stated bias where it is biased by
// construction), forks and thread-count independence.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>

#include "hw_models/core/parallel.h"
#include "hw_models/update/mixed_precision.h"
#include "hw_models/update/pulse_count.h"
#include "hw_models/update/stochastic_pulse.h"
#include "hw_models/update/update_scheme.h"
#include "tests/hw_models/crossbar/tile_test_util.h"

namespace xb {
namespace {

using hw::Tile;
using hw::TileParams;
using hw::UpdateReport;
using hw::UpdateRequest;

using test::scheme;

TEST(TileUpdate, SchemesAreRegistered) {
  const auto names = hw::scheme_registry().names();
  for (const char* n : {"ideal", "pulse_count", "stochastic_pulse", "mixed_precision"})
    EXPECT_NE(std::find(names.begin(), names.end(), n), names.end()) << n;
}

TEST(TileUpdate, IdealWritesIntendedDeltaExactly) {
  for (const char* mapping : {"single", "one_sided", "differential", "vector"}) {
    Tile t(TileParams{}, test::perfect(), test::ideal_device(), 6, 7, 1, 0,
           scheme("{type: ideal}"), test::cell(std::string("{type: ") + mapping + "}"));
    t.set_weights(test::random_matrix(6, 7, 1, 0.3));
    const Matrix dw = test::random_matrix(6, 7, 2, 0.1);
    UpdateRequest req;
    req.dw = &dw;
    const UpdateReport rep = t.update(req);
    EXPECT_EQ(rep.write_slots, 6u);  // reprogrammed row by row
    EXPECT_LT((rep.realised - dw).cwiseAbs().maxCoeff(), 1e-6f) << mapping;
    EXPECT_EQ(rep.intended, dw);
    EXPECT_EQ(rep.pulses_up + rep.pulses_down, 0u);
  }
  // From factors: ΔW = −lr·D·Xᵀ.
  Tile t(TileParams{}, test::perfect(), test::ideal_device(), 3, 2, 1, 0);  // null: ideal
  BatchMatrix x(2, 1), d(3, 1);
  x << 1, -0.5;
  d << 0.2, 0, -0.4;
  UpdateRequest req;
  req.x = &x;
  req.d = &d;
  req.lr = 0.1;
  const UpdateReport rep = t.update(req);
  EXPECT_NEAR(rep.realised(0, 0), -0.02f, 1e-7);
  EXPECT_NEAR(rep.realised(2, 1), -0.02f, 1e-7);
  EXPECT_NEAR(rep.realised(0, 1), 0.01f, 1e-7);
}

TEST(TileUpdate, PulseCountRoundsToWholePulses) {
  Tile t(TileParams{}, test::perfect(), test::ideal_device(0.01), 1, 5, 1, 0,
         scheme("{type: pulse_count}"));
  Matrix dw(1, 5);
  dw << 0.034f, 0.004f, -0.026f, 0.0151f, -0.0049f;
  UpdateRequest req;
  req.dw = &dw;
  const UpdateReport rep = t.update(req);
  EXPECT_EQ(rep.write_slots, 2u);  // 8 pulses on a 5-column row: ceil(8 / 5) slots
  // Biased by construction: realised = dw_min·round(ΔW/dw_min).
  const float expect[5] = {0.03f, 0.0f, -0.03f, 0.02f, 0.0f};
  for (int j = 0; j < 5; ++j) EXPECT_NEAR(rep.realised(0, j), expect[j], 1e-6) << j;
  EXPECT_EQ(rep.pulses_up, 5u);
  EXPECT_EQ(rep.pulses_down, 3u);
}

// mixed_precision carries the sub-pulse remainder: eight updates of 0.25 dw_min write two
// pulses (pulse_count writes none), |χ| stays below ε, fork() copies χ, set_weights() clears it.
TEST(TileUpdate, MixedPrecisionCarriesTheRemainder) {
  for (const char* mapping : {"single", "one_sided"}) {
    Tile t(TileParams{}, test::perfect(), test::ideal_device(0.01), 1, 3, 1, 0,
           scheme("{type: mixed_precision}"), test::cell(std::string("{type: ") + mapping + "}"));
    const auto& mp = dynamic_cast<const hw::MixedPrecisionScheme&>(t.scheme());
    t.set_weights(Matrix::Zero(1, 3));
    const double eps = t.dw_min();
    Matrix dw(1, 3);
    dw << Scalar(0.25 * eps), Scalar(-0.25 * eps), Scalar(1.75 * eps);
    UpdateRequest req;
    req.dw = &dw;
    uint64_t up = 0, down = 0;
    for (int k = 0; k < 8; ++k) {
      const UpdateReport rep = t.update(req);
      up += rep.pulses_up;
      down += rep.pulses_down;
      EXPECT_LT(mp.accumulator().cwiseAbs().maxCoeff(), Scalar(eps * (1 + 1e-5)));
    }
    // 8 x 0.25 = 2 pulses up and 2 down; 8 x 1.75 = 14 pulses.
    EXPECT_NEAR(t.weights()(0, 0), 2 * eps, 1e-5) << mapping;
    EXPECT_NEAR(t.weights()(0, 1), -2 * eps, 1e-5) << mapping;
    EXPECT_NEAR(t.weights()(0, 2), 14 * eps, 1e-5) << mapping;
    EXPECT_EQ(up, 16u) << mapping;
    EXPECT_EQ(down, 2u) << mapping;
    // Against pulse_count on a fresh tile: 0.25 dw_min rounds to nothing, every time.
    Tile pc(TileParams{}, test::perfect(), test::ideal_device(0.01), 1, 3, 1, 0,
            scheme("{type: pulse_count}"), test::cell(std::string("{type: ") + mapping + "}"));
    pc.set_weights(Matrix::Zero(1, 3));
    for (int k = 0; k < 8; ++k) pc.update(req);
    EXPECT_NEAR(pc.weights()(0, 0), 0.0, 1e-7) << mapping;
  }
  Tile t(TileParams{}, test::perfect(), test::ideal_device(0.01), 1, 1, 1, 0,
         scheme("{type: mixed_precision}"));
  auto chi = [](const Tile& tile) {
    return dynamic_cast<const hw::MixedPrecisionScheme&>(tile.scheme()).accumulator();
  };
  Matrix dw = Matrix::Constant(1, 1, Scalar(0.6 * t.dw_min()));
  UpdateRequest req;
  req.dw = &dw;
  t.update(req);
  Tile f = t.fork(1);
  EXPECT_EQ(chi(f)(0, 0), chi(t)(0, 0));
  EXPECT_NEAR(f.update(req).realised(0, 0), t.dw_min(), 1e-6);
  EXPECT_NEAR(chi(t)(0, 0), 0.6 * t.dw_min(), 1e-6);  // the fork's update left t's χ alone
  t.set_weights(Matrix::Zero(1, 1));
  EXPECT_EQ(chi(t).size(), 0);
}

// Mean and variance over R forks of one stochastic_pulse update.
struct Moments {
  Matrix mean, var;
  uint64_t clipped = 0;
};
// The tile is built from `make_tile(scheme)` with the stochastic_pulse scheme of `yaml`.
Moments fork_moments(const std::function<Tile(std::unique_ptr<hw::UpdateScheme>)>& make_tile,
                     const std::string& yaml, const UpdateRequest& req, int r_forks) {
  Moments m;
  const Tile base = make_tile(scheme(yaml));
  MatrixD sum = MatrixD::Zero(base.out_size(), base.in_size()), sq = sum;
  for (int k = 0; k < r_forks; ++k) {
    Tile f = base.fork(uint32_t(k));
    const UpdateReport rep = f.update(req);
    const MatrixD r = rep.realised.cast<double>();
    sum += r;
    sq += r.cwiseProduct(r);
    m.clipped = dynamic_cast<const hw::StochasticPulseScheme&>(f.scheme()).probabilities_clipped();
  }
  const MatrixD mean = sum / r_forks;
  m.mean = mean.cast<Scalar>();
  m.var = ((sq / r_forks - mean.cwiseProduct(mean)) * (double(r_forks) / (r_forks - 1))).cast<Scalar>();
  return m;
}

// Every entry within 5 standard errors of `expected` (the per-entry variance from the forks
// themselves; with 30-60 entries, P(any beyond 5σ) < 1e-4 under the hypothesis).
void expect_mean(const Moments& m, const Matrix& expected, int r_forks, double floor_sd) {
  for (Index i = 0; i < expected.rows(); ++i)
    for (Index j = 0; j < expected.cols(); ++j) {
      const double se = std::sqrt(std::max(double(m.var(i, j)), floor_sd * floor_sd) / r_forks);
      EXPECT_NEAR(m.mean(i, j), expected(i, j), 5 * se) << "(" << i << "," << j << ")";
    }
}

TEST(TileUpdate, StochasticPulseIsUnbiasedAwayFromBoundsAndClipping) {
  // ideal = noise-free constant step with hard bounds far away (|W| stays < 0.2 of 1).
  const double dw_min = 0.001, lr = 0.01;
  auto base = [&](std::unique_ptr<hw::UpdateScheme> s) {
    return Tile(TileParams{}, test::perfect(), test::ideal_device(dw_min), 6, 8, 3, 0, std::move(s));
  };
  BatchMatrix x = test::random_batch(8, 1, 11), d = test::random_batch(6, 1, 12);
  UpdateRequest req;
  req.x = &x;
  req.d = &d;
  req.lr = lr;
  // BL 31, A·B = lr/(dw_min·BL) = 0.32: the largest probability sqrt(0.32·max|x|·max|d|) < 1.
  const int r_forks = 400;
  const Moments m = fork_moments(base, "{type: stochastic_pulse}", req, r_forks);
  EXPECT_EQ(m.clipped, 0u);
  const Matrix intended = Scalar(-lr) * d * x.transpose();
  expect_mean(m, intended, r_forks, dw_min / 10);
}

TEST(TileUpdate, StochasticPulseUnbiasedOnNoiseFreeConstantStep) {
  auto dev = test::device_from_yaml("constant_step",
                                    "dw_min: 0.001, dw_min_dtod: 0, dw_min_std: 0, up_down_dtod: 0, "
                                    "w_min: -1, w_max: 1, w_min_dtod: 0, w_max_dtod: 0");
  if (!dev) GTEST_SKIP() << "constant_step not registered";
  auto base = [&](std::unique_ptr<hw::UpdateScheme> s) {
    return Tile(TileParams{}, test::perfect(), dev, 5, 7, 3, 0, std::move(s));
  };
  BatchMatrix x = test::random_batch(7, 2, 21), d = test::random_batch(5, 2, 22);
  UpdateRequest req;
  req.x = &x;
  req.d = &d;
  req.lr = 0.005;
  const int r_forks = 400;
  const Moments m = fork_moments(base, "{type: stochastic_pulse, desired_bl: 20}", req, r_forks);
  EXPECT_EQ(m.clipped, 0u);
  expect_mean(m, Scalar(-req.lr) * d * x.transpose(), r_forks, 1e-4);
}

TEST(TileUpdate, StochasticPulseClippingBiasAsStated) {
  // No update management, lr large: A = B = sqrt(lr/(dw_min·BL)) = 1.8, so |x|, |d| > 0.56
  // clip at probability 1. stochastic_pulse.h: E[ΔW] = −sign·dw_min·BL·min(1, A|x|)·min(1, B|d|).
  const double dw_min = 0.001, lr = 0.1;
  const int bl = 31;
  auto base = [&](std::unique_ptr<hw::UpdateScheme> s) {
    return Tile(TileParams{}, test::perfect(), test::ideal_device(dw_min), 4, 5, 3, 0, std::move(s));
  };
  BatchMatrix x(5, 1), d(4, 1);
  x << 1.0, -0.8, 0.4, 0.2, -0.05;
  d << -1.0, 0.6, 0.3, -0.1;
  UpdateRequest req;
  req.x = &x;
  req.d = &d;
  req.lr = lr;
  const int r_forks = 400;
  const Moments m =
      fork_moments(base, "{type: stochastic_pulse, update_management: false}", req, r_forks);
  const double a = std::sqrt(lr / (dw_min * bl));
  Matrix expected(4, 5), intended = Scalar(-lr) * d * x.transpose();
  for (Index i = 0; i < 4; ++i)
    for (Index j = 0; j < 5; ++j) {
      const double p = std::min(1.0, a * std::abs(x(j))), q = std::min(1.0, a * std::abs(d(i)));
      const double sign = intended(i, j) < 0 ? -1 : 1;
      expected(i, j) = Scalar(sign * dw_min * bl * p * q);
    }
  EXPECT_EQ(m.clipped, 4u);  // x: 1.0, -0.8; d: -1.0, 0.6
  expect_mean(m, expected, r_forks, dw_min / 10);
  // The bias is real: at (0, 0) both clip, so exactly BL pulses: 0.031 instead of 0.1.
  EXPECT_FLOAT_EQ(m.mean(0, 0), Scalar(dw_min * bl));
  EXPECT_NEAR(m.var(0, 0), 0.0f, 1e-12);
  EXPECT_LT(std::abs(m.mean(0, 0)), 0.5 * std::abs(intended(0, 0)));
}

TEST(TileUpdate, StochasticPulseBitLengthCapsPulsesPerSample) {
  // With BL management the bit length shrinks to ceil(lr·max|x|·max|d|/dw_min) when small.
  hw::StochasticPulseParams p;
  p.fixed_bl = false;
  hw::StochasticPulseScheme s(p);
  EXPECT_EQ(s.plan(0.002, 0.001, 1.0, 1.0).bl, 2);
  EXPECT_EQ(s.plan(0.5, 0.001, 1.0, 1.0).bl, 31);
  const auto pl = s.plan(0.01, 0.001, 0.5, 0.1);  // update management balances A·0.5 = B·0.1
  EXPECT_NEAR(pl.a * 0.5, pl.b * 0.1, 1e-12);
  EXPECT_NEAR(pl.a * pl.b * pl.bl * 0.001, 0.01, 1e-12);
  // On a tile: never more than BL pulses per device and sample.
  Tile t(TileParams{}, test::perfect(), test::ideal_device(0.001), 3, 3, 1, 0,
         scheme("{type: stochastic_pulse, desired_bl: 7}"));
  BatchMatrix x = BatchMatrix::Ones(3, 2), d = BatchMatrix::Ones(3, 2);
  d.col(1).setZero();  // a sample with nothing to write takes no slot
  UpdateRequest req;
  req.x = &x;
  req.d = &d;
  req.lr = 1.0;
  const auto rep = t.update(req);
  EXPECT_EQ(rep.pulses_down, 9u * 7u);
  EXPECT_EQ(rep.write_slots, 7u);  // one train of BL slots for the one non-zero sample
  EXPECT_NEAR(rep.realised(1, 1), -0.007f, 1e-6);
}

TEST(TileUpdate, StochasticPulseUpDownAsymmetryBias) {
  // up_down = β: an up pulse moves dw_min(1 + β), a down pulse dw_min(1 − β), so the mean
  // realised update is (1 ± β) times the intended one (stated bias of the device, not the scheme).
  const double beta = 0.2;
  auto dev = test::device_from_yaml(
      "constant_step",
      "dw_min: 0.001, dw_min_dtod: 0, dw_min_std: 0, up_down: 0.2, up_down_dtod: 0, "
      "w_min: -1, w_max: 1, w_min_dtod: 0, w_max_dtod: 0");
  if (!dev) GTEST_SKIP() << "constant_step not registered";
  auto base = [&](std::unique_ptr<hw::UpdateScheme> s) {
    return Tile(TileParams{}, test::perfect(), dev, 4, 6, 3, 0, std::move(s));
  };
  BatchMatrix x = test::random_batch(6, 1, 31), d = test::random_batch(4, 1, 32);
  UpdateRequest req;
  req.x = &x;
  req.d = &d;
  req.lr = 0.01;
  const int r_forks = 400;
  const Moments m = fork_moments(base, "{type: stochastic_pulse}", req, r_forks);
  Matrix expected = Scalar(-req.lr) * d * x.transpose();
  expected = (expected.array() > 0).select(expected * Scalar(1 + beta), expected * Scalar(1 - beta));
  expect_mean(m, expected, r_forks, 1e-4);
}

TEST(TileUpdate, StochasticPulseDenseFallbackIsUnbiased) {
  auto base = [&](std::unique_ptr<hw::UpdateScheme> s) {
    return Tile(TileParams{}, test::perfect(), test::ideal_device(0.001), 3, 4, 3, 0, std::move(s));
  };
  const Matrix dw = test::random_matrix(3, 4, 41, 0.005);
  UpdateRequest req;
  req.dw = &dw;
  const int r_forks = 400;
  const Moments m = fork_moments(base, "{type: stochastic_pulse}", req, r_forks);
  expect_mean(m, dw, r_forks, 1e-5);
}

TEST(TileUpdate, ForksShareFabricationAndDrawIndependentCycleNoise) {
  auto dev = test::device_from_yaml("constant_step", "");  // default d2d and c2c noise
  if (!dev) dev = test::ideal_device();
  Tile base(TileParams{}, test::perfect(), dev, 16, 16, 7, 2, scheme("{type: stochastic_pulse}"));
  BatchMatrix x = test::random_batch(16, 1, 51), d = test::random_batch(16, 1, 52);
  UpdateRequest req;
  req.x = &x;
  req.d = &d;
  req.lr = 0.01;
  Tile a = base.fork(1), b = base.fork(2), a2 = base.fork(1);
  for (const Tile* f : {&a, &b}) {
    EXPECT_TRUE((f->device_state().dw_up == base.device_state().dw_up).all());
    EXPECT_TRUE((f->device_state().w_max == base.device_state().w_max).all());
    EXPECT_EQ(f->weights(), base.weights());
  }
  const UpdateReport ra = a.update(req), rb = b.update(req), ra2 = a2.update(req);
  EXPECT_EQ(ra.realised, ra2.realised);  // same fork index: same realisation
  EXPECT_NE(ra.realised, rb.realised);   // different fork: independent trains and noise
  // The parent is untouched by its forks.
  EXPECT_EQ(base.weights(), base.fork(3).weights());
  // Tiles with another id are other fabrications.
  Tile other(TileParams{}, test::perfect(), dev, 16, 16, 7, 3);
  if (hw::device_registry().find("constant_step")) {
    EXPECT_FALSE((other.device_state().dw_up == base.device_state().dw_up).all());
  }
}

TEST(TileUpdate, SameSeedSameResultOnOneAndTwoThreads) {
  auto dev = test::device_from_yaml("constant_step", "");
  if (!dev) dev = test::ideal_device();
  hw::PeripheryParams pp;  // defaults: noise, DAC/ADC, management
  pp.out_noise = 0.2;
  auto run = [&](int threads) {
    set_threads(threads);
    // 1100 x 256 with 3 samples: the reads split into 4 row blocks, the update into 35.
    Tile t(TileParams{}, pp, dev, 1100, 256, 9, 1, scheme("{type: stochastic_pulse}"));
    t.set_weights(test::random_matrix(1100, 256, 61, 0.3));
    BatchMatrix x = test::random_batch(256, 3, 62, 2.0), d = test::random_batch(1100, 3, 63), y, z;
    t.forward(x, y);
    t.backward(d, z);
    UpdateRequest req;
    req.x = &x;
    req.d = &d;
    req.lr = 0.01;
    const UpdateReport rep = t.update(req);
    t.forward(x, y);
    set_threads(1);
    return std::make_tuple(y, z, rep.realised, rep.pulses_up, t.read_stats().saturations);
  };
  const auto one = run(1), two = run(2);
  EXPECT_EQ(std::get<0>(one), std::get<0>(two));
  EXPECT_EQ(std::get<1>(one), std::get<1>(two));
  EXPECT_EQ(std::get<2>(one), std::get<2>(two));
  EXPECT_EQ(std::get<3>(one), std::get<3>(two));
  EXPECT_EQ(std::get<4>(one), std::get<4>(two));
  EXPECT_GT(std::get<3>(one), 0u);
}

}  // namespace
}  // namespace xb
