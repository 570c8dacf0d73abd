// SPDX-License-Identifier: MIT
#include "sim/theory/closed_forms.h"

#include <algorithm>
#include <Eigen/Eigenvalues>
#include <Eigen/LU>
#include <boost/math/distributions/chi_squared.hpp>
#include <boost/math/quadrature/gauss_kronrod.hpp>
#include <boost/math/tools/roots.hpp>
#include <cmath>
#include <limits>

namespace xb::sim::theory {

namespace {
constexpr double kInf = std::numeric_limits<double>::infinity();

// Smallest eigenvalue of a symmetric matrix (its symmetric part).
double min_eig(const MatrixD& m) {
  Eigen::SelfAdjointEigenSolver<MatrixD> es(0.5 * (m + m.transpose()));
  return es.eigenvalues().minCoeff();
}

// Bisection for a sign change of f on [lo, hi].
template <class F>
double bisect(F f, double lo, double hi) {
  double flo = f(lo);
  for (int i = 0; i < 200; ++i) {
    const double mid = 0.5 * (lo + hi);
    const double fm = f(mid);
    if ((fm > 0) == (flo > 0)) {
      lo = mid;
      flo = fm;
    } else {
      hi = mid;
    }
  }
  return 0.5 * (lo + hi);
}
}  // namespace

MatrixD l21_sigma_commuting(double lr, const MatrixD& k, double mu, const MatrixD& c) {
  const Index d = k.rows();
  const MatrixD id = MatrixD::Identity(d, d);
  const MatrixD kk = lr * k / (1 + mu);
  const MatrixD s = (kk * (2 * id - kk)).inverse() * (lr * lr * c / (1 - mu * mu));
  return 0.5 * (s + s.transpose());
}

double l21_train_error(double lr, const MatrixD& k, double mu, const MatrixD& c) {
  const Index d = k.rows();
  const MatrixD id = MatrixD::Identity(d, d);
  return lr / (4 * (1 - mu)) * ((id - lr / (2 * (1 + mu)) * k).inverse() * c).trace();
}

MatrixD z22_label_sigma(double lr, const MatrixD& a, double sigma2, double s, double mu) {
  const Index d = a.rows();
  const MatrixD id = MatrixD::Identity(d, d);
  const MatrixD g = 2 * (1 - mu) * id - ((1 - mu) / (1 + mu) + 1 / s) * lr * a;
  if (min_eig(g) <= 0) return MatrixD::Constant(d, d, kInf);
  const MatrixD gi = g.inverse();
  const double tr = (lr * a * gi).trace();
  if (s - tr <= 0) return MatrixD::Constant(d, d, kInf);
  const MatrixD sig = sigma2 * lr * gi / (s - tr);
  return 0.5 * (sig + sig.transpose());
}

double z22_label_test_loss(double lr, const MatrixD& a, double sigma2, double s, double mu) {
  return 0.5 * (a * z22_label_sigma(lr, a, sigma2, s, mu)).trace();
}

double z22_l2_test_loss_1d(double a, double gamma, double u, double lr, double s) {
  const double k = a + gamma;
  if (k <= 0) return kInf;
  const double g = 2 * k - lr * k * k;
  const double den = g - 2 * lr * a * a / s;
  if (g <= 0 || den <= 0) return kInf;
  return a * gamma * gamma * u * u / (2 * k * k) * g / den;
}

double z22_optimal_gamma_1d(double a, double u, double lr, double s, double* best_loss) {
  // Grid over γ in (-a, 4a] (larger γ only adds bias), then golden-section refinement.
  const int n = 20000;
  double best_g = 0, best = kInf;
  const double lo = -a, hi = 4 * a;
  for (int i = 1; i <= n; ++i) {
    const double g = lo + (hi - lo) * i / n;
    const double v = z22_l2_test_loss_1d(a, g, u, lr, s);
    if (v < best) best = v, best_g = g;
  }
  double l = best_g - (hi - lo) / n, r = best_g + (hi - lo) / n;
  const double phi = 0.5 * (std::sqrt(5.0) - 1);
  for (int i = 0; i < 100; ++i) {
    const double m1 = r - phi * (r - l), m2 = l + phi * (r - l);
    if (z22_l2_test_loss_1d(a, m1, u, lr, s) < z22_l2_test_loss_1d(a, m2, u, lr, s))
      r = m2;
    else
      l = m1;
  }
  const double g = 0.5 * (l + r);
  if (best_loss) *best_loss = z22_l2_test_loss_1d(a, g, u, lr, s);
  return g;
}

double z22_tail_index(double a, double lr, double s) { return 2 * s / (a * lr) - s; }
double z22_tail_index_continuous(double a, double lr, double s) { return 2 * s / (a * lr) + 1; }

double kesten_tail_index(double a, double lr, int s) {
  // m(β) = E|1 - λ a c|^β with c = χ²_S / S; m(0) = 1, m convex; the positive root of m = 1.
  const boost::math::chi_squared_distribution<double> chi(s);
  auto moment = [&](double beta) {
    auto integrand = [&](double x) {
      return std::pow(std::abs(1 - lr * a * x / s), beta) * boost::math::pdf(chi, x);
    };
    const double hi = s + 60 * std::sqrt(2.0 * s) + 60;
    double err = 0;
    // Split at the kink x = S / (λ a) for accuracy.
    const double kink = s / (lr * a);
    double v = 0;
    if (kink < hi) {
      v += boost::math::quadrature::gauss_kronrod<double, 61>::integrate(integrand, 0, kink, 15,
                                                                          1e-12, &err);
      v += boost::math::quadrature::gauss_kronrod<double, 61>::integrate(integrand, kink, hi, 15,
                                                                          1e-12, &err);
    } else {
      v = boost::math::quadrature::gauss_kronrod<double, 61>::integrate(integrand, 0, hi, 15,
                                                                         1e-12, &err);
    }
    return v - 1.0;
  };
  // Bracket: m(β) - 1 < 0 for small β > 0 (E log|1-λac| < 0 in the stable regime), > 0 later.
  double hi = 1.0;
  while (moment(hi) < 0 && hi < 1e3) hi *= 2;
  return bisect(moment, 1e-6, hi);
}

double l21_optimal_bayes_lr(const VectorD& k, double n, double s) {
  const double d = double(k.size());
  auto f = [&](double lr) {
    double s1 = 0, s2 = 0;
    for (Index i = 0; i < k.size(); ++i) {
      s1 += k[i] / (2 - lr * k[i]);
      s2 += k[i] * k[i] / ((2 - lr * k[i]) * (2 - lr * k[i]));
    }
    return (n - 2 * s) / s * s1 + (n - s) / s * lr * s2 - d / lr;
  };
  // f → -inf as λ → 0 and → +inf as λ → 2/k_max.
  return bisect(f, 1e-12, (2.0 / k.maxCoeff()) * (1 - 1e-12));
}

double mandt_optimal_lr(const VectorD& k, double n, double s) {
  return 2 * s / n * double(k.size()) / k.sum();
}

double l21_escape_discrete(double lr, const MatrixD& k, const MatrixD& c, int t) {
  const Index d = k.rows();
  const MatrixD id = MatrixD::Identity(d, d);
  MatrixD p = id;
  const MatrixD step = (id - lr * k) * (id - lr * k);
  for (int i = 0; i < t; ++i) p = p * step;
  return lr / 4 * ((id - lr * k / 2).inverse() * (id - p) * c).trace();
}

double l21_escape_continuous(double lr, const MatrixD& k, const MatrixD& c, double t) {
  Eigen::SelfAdjointEigenSolver<MatrixD> es(k);
  const VectorD e = (-2 * lr * t * es.eigenvalues().array()).exp().matrix();
  const MatrixD ex = es.eigenvectors() * e.asDiagonal() * es.eigenvectors().transpose();
  return lr / 4 * ((MatrixD::Identity(k.rows(), k.rows()) - ex) * c).trace();
}

double z22_highdim_stability_sum(const VectorD& a_eigs, double lr, double s) {
  double sum = 0;
  for (Index i = 0; i < a_eigs.size(); ++i) {
    const double a = a_eigs[i];
    if (a <= 0) continue;  // null directions of Â (α < 1) carry no noise and no drift
    const double den = 2 / (lr * a) - 1 + 1 / s;
    if (den <= 0) return std::numeric_limits<double>::infinity();  // Ĝ not positive
    sum += 1 / den;
  }
  return sum;
}

double z22_highdim_fluctuation(const VectorD& a_eigs, double lr, double s, double sigma2,
                               double alpha) {
  const double sum = z22_highdim_stability_sum(a_eigs, lr, s);
  if (!(sum < s)) return std::numeric_limits<double>::infinity();
  // λT equals the stability sum, so κ̂ = (sum/λ) / (1 - sum/S).
  const double kappa = sum / lr / (1 - sum / s);
  return std::max(0.0, lr * sigma2 / s * (1 - 1 / alpha) * kappa);
}

MatrixD l21_dnm_sigma(double lr, const MatrixD& k, double mu, const MatrixD& c) {
  const MatrixD ki = k.inverse();
  return (1 + mu) / (1 - mu) * lr / (2 * (1 + mu) - lr) * ki * c * ki;
}

}  // namespace xb::sim::theory
