// SPDX-License-Identifier: MIT
// Each noise source against its distribution, on large device arrays at fixed seeds.
// Tolerances: 5 standard errors of the estimator at the sample size (device_test_util.h).
#include <gtest/gtest.h>

#include <cmath>
#include <complex>

#include "tests/hw_models/devices/device_test_util.h"

namespace xb::hw::test {
namespace {

constexpr Index R = 256, C = 256;
constexpr double N = double(R * C);

DeviceState fab(const DeviceModel& d, double w0 = 0.0, uint64_t seed = 11) {
  Rng f(seed, Stream::fabrication);
  return d.fabricate(R, C, w0, f);
}

// Weight change of every device after n(i,j) = n pulses from w0.
Array delta(const DeviceModel& d, int n, double w0 = 0.0, uint64_t seed = 11) {
  DeviceState s = fab(d, w0, seed);
  const Array before = s.w;
  d.apply_pulses(s, PulseArray::Constant(R, C, n), Rng(seed, Stream::cycle), 0, 0);
  return s.w - before;
}

TEST(DeviceToDevice, NormalStepSpread) {
  auto d = make_device("{type: constant_step, dw_min: 0.01, dw_min_dtod: 0.2, up_down_dtod: 0}");
  const Moments m = moments(fab(*d).dw_up);
  // |1 + 0.2ξ| = 1 + 0.2ξ except with probability 3e-7.
  EXPECT_NEAR(m.mean, 0.01, tol_mean(4e-6, N));
  EXPECT_NEAR(m.var, 4e-6, tol_var(4e-6, N));
}

TEST(DeviceToDevice, LogNormalStepSpread) {
  auto d = make_device("{type: constant_step, dw_min: 0.01, dw_min_dtod: 0.5, "
                       "dw_min_dtod_log_normal: true, up_down_dtod: 0}");
  const Array lg = (fab(*d).dw_up / 0.01f).log();
  const Moments m = moments(lg);
  EXPECT_NEAR(m.mean, 0.0, tol_mean(0.25, N));
  EXPECT_NEAR(m.var, 0.25, tol_var(0.25, N));
  EXPECT_TRUE((fab(*d).dw_up > 0).all());
}

TEST(DeviceToDevice, BoundsAndUpDownSpread) {
  auto d = make_device("{type: constant_step, dw_min: 0.01, dw_min_dtod: 0, up_down: 0.1, "
                       "up_down_dtod: 0.05, w_max: 0.8, w_max_dtod: 0.1, w_min: -0.5, "
                       "w_min_dtod: 0.2}");
  const DeviceState s = fab(*d);
  const Moments mx = moments(s.w_max), mn = moments(s.w_min);
  EXPECT_NEAR(mx.mean, 0.8, tol_mean(0.0064, N));
  EXPECT_NEAR(mx.var, 0.0064, tol_var(0.0064, N));
  EXPECT_NEAR(mn.mean, -0.5, tol_mean(0.01, N));
  EXPECT_NEAR(mn.var, 0.01, tol_var(0.01, N));
  // β = (dw_up − dw_down)/(2 dw_min) ~ N(0.1, 0.05²).
  const Moments b = moments(Array((s.dw_up - s.dw_down) / 0.02f));
  EXPECT_NEAR(b.mean, 0.1, tol_mean(0.0025, N));
  EXPECT_NEAR(b.var, 0.0025, tol_var(0.0025, N));
}

TEST(CycleToCycle, MultiplicativeOnePulseAndSummedPulses) {
  // One pulse: Δ = dw(1 + σξ). Nine pulses (constant-step fast path): 9dw + 3σdw·ξ.
  auto d = make_device("{type: constant_step, dw_min: 0.001, dw_min_dtod: 0, up_down_dtod: 0, "
                       "dw_min_std: 0.5}");
  const double v1 = 0.25e-6;
  Moments m = moments(delta(*d, 1));
  EXPECT_NEAR(m.mean, 0.001, tol_mean(v1, N));
  EXPECT_NEAR(m.var, v1, tol_var(v1, N));
  m = moments(delta(*d, 9));
  EXPECT_NEAR(m.mean, 0.009, tol_mean(9 * v1, N));
  EXPECT_NEAR(m.var, 9 * v1, tol_var(9 * v1, N));
  EXPECT_NEAR(m.kurtosis, 3.0, 5 * std::sqrt(96.0 / N));
  // The same nine pulses through the sequential loop (linear_step with γ = 0) agree.
  auto seq = make_device("{type: linear_step, dw_min: 0.001, dw_min_dtod: 0, up_down_dtod: 0, "
                         "dw_min_std: 0.5, gamma_up_dtod: 0, gamma_down_dtod: 0}");
  m = moments(delta(*seq, -9));
  EXPECT_NEAR(m.mean, -0.009, tol_mean(9 * v1, N));
  EXPECT_NEAR(m.var, 9 * v1, tol_var(9 * v1, N));
}

TEST(CycleToCycle, FastPathNearTheBoundMatchesSequentialClipping) {
  // Devices 3 steps below w_max get 10 up pulses: the clipped walk, not the Gaussian sum.
  const std::string common = "dw_min: 0.01, dw_min_dtod: 0, up_down_dtod: 0, dw_min_std: 0.3, "
                             "w_max: 0.6, w_max_dtod: 0";
  auto fast = make_device("{type: constant_step, " + common + "}");
  auto seq = make_device("{type: linear_step, gamma_up_dtod: 0, gamma_down_dtod: 0, " + common + "}");
  const Moments a = moments(delta(*fast, 10, 0.57)), b = moments(delta(*seq, 10, 0.57));
  EXPECT_NEAR(a.mean, 0.03, 1e-4);  // almost every device ends at the bound
  EXPECT_NEAR(a.mean, b.mean, 2 * tol_mean(std::max(a.var, 1e-12), N));
}

TEST(CycleToCycle, Additive) {
  // mult_noise false: Δ = dw_ij + σ·dw_min·ξ, whatever the device's own step.
  auto d = make_device("{type: constant_step, dw_min: 0.001, dw_min_dtod: 0.3, up_down_dtod: 0, "
                       "dw_min_std: 2.0, mult_noise: false}");
  DeviceState s = fab(*d);
  const Array before = s.w;
  d->apply_pulses(s, PulseArray::Constant(R, C, 1), Rng(11, Stream::cycle), 0, 0);
  const Array noise = (s.w - before - s.dw_up) / 0.001f;
  const Moments m = moments(noise);
  EXPECT_NEAR(m.mean, 0.0, tol_mean(4.0, N));
  EXPECT_NEAR(m.var, 4.0, tol_var(4.0, N));
}

TEST(CycleToCycle, StudentT) {
  // ξ = t_ν·sqrt((ν−2)/ν): unit variance, kurtosis 3 + 6/(ν − 4) = 9 at ν = 5.
  auto d = make_device("{type: linear_step, dw_min: 0.001, dw_min_dtod: 0, up_down_dtod: 0, "
                       "gamma_up_dtod: 0, dw_min_std: 1.0, mult_noise: false, "
                       "c2c_noise: student_t, c2c_nu: 5}");
  const Array xi = (delta(*d, 1) - 0.001f) / 0.001f;
  const Moments m = moments(xi);
  EXPECT_NEAR(m.mean, 0.0, tol_mean(1.0, N));
  EXPECT_NEAR(m.var, 1.0, tol_var(1.0, N, 9.0));
  EXPECT_GT(m.kurtosis, 4.5);  // a Gaussian would give 3 ± 0.05
}

TEST(CycleToCycle, AlphaStableCharacteristicFunction) {
  // ξ ~ S_α(1, θ, 0): E e^{itξ} = exp{−|t|^α(1 − iθ sgn(t) tan(πα/2))}. Each empirical
  // cos/sin mean has standard error ≤ 1/sqrt(N).
  const double alpha = 1.5, theta = 0.5;
  auto d = make_device("{type: constant_step, dw_min: 0.001, dw_min_dtod: 0, up_down_dtod: 0, "
                       "dw_min_std: 1.0, mult_noise: false, w_min: -1000, w_max: 1000, "
                       "c2c_noise: alpha_stable, c2c_alpha: 1.5, c2c_theta: 0.5}");
  const Eigen::ArrayXd xi = ((delta(*d, 1).cast<double>() - 0.001) / 0.001).reshaped();
  for (double t : {-2.0, -0.5, 0.3, 1.0, 2.0}) {
    const std::complex<double> expect = std::exp(
        -std::pow(std::abs(t), alpha) *
        std::complex<double>(1.0, -theta * (t > 0 ? 1 : -1) * std::tan(M_PI * alpha / 2)));
    EXPECT_NEAR((t * xi).cos().mean(), expect.real(), 5 / std::sqrt(N)) << t;
    EXPECT_NEAR((t * xi).sin().mean(), expect.imag(), 5 / std::sqrt(N)) << t;
  }
}

TEST(CycleToCycle, AlphaStableZeroMeanAboveOne) {
  // S1 convention: mean 0 for α > 1. The sample mean of N draws is S_α(N^{1/α − 1}, θ, 0),
  // scale 0.0103 at α = 1.7, N = 65536; the S0 form would be off by −θ tan(πα/2) = 0.51.
  auto d = make_device("{type: constant_step, dw_min: 0.001, dw_min_dtod: 0, up_down_dtod: 0, "
                       "dw_min_std: 1.0, mult_noise: false, w_min: -1000, w_max: 1000, "
                       "c2c_noise: alpha_stable, c2c_alpha: 1.7, c2c_theta: 1.0}");
  const Array xi = (delta(*d, 1) - 0.001f) / 0.001f;
  EXPECT_NEAR(xi.cast<double>().mean(), 0.0, 0.1);
}

TEST(WriteNoise, ApparentMinusHiddenIsGaussian) {
  // apparent − hidden ~ N(0, (write_noise_std·dw_min)²) on written devices.
  auto d = make_device("{type: constant_step, dw_min: 0.001, write_noise_std: 3}");
  DeviceState s = fab(*d);
  d->apply_pulses(s, PulseArray::Constant(R, C, 2), Rng(11, Stream::cycle), 0, 0);
  const Moments m = moments(Array(s.w_apparent - s.w));
  EXPECT_NEAR(m.mean, 0.0, tol_mean(9e-6, N));
  EXPECT_NEAR(m.var, 9e-6, tol_var(9e-6, N));
  Array w;
  d->read_weights(s, w);
  EXPECT_TRUE((w == s.w_apparent).all());
}

TEST(Faults, StuckFractionAndValues) {
  auto d = make_device("{type: constant_step, stuck_fraction: 0.1, stuck_at: min}");
  DeviceState s = fab(*d);
  const double frac = s.stuck.cast<double>().mean();
  EXPECT_NEAR(frac, 0.1, 5 * std::sqrt(0.09 / N));
  d->apply_pulses(s, PulseArray::Constant(R, C, 5), Rng(11, Stream::cycle), 0, 0);
  Array w;
  d->read_weights(s, w);
  EXPECT_TRUE(((s.stuck == 0) || (w == s.w_min)).all());
  EXPECT_TRUE(((s.stuck != 0) || (w == s.w)).all());
  // random: uniform over each device's range.
  auto r = make_device("{type: constant_step, stuck_fraction: 1, stuck_at: random}");
  const DeviceState sr = fab(*r);
  const Moments u = moments(Array((sr.stuck_value - sr.w_min) / (sr.w_max - sr.w_min)));
  EXPECT_NEAR(u.mean, 0.5, tol_mean(1.0 / 12, N));
  EXPECT_NEAR(u.var, 1.0 / 12, tol_var(1.0 / 12, N, 1.8));
}

TEST(Quantization, ReadsOnlyTheLevels) {
  auto d = make_device("{type: constant_step, w_min_dtod: 0, w_max_dtod: 0, n_levels: 5}");
  DeviceState s = fab(*d);
  d->apply_pulses(s, PulseArray::Constant(R, C, 37), Rng(11, Stream::cycle), 0, 0);
  Array w;
  d->read_weights(s, w);
  // Levels −0.6, −0.3, 0, 0.3, 0.6; each read is the level nearest the hidden weight.
  const Array lvl = (w + 0.6f) / 0.3f;
  EXPECT_LT((lvl - lvl.round()).abs().maxCoeff(), 1e-5);
  EXPECT_LE((w - s.w).abs().maxCoeff(), 0.15f + 1e-6f);
}

TEST(Drift, PowerLaw) {
  // w·(t/t0)^−ν: no drift before t0; ν ~ N(ν̄, (ν̄·dtod)²) across devices.
  auto d = make_device("{type: constant_step, drift_nu: 0.05, drift_nu_dtod: 0.2}");
  DeviceState s = fab(*d, 0.5);
  Array w;
  s.age_s = 10;
  d->read_weights(s, w);
  EXPECT_TRUE((w == s.w).all());
  s.age_s = 2000;  // t/t0 = 100
  d->read_weights(s, w);
  const Array nu = -(w / s.w).log() / std::log(100.0f);
  const Moments m = moments(nu);
  EXPECT_NEAR(m.mean, 0.05, tol_mean(1e-4, N));
  EXPECT_NEAR(m.var, 1e-4, tol_var(1e-4, N));
}

TEST(ReadNoise, AdditiveAndPcm) {
  auto a = make_device("{type: constant_step, read_noise_std: 0.02}");
  DeviceState s = fab(*a, 0.3);
  Array w;
  a->read_weights(s, w);
  const Rng read(1, Stream::read);
  a->add_read_noise(s, w, read, 0);
  Moments m = moments(Array(w - s.w));
  EXPECT_NEAR(m.mean, 0.0, tol_mean(4e-4, N));
  EXPECT_NEAR(m.var, 4e-4, tol_var(4e-4, N));
  // PCM 1/f: σ = |w|·min(0.0088/(|w|/g_ref)^0.65, 0.2)·sqrt(ln((t + t_r)/(2t_r))), t = 20 s.
  auto p = make_device("{type: constant_step, w_min_dtod: 0, w_max_dtod: 0, read_noise: pcm, "
                       "read_noise_std: 1}");
  s = fab(*p, 0.3);
  p->read_weights(s, w);
  p->add_read_noise(s, w, read, 1);
  const double sd = 0.3 * std::min(0.0088 / std::pow(0.5, 0.65), 0.2) *
                    std::sqrt(std::log((20 + 250e-9) / (2 * 250e-9)));
  m = moments(Array(w - s.w));
  EXPECT_NEAR(m.var, sd * sd, tol_var(sd * sd, N));
}

TEST(Diffusion, RandomWalkPerBatch) {
  // std·sqrt(batches) per call, per device std = diffusion (dtod 0).
  auto d = make_device("{type: constant_step, diffusion: 0.001, w_min: -10, w_max: 10}");
  DeviceState s = fab(*d);
  d->advance(s, 4, 0.0, Rng(11, Stream::cycle), 0);
  const Moments m = moments(s.w);
  EXPECT_NEAR(m.var, 4e-6, tol_var(4e-6, N));
}

}  // namespace
}  // namespace xb::hw::test
