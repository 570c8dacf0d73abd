// SPDX-License-Identifier: MIT
// Each step law against its closed form, with every noise source and spread off (float
// state: tolerances are a few float ulps times the number of pulses).
#include <gtest/gtest.h>

#include <cmath>

#include "hw_models/devices/soft_bounds_pmax.h"
#include "hw_models/devices/soft_bounds_reference.h"
#include "tests/hw_models/devices/device_test_util.h"

namespace xb::hw::test {
namespace {

// The weight of a 1x1 device after `pulses` single pulses (+1/−1 each), from w0.
double run(const DeviceModel& d, double w0, const std::vector<int>& pulses) {
  Rng fab(1, Stream::fabrication);
  DeviceState s = d.fabricate(1, 1, w0, fab);
  uint64_t k = 0;
  for (int p : pulses) d.apply_pulses(s, PulseArray::Constant(1, 1, p), Rng(1, Stream::cycle), k++, 0);
  return s.w(0, 0);
}

std::unique_ptr<DeviceModel> quiet(const std::string& type, const std::string& extra = "") {
  return make_device("{type: " + type + ", " + kNoNoise + (extra.empty() ? "" : ", " + extra) + "}");
}

TEST(SoftBounds, UpPulsesFromZeroFollowTheGeometricLaw) {
  // w_n = w_max·(1 − (1 − dw_min/w_max)^n).
  auto d = quiet("soft_bounds", "dw_min: 0.01, w_max: 0.6, w_min: -0.6");
  for (int n : {1, 10, 100, 400}) {
    const double expect = 0.6 * (1 - std::pow(1 - 0.01 / 0.6, n));
    EXPECT_NEAR(run(*d, 0.0, std::vector<int>(n, 1)), expect, 1e-6 * n) << n;
    // n pulses in one call take the same path.
    EXPECT_NEAR(run(*d, 0.0, {n}), expect, 1e-6 * n) << n;
  }
  // Down: w_n = w_min·(1 − (1 − dw_min/|w_min|)^n).
  EXPECT_NEAR(run(*d, 0.0, {-50}), -0.6 * (1 - std::pow(1 - 0.01 / 0.6, 50)), 1e-5);
}

TEST(ConstantStep, ReachesTheBoundAfterTheExpectedPulses) {
  // (w_max − w0)/dw_min = (0.6 − 0.1)/0.01 = 50 pulses.
  auto d = quiet("constant_step", "dw_min: 0.01, w_max: 0.6");
  EXPECT_NEAR(run(*d, 0.1, {49}), 0.59, 1e-5);
  EXPECT_NEAR(run(*d, 0.1, std::vector<int>(49, 1)), 0.59, 1e-5);
  EXPECT_NEAR(run(*d, 0.1, {50}), 0.6, 1e-5);
  EXPECT_EQ(run(*d, 0.1, {51}), 0.6f);
  EXPECT_EQ(run(*d, 0.1, std::vector<int>(80, 1)), 0.6f);
  EXPECT_EQ(run(*d, 0.1, {-1000}), -0.6f);
  // up_down: dw_up = dw_min(1 + β), dw_down = dw_min(1 − β).
  auto a = quiet("constant_step", "dw_min: 0.01, up_down: 0.2");
  EXPECT_NEAR(run(*a, 0.0, {1}), 0.012, 1e-7);
  EXPECT_NEAR(run(*a, 0.0, {-1}), -0.008, 1e-7);
}

TEST(LinearStep, SingleStepLaw) {
  // Δ_up = dw(1 − γ⁺w/w_max), Δ_down = −dw(1 + γ⁻w/|w_min|).
  auto d = quiet("linear_step", "dw_min: 0.01, gamma_up: 0.5, gamma_down: 0.8, gamma_up_dtod: 0, "
                                "gamma_down_dtod: 0, w_min: -0.5, w_max: 0.6");
  EXPECT_NEAR(run(*d, 0.3, {1}) - 0.3, 0.01 * (1 - 0.5 * 0.3 / 0.6), 1e-7);
  EXPECT_NEAR(run(*d, 0.3, {-1}) - 0.3, -0.01 * (1 + 0.8 * 0.3 / 0.5), 1e-7);
  EXPECT_NEAR(run(*d, -0.2, {-1}) + 0.2, -0.01 * (1 - 0.8 * 0.2 / 0.5), 1e-7);
}

TEST(SoftBoundsReference, SymmetryPointFormula) {
  // w* = (α⁺ − α⁻)/(α⁺/b_max − α⁻/b_min) with α± = dw_min(1 ± up_down).
  const double dw = 0.01, beta = 0.3, bmax = 1.25, bmin = -0.75;
  const double ap = dw * (1 + beta), am = dw * (1 - beta);
  const double wstar = (ap - am) / (ap / bmax - am / bmin);
  auto d = quiet("soft_bounds_reference",
                 "dw_min: 0.01, up_down: 0.3, w_min: -0.75, w_max: 1.25, "
                 "subtract_symmetry_point: true");
  Rng fab(1, Stream::fabrication);
  DeviceState s = d->fabricate(1, 1, 0.0, fab);
  ASSERT_EQ(s.reference.size(), 1);
  EXPECT_NEAR(s.reference(0, 0), wstar, 1e-6);
  // Alternating up/down pulses settle within one step of w*; the read subtracts it.
  for (int k = 0; k < 3000; ++k) {
    d->apply_pulses(s, PulseArray::Constant(1, 1, 1), Rng(1, Stream::cycle), 2 * k, 0);
    d->apply_pulses(s, PulseArray::Constant(1, 1, -1), Rng(1, Stream::cycle), 2 * k + 1, 0);
  }
  EXPECT_NEAR(s.w(0, 0), wstar, dw);
  Array w;
  d->read_weights(s, w);
  EXPECT_NEAR(w(0, 0), 0.0, dw);
  // The helper agrees on arrays.
  const Array one = Array::Constant(1, 1, 1.0f);
  EXPECT_NEAR(soft_bounds_symmetry_point(ap * one, am * one, ap / bmax * one, -am / bmin * one)(0, 0),
              wstar, 1e-6);
}

TEST(SoftBoundsPmax, ConversionOfHardwareMd56) {
  SoftBoundsPmaxParams p;
  p.p_max = 1000;
  p.alpha = 0.0005;
  p.range_min = -1;
  p.range_max = 1;
  const PulsedParams c = p.converted();
  const double b = 2.0 / (1 - std::exp(-0.5));
  EXPECT_DOUBLE_EQ(c.w_min, -1.0);
  EXPECT_DOUBLE_EQ(c.w_max, -1.0 + b);
  EXPECT_DOUBLE_EQ(c.dw_min, b * 0.0005);
  EXPECT_DOUBLE_EQ(c.up_down, 1 - 2.0 / b);
  // The model uses them: its granularity and range, and a first up pulse from w_min.
  auto d = quiet("soft_bounds_pmax");
  EXPECT_DOUBLE_EQ(d->granularity(), b * 0.0005);
  EXPECT_DOUBLE_EQ(d->nominal_w_max(), -1.0 + b);
  const double up = b * 0.0005 * (1 + c.up_down) * (1 - (-1.0) / (-1.0 + b));
  EXPECT_NEAR(run(*d, -1.0, {1}) + 1.0, up, 1e-6);
  // dw_min is derived, so it is not a key of this model.
  for (const auto& row : device_registry().find("soft_bounds_pmax")->describe())
    EXPECT_NE(row.name, "dw_min");
}

TEST(ExpStep, SingleStepLaw) {
  // z = 2a·w/(b_max − b_min) + b; Δ_up = dw(1 − A_up e^{γ_up z}), Δ_down = −dw(1 − A_down e^{−γ_down z}).
  auto d = quiet("exp_step", "dw_min: 0.01, w_min: -1, w_max: 1");
  const double A_up = 0.00081, A_down = 0.36833, gu = 12.44625, gd = 12.78785, a = 0.244, b = 0.2425;
  for (double w0 : {-0.5, 0.0, 0.4}) {
    const double z = 2 * a * w0 / 2.0 + b;
    EXPECT_NEAR(run(*d, w0, {1}) - w0, 0.01 * std::max(1 - A_up * std::exp(gu * z), 0.0), 2e-7) << w0;
    EXPECT_NEAR(run(*d, w0, {-1}) - w0, -0.01 * std::max(1 - A_down * std::exp(-gd * z), 0.0), 2e-7)
        << w0;
  }
}

TEST(PowStep, SingleStepLaw) {
  // Δ_up = dw·((b_max − w)/(b_max − b_min))^{γ+u}, Δ_down = −dw·((w − b_min)/(b_max − b_min))^{γ−u}.
  auto d = quiet("pow_step", "dw_min: 0.01, pow_gamma: 2, pow_gamma_dtod: 0, pow_up_down: 0.5, "
                             "w_min: -0.6, w_max: 0.6");
  for (double w0 : {-0.3, 0.0, 0.45}) {
    EXPECT_NEAR(run(*d, w0, {1}) - w0, 0.01 * std::pow((0.6 - w0) / 1.2, 2.5), 2e-7) << w0;
    EXPECT_NEAR(run(*d, w0, {-1}) - w0, -0.01 * std::pow((w0 + 0.6) / 1.2, 1.5), 2e-7) << w0;
  }
}

TEST(PiecewiseStep, SingleStepLaw) {
  // Nodes at w = −0.6, −0.2, 0.2, 0.6; factor interpolated linearly.
  auto d = quiet("piecewise_step", "dw_min: 0.01, w_min: -0.6, w_max: 0.6, "
                                   "piecewise_up: [2, 1, 0.5, 0], piecewise_down: [0.2, 1, 1, 3]");
  EXPECT_NEAR(run(*d, 0.0, {1}), 0.01 * 0.75, 1e-7);         // halfway between 1 and 0.5
  EXPECT_NEAR(run(*d, -0.6, {1}) + 0.6, 0.02, 1e-7);         // first node
  EXPECT_NEAR(run(*d, 0.4, {-1}) - 0.4, -0.01 * 2.0, 1e-7);  // halfway between 1 and 3
  EXPECT_NEAR(run(*d, -0.4, {-1}) + 0.4, -0.01 * 0.6, 1e-7); // halfway between 0.2 and 1
  EXPECT_EQ(run(*d, 0.6, {1}), 0.6f);                        // factor 0 at the top
  // A single node is a constant factor.
  auto c = quiet("piecewise_step", "dw_min: 0.01, piecewise_up: [0.5]");
  EXPECT_NEAR(run(*c, 0.2, {1}) - 0.2, 0.005, 1e-7);
}

TEST(Reset, ProgramsTheResetWeight) {
  auto d = make_device(std::string("{type: constant_step, ") + kNoNoise +
                       ", reset: 0.1, reset_dtod: 0, reset_std: 0}");
  Rng fab(1, Stream::fabrication);
  DeviceState s = d->fabricate(4, 4, 0.5, fab);
  PulseArray mask = PulseArray::Zero(4, 4);
  mask(1, 2) = 1;
  d->reset(s, Rng(1, Stream::cycle), 0, 0, 4, &mask);
  EXPECT_FLOAT_EQ(s.w(1, 2), 0.1f);
  EXPECT_FLOAT_EQ(s.w(0, 0), 0.5f);
  d->reset(s, Rng(1, Stream::cycle), 1, 0, 4);
  EXPECT_TRUE((s.w == 0.1f).all());
}

TEST(Lifetime, DecaysGeometricallyPerBatch) {
  // (1 − 1/lifetime)^batches toward the reset weight 0.
  auto d = make_device(std::string("{type: constant_step, ") + kNoNoise + ", lifetime: 100}");
  Rng fab(1, Stream::fabrication);
  DeviceState s = d->fabricate(2, 2, 0.5, fab);
  d->advance(s, 10, 0.0, Rng(1, Stream::cycle), 0);
  EXPECT_NEAR(s.w(0, 0), 0.5 * std::pow(0.99, 10), 1e-6);
}

}  // namespace
}  // namespace xb::hw::test
