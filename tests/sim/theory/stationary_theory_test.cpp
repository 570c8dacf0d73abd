// SPDX-License-Identifier: MIT
// EXACT checks of the discrete-time stationary theory (P23–P50 in docs/theory.md): the
// vectorised Lyapunov solver against the closed forms and the reference values (the papers' own,
// or independent NumPy computations; docs/structured-noise.md). Reference values are
// rounded to 4–5 significant digits, hence the 1e-3 relative tolerances on them; solver vs
// closed form is machine precision (1e-9).
#include <gtest/gtest.h>

#include <Eigen/Eigenvalues>
#include <array>
#include <cmath>

#include "hw_models/core/rng.h"
#include "sim/theory/closed_forms.h"
#include "sim/theory/lyapunov.h"

namespace xb::sim::theory {
namespace {

MatrixD m1(double v) { return MatrixD::Constant(1, 1, v); }
MatrixD diag(std::initializer_list<double> v) {
  VectorD d(Index(v.size()));
  Index i = 0;
  for (double x : v) d[i++] = x;
  return d.asDiagonal();
}

double exact_1d(double lr, double k, double mu, double c) {
  return stationary_covariance(m1(lr), m1(k), mu, NoiseCovariance(m1(c))).sigma(0, 0);
}

// Label-noise minibatch covariance, online Gaussian inputs ([Z22] Lemma 1, P22):
// C = (1/S)(A Σ A + Tr[A Σ] A + σ² A).
NoiseCovariance label_noise(const MatrixD& a, double sigma2, double s) {
  NoiseCovariance c(sigma2 / s * a);
  c.add_sandwich(1.0 / s, a);
  c.add_trace(1.0 / s, a, a);
  return c;
}

// P35–P37: 1-D SGD and momentum with white noise (k = c = 1).
TEST(Lyapunov, OneDimensionalSgdAndMomentum) {
  const double sgd[][2] = {{0.5, 1.0 / 3}, {1.0, 1.0}, {1.5, 3.0}, {1.9, 19.0}};
  for (const auto& c : sgd) {
    EXPECT_NEAR(exact_1d(c[0], 1, 0, 1), c[1], 1e-9 * c[1]);
    EXPECT_NEAR(l21_sigma_commuting(c[0], m1(1), 0, m1(1))(0, 0), c[1], 1e-9 * c[1]);
    // Continuous theory λ/2: always below the discrete value (P35).
    EXPECT_LT(lyapunov_continuous(c[0], m1(1), 0, m1(1))(0, 0), c[1]);
  }
  const double mom[][2] = {{0.45, 48.33}, {0.6, 24.44}, {0.8, 29.12}};
  for (const auto& c : mom) {
    const double ex = exact_1d(2.75, 1, c[0], 1);
    EXPECT_NEAR(ex, c[1], 1e-3 * c[1]) << "mu=" << c[0];
    EXPECT_NEAR(l21_sigma_commuting(2.75, m1(1), c[0], m1(1))(0, 0), ex, 1e-9 * ex);
    EXPECT_NEAR(lyapunov_l21(m1(2.75), m1(1), c[0], m1(1))(0, 0), ex, 1e-9 * ex);
  }
}

// P41: at λk = 2.75 the variance diverges as μ ↓ 0.375.
TEST(Lyapunov, StabilityEdgeWithMomentum) {
  NoiseCovariance c(m1(1));
  EXPECT_FALSE(stationary_covariance(m1(2.75), m1(1), 0.37, c).stable);
  EXPECT_TRUE(stationary_covariance(m1(2.75), m1(1), 0.38, c).stable);
  EXPECT_FALSE(stationary_covariance(m1(2.01), m1(1), 0.0, c).stable);
  EXPECT_TRUE(stationary_covariance(m1(1.99), m1(1), 0.0, c).stable);
}

// P37 non-commuting 2-D and P40 training error: K = diag(1, 0.1), C = R diag(1, 0.2) R^T.
TEST(Lyapunov, NonCommutingTwoDimensional) {
  const double th = 0.6;
  MatrixD r(2, 2);
  r << std::cos(th), -std::sin(th), std::sin(th), std::cos(th);
  const MatrixD k = diag({1, 0.1}), c = r * diag({1, 0.2}) * r.transpose();
  struct Case {
    double lr, mu, s00, s01, s11, train;
  };
  const Case cases[] = {{1.5, 0.0, 2.2348, 0.5887, 3.6897, 1.3019},
                        {1.0, 0.5, 1.1174, 0.3528, 4.7075, 0.7941},
                        {2.5, 0.6, 10.642, 0.4095, 15.426, 6.0923}};
  for (const Case& cs : cases) {
    const MatrixD lr = cs.lr * MatrixD::Identity(2, 2);
    const StationaryMoments m = stationary_covariance(lr, k, cs.mu, NoiseCovariance(c));
    ASSERT_TRUE(m.stable);
    EXPECT_NEAR(m.sigma(0, 0), cs.s00, 2e-4 * cs.s11);
    EXPECT_NEAR(std::abs(m.sigma(0, 1)), cs.s01, 2e-4 * cs.s11);
    EXPECT_NEAR(m.sigma(1, 1), cs.s11, 2e-4 * cs.s11);
    EXPECT_LT((lyapunov_l21(lr, k, cs.mu, c) - m.sigma).norm(), 1e-9 * m.sigma.norm());
    const double train = 0.5 * (k * m.sigma).trace();
    EXPECT_NEAR(train, cs.train, 2e-4 * cs.train);
    EXPECT_NEAR(l21_train_error(cs.lr, k, cs.mu, c), train, 1e-9 * train);
  }
}

// P38 (matrix learning rate, [L21] eq. 9) and P50 (damped Newton): random SPD Λ, K, C (D = 3).
TEST(Lyapunov, MatrixLearningRateAndNewton) {
  Rng rng(5, Stream::init);
  auto spd = [&](double scale) {
    MatrixD g(3, 3);
    rng.fill_normal(g.data(), 9);
    return MatrixD(scale * (g * g.transpose() / 3.0 + 0.3 * MatrixD::Identity(3, 3)));
  };
  for (int trial = 0; trial < 5; ++trial) {
    const MatrixD k = spd(1.0), c = spd(1.0);
    Eigen::SelfAdjointEigenSolver<MatrixD> ek(k);
    const MatrixD lr = spd(0.3 / ek.eigenvalues().maxCoeff());
    for (double mu : {0.0, 0.3, 0.7}) {
      const StationaryMoments m = stationary_covariance(lr, k, mu, NoiseCovariance(c));
      ASSERT_TRUE(m.stable);
      EXPECT_LT((lyapunov_l21(lr, k, mu, c) - m.sigma).norm(), 1e-8 * m.sigma.norm())
          << "trial " << trial << " mu " << mu;
      const double l = 0.7;
      const StationaryMoments dn =
          stationary_covariance(l * k.inverse(), k, mu, NoiseCovariance(c));
      EXPECT_LT((l21_dnm_sigma(l, k, mu, c) - dn.sigma).norm(), 1e-8 * dn.sigma.norm());
    }
  }
}

// P39: C = σ² I + a K gives Σ = λ (σ² I + a K) [K (2I - λK)]^{-1}; P42: the precision for white
// noise is K(2I - λK)/(σ² λ) (a negative λK²/2 correction to the continuous 2K/(σ²λ)).
TEST(Lyapunov, MixedWhiteAndHessianNoise) {
  const MatrixD k = diag({2.0, 0.5, 0.1}), id = MatrixD::Identity(3, 3);
  for (double lr : {0.1, 0.5, 0.9}) {
    for (double a : {0.0, 0.7}) {
      const MatrixD c = 0.4 * id + a * k;
      const MatrixD want = lr * c * (k * (2 * id - lr * k)).inverse();
      const MatrixD got = stationary_covariance(lr * id, k, 0, NoiseCovariance(c)).sigma;
      EXPECT_LT((got - want).norm(), 1e-10 * want.norm());
    }
    const MatrixD prec = stationary_covariance(lr * id, k, 0, NoiseCovariance(id)).sigma.inverse();
    EXPECT_LT((prec - (2.0 / lr) * (k - lr / 2 * k * k)).norm(), 1e-9 * prec.norm());
  }
}

// P43: state-dependent noise C = c0 + c K Σ K, 1-D: Σ = λ c0 / (k(2 - λk) - λ c k²).
TEST(Lyapunov, StateDependentNoise) {
  const double lr = 0.8, k = 1.5, c0 = 0.3, c = 0.4;
  NoiseCovariance nc(m1(c0));
  nc.add_sandwich(c, m1(k));
  const StationaryMoments m = stationary_covariance(m1(lr), m1(k), 0, nc);
  EXPECT_NEAR(m.sigma(0, 0), lr * c0 / (k * (2 - lr * k) - lr * c * k * k), 1e-12);
  nc.add_sandwich(2.0, m1(k));  // λ c k² > k(2 - λk): no stationary state
  EXPECT_FALSE(stationary_covariance(m1(lr), m1(k), 0, nc).stable);
}

// P23, P26, P33: [Z22] label-noise fluctuation (exact Lyapunov with state-dependent C vs eq. 6).
TEST(Z22, LabelNoiseFluctuation) {
  struct Case {
    double lr, mu, want;
  };
  for (const Case& cs : {Case{0.5, 0, 0.0357}, Case{1.0, 0, 0.1250}, Case{1.4, 0, 0.4375},
                         Case{0.5, 0.5, 0.0682}, Case{1.0, 0.3, 0.1512}}) {
    const double ex =
        stationary_covariance(m1(cs.lr), m1(1), cs.mu, label_noise(m1(1), 1, 10)).sigma(0, 0);
    EXPECT_NEAR(ex, cs.want, 1.5e-3 * cs.want) << cs.lr << " " << cs.mu;
    EXPECT_NEAR(z22_label_sigma(cs.lr, m1(1), 1, 10, cs.mu)(0, 0), ex, 1e-9 * ex);
    if (cs.mu == 0) {
      EXPECT_NEAR(ex, cs.lr / (20 - cs.lr * 12), 1e-12);  // 1-D closed form
    }
  }
  // Divergence at λ = 2S / (a(S + 2)) = 1.6667.
  EXPECT_TRUE(stationary_covariance(m1(1.66), m1(1), 0, label_noise(m1(1), 1, 10)).stable);
  EXPECT_FALSE(stationary_covariance(m1(1.67), m1(1), 0, label_noise(m1(1), 1, 10)).stable);
  EXPECT_TRUE(std::isinf(z22_label_sigma(1.67, m1(1), 1, 10, 0)(0, 0)));
  // 2-D, A = diag(1, 0.5), λ = 1.5.
  const MatrixD a = diag({1, 0.5});
  for (const auto& cs : {std::array<double, 3>{50, 0.06908, 0.02629},
                         std::array<double, 3>{10, 0.8443, 0.2515}}) {
    const MatrixD ex = stationary_covariance(1.5 * MatrixD::Identity(2, 2), a, 0,
                                             label_noise(a, 1, cs[0]))
                           .sigma;
    EXPECT_NEAR(ex(0, 0), cs[1], 1e-3 * cs[1]);
    EXPECT_NEAR(ex(1, 1), cs[2], 1e-3 * cs[2]);
    EXPECT_NEAR(ex(0, 1), 0.0, 1e-12);
    EXPECT_LT((z22_label_sigma(1.5, a, 1, cs[0], 0) - ex).norm(), 1e-9 * ex.norm());
    // P24 ordering at S = 10: continuous < discrete Hessian approximation < exact.
    if (cs[0] == 10) {
      const MatrixD disc = 1.5 / 10 * (2 * MatrixD::Identity(2, 2) - 1.5 * a).inverse();
      EXPECT_LT(1.5 / 20, disc(0, 0));
      EXPECT_LT(disc(0, 0), ex(0, 0));
      EXPECT_LT(disc(1, 1), ex(1, 1));
    }
  }
  // P26: a = 1, S = 10, λ = 1, σ = 1: test 0.0625, train 0.5625.
  const double test = z22_label_test_loss(1.0, m1(1), 1, 10, 0);
  EXPECT_NEAR(test, 0.0625, 1e-12);
  EXPECT_NEAR(test + 0.5, 0.5625, 1e-12);
  // P33: λ–S scaling fails at λa = 0.5, S = 2 (factor 2) but holds at λa = 0.01, S = 100.
  EXPECT_NEAR(z22_label_sigma(0.5, m1(1), 1, 2, 0)(0, 0), 0.25, 1e-12);
  EXPECT_NEAR(z22_label_sigma(1.0, m1(1), 1, 4, 0)(0, 0), 0.5, 1e-12);
  EXPECT_NEAR(z22_label_sigma(0.01, m1(1), 1, 100, 0)(0, 0), 5.026e-5, 1e-3 * 5.026e-5);
  EXPECT_NEAR(z22_label_sigma(0.02, m1(1), 1, 200, 0)(0, 0), 5.051e-5, 1e-3 * 5.051e-5);
}

// P32: damped Newton under label noise, Σ = λσ²/(gS - λD) A^{-1}.
TEST(Z22, DampedNewtonLabelNoise) {
  const MatrixD a = diag({2.0, 1.0, 0.5, 0.3, 0.1});
  const double lr = 0.5, s = 20, d = 5;
  for (double mu : {0.0, 0.5}) {
    const double g = 2 * (1 - mu) - ((1 - mu) / (1 + mu) + 1 / s) * lr;
    const MatrixD want = lr / (g * s - lr * d) * a.inverse();
    const MatrixD got =
        stationary_covariance(lr * a.inverse(), a, mu, label_noise(a, 1, s)).sigma;
    EXPECT_LT((got - want).norm(), 1e-9 * want.norm()) << mu;
  }
}

// P28 (L2, incl. negative) and P29 (negative optimal weight decay): the exact Lyapunov solution
// for the online regression noise with a shifted minimum agrees with the 1-D closed form.
double l2_test_loss_exact(double a, double gamma, double u, double lr, double s) {
  const double k = a + gamma, wstar = a * u / k, dv = wstar - u;
  // Per-sample gradient x x (e + dv) + γ w: C = (1/S)[a²(Σ+dv²) + a(aΣ + a dv²)] (σ = 0).
  NoiseCovariance c(m1(2 * a * a * dv * dv / s));
  c.add_sandwich(1.0 / s, m1(a));
  c.add_trace(1.0 / s, m1(a), m1(a));
  const StationaryMoments m = stationary_covariance(m1(lr), m1(k), 0, c);
  if (!m.stable) return INFINITY;
  return 0.5 * a * (m.sigma(0, 0) + dv * dv);
}

TEST(Z22, L2RegularisationTestLoss) {
  struct Case {
    double a, g, u, lr, s, want;
  };
  for (const Case& cs : {Case{1, 0.5, 1, 0.5, 1, 5.0 / 42}, Case{1, -0.2, 1, 0.5, 1, 1.0 / 7},
                         Case{1, 0.3, 1, 0.3, 10, 0.0274131}}) {
    // Quoted to 6 significant digits.
    const double closed = z22_l2_test_loss_1d(cs.a, cs.g, cs.u, cs.lr, cs.s);
    EXPECT_NEAR(closed, cs.want, 5e-6 * cs.want);
    EXPECT_NEAR(l2_test_loss_exact(cs.a, cs.g, cs.u, cs.lr, cs.s), closed, 1e-12);
  }
}

TEST(Z22, NegativeOptimalWeightDecay) {
  struct Case {
    double s, lr, gamma, loss;
  };
  for (const Case& cs : {Case{10, 1.8, -0.170, 0.1469}, Case{100, 2.5, -0.265, 0.1118},
                         Case{4, 1.40, -0.241, NAN}}) {
    double best = 0;
    const double g = z22_optimal_gamma_1d(1, 1, cs.lr, cs.s, &best);
    EXPECT_NEAR(g, cs.gamma, 1.5e-3) << cs.s;
    if (!std::isnan(cs.loss)) {
      EXPECT_NEAR(best, cs.loss, 1e-3 * cs.loss);
    }
    // The exact solver confirms the optimum is a local minimum of the true test loss.
    EXPECT_LE(l2_test_loss_exact(1, g, 1, cs.lr, cs.s),
              l2_test_loss_exact(1, g + 0.02, 1, cs.lr, cs.s));
    EXPECT_LE(l2_test_loss_exact(1, g, 1, cs.lr, cs.s),
              l2_test_loss_exact(1, g - 0.02, 1, cs.lr, cs.s));
  }
  EXPECT_NEAR(z22_optimal_gamma_1d(1, 1, 0.5, 1), 0.0, 1e-6);
  // S = 2: the interval 2/(a(1+2/S)) <= λ < sqrt(S/2)/a is empty: γ* >= 0 for every λ.
  for (double lr = 0.1; lr < 1.0; lr += 0.1) EXPECT_GT(z22_optimal_gamma_1d(1, 1, lr, 2), -1e-6);
}

// P34: tail index of the discrete label-noise recursion.
TEST(Z22, TailIndexFormulas) {
  EXPECT_DOUBLE_EQ(z22_tail_index(1, 1, 4), 4.0);
  EXPECT_DOUBLE_EQ(z22_tail_index(1, 1, 6), 6.0);
  EXPECT_DOUBLE_EQ(z22_tail_index(1, 0.5, 2), 6.0);
  EXPECT_DOUBLE_EQ(z22_tail_index_continuous(1, 1, 6), 13.0);
  EXPECT_NEAR(kesten_tail_index(1, 1, 4), 3.50, 0.01);
  EXPECT_NEAR(kesten_tail_index(1, 1, 6), 4.88, 0.01);
  EXPECT_NEAR(kesten_tail_index(1, 0.5, 2), 5.38, 0.01);
}

// P46: optimal Bayesian learning rate.
TEST(L21, OptimalBayesLearningRate) {
  VectorD k2(2), k3(3), k1(1);
  k2 << 1, 0.1;
  k3 << 5, 0.5, 0.05;
  k1 << 1;
  EXPECT_NEAR(l21_optimal_bayes_lr(k2, 1000, 100), 0.322013, 2e-6);
  EXPECT_NEAR(mandt_optimal_lr(k2, 1000, 100), 0.363636, 1e-6);
  EXPECT_NEAR(l21_optimal_bayes_lr(k3, 10000, 32), 0.0034275, 2e-7);
  EXPECT_NEAR(mandt_optimal_lr(k3, 10000, 32), 0.0034595, 2e-7);
  EXPECT_NEAR(l21_optimal_bayes_lr(k1, 1000, 100), 0.2, 1e-10);
}

// P47: escape efficiency, K = C = 1.
TEST(L21, EscapeEfficiency) {
  const MatrixD one = m1(1);
  const double d05[] = {0.1250, 0.1665, 0.1667}, d15[] = {1.1250, 1.4985, 1.5000};
  const double c05[] = {0.0790, 0.1242, 0.1250}, c15[] = {0.3563, 0.3750, 0.3750};
  const int ts[] = {1, 5, 20};
  for (int i = 0; i < 3; ++i) {
    EXPECT_NEAR(l21_escape_discrete(0.5, one, one, ts[i]), d05[i], 1e-4);
    EXPECT_NEAR(l21_escape_discrete(1.5, one, one, ts[i]), d15[i], 1e-4);
    EXPECT_NEAR(l21_escape_continuous(0.5, one, one, ts[i]), c05[i], 1e-4);
    EXPECT_NEAR(l21_escape_continuous(1.5, one, one, ts[i]), c15[i], 1e-4);
  }
  // Corollary 4: E_d >= E_c for 0 < λ < 2/k*, all t.
  const MatrixD k = diag({1.0, 0.3}), c = diag({0.5, 2.0});
  for (double lr : {0.1, 0.9, 1.9})
    for (int t : {0, 1, 3, 10, 100})
      EXPECT_GE(l21_escape_discrete(lr, k, c, t), l21_escape_continuous(lr, k, c, t) - 1e-15);
}

}  // namespace
}  // namespace xb::sim::theory
