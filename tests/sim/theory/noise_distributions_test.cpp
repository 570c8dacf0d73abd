// SPDX-License-Identifier: MIT
// alpha-stable and Student-t samplers (P51 in docs/theory.md) and the estimator noise of
// [G23] eq. 1 (P1). Tolerances: k standard errors of the sample statistic for the sample
// size used (k stated at each check), with fixed seeds.
#include <gtest/gtest.h>

#include <cmath>
#include <algorithm>
#include <complex>
#include <vector>

#include "hw_models/core/distributions.h"
#include "learning_rules/noise.h"

namespace xb {
namespace {

constexpr double kPi = 3.14159265358979323846;

std::vector<double> draws(double alpha, double theta, int n, uint64_t seed) {
  Rng r(seed, Stream::estimator);
  std::vector<double> x(static_cast<std::size_t>(n));
  fill_alpha_stable(r, alpha, theta, x.data(), n);
  return x;
}

// S1 characteristic function, sigma = 1, mu = 0.
std::complex<double> stable_cf(double t, double alpha, double theta) {
  const double a = std::pow(std::abs(t), alpha);
  const double sg = t > 0 ? 1.0 : (t < 0 ? -1.0 : 0.0);
  if (alpha == 1.0)
    return std::exp(std::complex<double>(-a, -a * theta * 2.0 / kPi * sg * std::log(std::abs(t))));
  return std::exp(std::complex<double>(-a, a * theta * sg * std::tan(kPi * alpha / 2.0)));
}

// |phi_hat - phi| has per-component standard error <= 1/sqrt(n); 5 s.e. per component.
TEST(AlphaStable, CharacteristicFunctionMatchesS1) {
  const int n = 200000;
  const double tol = 5.0 * std::sqrt(2.0 / n);
  const double cases[][2] = {{1.1, 0.9}, {1.5, 0.8}, {1.9, -0.5}, {1.0, 0.5}, {0.7, -0.3},
                             {2.0, 0.0}};
  uint64_t seed = 11;
  for (const auto& c : cases) {
    const std::vector<double> x = draws(c[0], c[1], n, seed++);
    for (double t : {-1.0, 0.5, 1.0, 2.0}) {
      std::complex<double> phi(0, 0);
      for (double v : x) phi += std::exp(std::complex<double>(0, t * v));
      phi /= double(n);
      EXPECT_LT(std::abs(phi - stable_cf(t, c[0], c[1])), tol)
          << "alpha=" << c[0] << " theta=" << c[1] << " t=" << t;
    }
  }
}

// alpha = 2 is N(0, 2): variance 2, s.e. sqrt(Var X^2 / n) = sqrt(8 / n); 5 s.e.
TEST(AlphaStable, AlphaTwoIsNormalWithVarianceTwo) {
  const int n = 400000;
  const std::vector<double> x = draws(2.0, 0.7, n, 3);  // theta has no effect at alpha = 2
  double s2 = 0;
  for (double v : x) s2 += v * v;
  EXPECT_NEAR(s2 / n, 2.0, 5.0 * std::sqrt(8.0 / n));
}

// Zero mean for alpha > 1 (S1). The sample mean of n stable draws is n^(1/a - 1) times a
// stable variable of unit scale; we allow 20 of those units (|S| > 20 has probability < 1 %).
// The S0 parametrisation would put the mean at -theta tan(pi a / 2), far outside.
TEST(AlphaStable, ZeroMeanAboveAlphaOne) {
  const int n = 400000;
  for (const auto& c : std::vector<std::pair<double, double>>{{1.5, 0.8}, {1.9, 0.9}, {1.3, -1.0}}) {
    const std::vector<double> x = draws(c.first, c.second, n, 5);
    double m = 0;
    for (double v : x) m += v;
    m /= n;
    const double tol = 20.0 * std::pow(double(n), 1.0 / c.first - 1.0);
    EXPECT_NEAR(m, 0.0, tol) << "alpha=" << c.first;
    EXPECT_GT(std::abs(c.second * std::tan(kPi * c.first / 2)), tol);  // S0 would fail
  }
}

// Median of S_1.5(1, 0.8, 0) = -0.577 (P51; SciPy's levy_stable gives the same); the sample median
// has s.e. 1/(2 p(m) sqrt(n)) with p(m) ~ 0.25, i.e. 0.003 at n = 1e5; tolerance 0.02.
TEST(AlphaStable, MedianOfSkewedLaw) {
  std::vector<double> x = draws(1.5, 0.8, 100000, 9);
  std::nth_element(x.begin(), x.begin() + 50000, x.end());
  EXPECT_NEAR(x[50000], -0.577, 0.02);
}

// Unit variance; for nu = 6 Var(X^2) = kurtosis - 1 = 3 + 6/(nu - 4) - 1 = 5; 5 s.e.
TEST(StudentT, UnitVarianceAndZeroMean) {
  Rng r(21, Stream::estimator);
  const int n = 400000;
  std::vector<double> x(n);
  fill_student_t_unit(r, 6.0, x.data(), n);
  double m = 0, s2 = 0;
  for (double v : x) m += v, s2 += v * v;
  EXPECT_NEAR(m / n, 0.0, 5.0 / std::sqrt(double(n)));
  EXPECT_NEAR(s2 / n, 1.0, 5.0 * std::sqrt(5.0 / n));
}

Config yaml(const std::string& s) { return Config::from_string(s, "test.yaml"); }

rules::EstimatorNoiseParams read_noise(Config& c) {
  return rules::EstimatorNoiseParams::read(Scope(c, "rule"));
}

// E[n_i^2] = 1/N and E[n_i n_j] = 0 for every law of finite variance (P1); 6 s.e. of the
// mean of n_i^2 (Var(n_i^2) <= 8/N^2 for the laws tested).
TEST(EstimatorNoise, SecondMomentsAreIdentityOverN) {
  const Index dim = 8;
  const int draws_n = 40000;
  for (const std::string law : {"gaussian", "sphere", "student_t"}) {
    Config c = yaml("rule: {noise: " + law + ", nu: 6, sigma: 1}");
    rules::EstimatorNoise noise(read_noise(c), dim, Rng(1, Stream::estimator, 9));
    MatrixD m = MatrixD::Zero(dim, dim);
    VectorD n;
    const Rng r(2, Stream::estimator);
    for (int k = 0; k < draws_n; ++k) {
      noise.sample(r, uint64_t(k), n);
      m += n * n.transpose();
      if (law == "sphere") {
        ASSERT_NEAR(n.norm(), 1.0, 1e-12);
      }
    }
    m /= draws_n;
    const double tol = 6.0 * std::sqrt(8.0 / draws_n) / dim;
    EXPECT_LT((m - MatrixD::Identity(dim, dim) / dim).cwiseAbs().maxCoeff(), tol) << law;
  }
}

TEST(EstimatorNoise, AlphaTwoMatchesGaussianScale) {
  Config c = yaml("rule: {noise: alpha_stable, alpha: 2.0, theta: 0.0}");
  rules::EstimatorNoise noise(read_noise(c), 4, Rng(1, Stream::estimator));
  double s2 = 0;
  VectorD n;
  const int draws_n = 50000;
  for (int k = 0; k < draws_n; ++k) {
    noise.sample(Rng(3, Stream::estimator), uint64_t(k), n);
    s2 += n.squaredNorm();
  }
  // E||n||^2 = 1, Var ||n||^2 = 2/N for Gaussian n: 6 s.e.
  EXPECT_NEAR(s2 / draws_n, 1.0, 6.0 * std::sqrt(0.5 / draws_n));
}

TEST(EstimatorNoise, AntitheticPairsCancelAndDiffer) {
  Config c = yaml("rule: {sampling: antithetic}");
  rules::EstimatorNoise noise(read_noise(c), 5, Rng(1, Stream::estimator));
  const Rng r(4, Stream::estimator);
  VectorD a, b, d;
  noise.sample(r, 6, a);
  noise.sample(r, 7, b);
  noise.sample(r, 8, d);
  EXPECT_LT((a + b).norm(), 1e-15);
  EXPECT_GT((a - d).norm(), 1e-3);
}

TEST(EstimatorNoise, BetaAndSizeScaling) {
  {
    Config c = yaml("rule: {b: 0.5, sigma: 0, beta: [3, 0, 4]}");
    rules::EstimatorNoise noise(read_noise(c), 3, Rng(1, Stream::estimator));
    EXPECT_NEAR(noise.beta().norm(), std::sqrt(3.0), 1e-14);
    EXPECT_NEAR(noise.beta()[0] / noise.beta()[2], 0.75, 1e-14);
    VectorD p;
    noise.perturbation(Rng(1, Stream::estimator), 0, p);  // sigma = 0: pure bias
    EXPECT_LT((p - 0.5 * noise.beta()).norm(), 1e-15);
  }
  {
    Config c = yaml("rule: {beta: random, f_of_n: power, f_power: 1.5}");
    rules::EstimatorNoise noise(read_noise(c), 16, Rng(1, Stream::estimator));
    EXPECT_NEAR(noise.beta().norm(), 4.0, 1e-13);
    EXPECT_GT((noise.beta() - VectorD::Ones(16)).norm(), 0.1);
    EXPECT_DOUBLE_EQ(noise.f(), 64.0);
  }
  EXPECT_DOUBLE_EQ(rules::f_of_n("sqrt(N)", 0, 9), 3.0);
  EXPECT_DOUBLE_EQ(rules::f_of_n("N", 0, 9), 9.0);
  EXPECT_DOUBLE_EQ(rules::f_of_n("1", 0, 9), 1.0);
}

TEST(EstimatorNoise, BadInputNamesKey) {
  for (const std::string bad : {"rule: {noise: cauchy}", "rule: {alpha: 2.5}",
                                "rule: {beta: [0, 0]}", "rule: {nu: 2}", "rule: {sigma: -1}"}) {
    Config c = yaml(bad);
    try {
      read_noise(c);
      ADD_FAILURE() << bad;
    } catch (const ConfigError& e) {
      EXPECT_NE(std::string(e.what()).find("test.yaml: rule."), std::string::npos) << e.what();
    }
  }
  Config c = yaml("rule: {beta: [1, 2]}");
  EXPECT_THROW(rules::EstimatorNoise(read_noise(c), 3, Rng(1, Stream::estimator)), ConfigError);
}

}  // namespace
}  // namespace xb
