// SPDX-License-Identifier: MIT
#include "sim/theory/lyapunov.h"

#include <Eigen/Cholesky>
#include <Eigen/LU>
#include <cmath>
#include <limits>

namespace xb::sim::theory {

MatrixD kron(const MatrixD& a, const MatrixD& b) {
  MatrixD out(a.rows() * b.rows(), a.cols() * b.cols());
  for (Index i = 0; i < a.rows(); ++i)
    for (Index j = 0; j < a.cols(); ++j)
      out.block(i * b.rows(), j * b.cols(), b.rows(), b.cols()) = a(i, j) * b;
  return out;
}

VectorD vec(const MatrixD& m) {
  VectorD v(m.size());
  for (Index j = 0; j < m.cols(); ++j)
    for (Index i = 0; i < m.rows(); ++i) v[i + j * m.rows()] = m(i, j);
  return v;
}

MatrixD unvec(const VectorD& v, Index rows) {
  const Index cols = v.size() / rows;
  MatrixD m(rows, cols);
  for (Index j = 0; j < cols; ++j)
    for (Index i = 0; i < rows; ++i) m(i, j) = v[i + j * rows];
  return m;
}

void NoiseCovariance::add_sandwich(double coeff, const MatrixD& a) {
  const Index d2 = c0.size();
  if (m.size() == 0) m = MatrixD::Zero(d2, d2);
  m += coeff * kron(a, a);  // vec(a Σ a^T) = (a ⊗ a) vec Σ
}

void NoiseCovariance::add_trace(double coeff, const MatrixD& g, const MatrixD& h) {
  const Index d2 = c0.size();
  if (m.size() == 0) m = MatrixD::Zero(d2, d2);
  // Tr[g Σ] = vec(g^T) . vec(Σ)
  const MatrixD gt = g.transpose();
  m += coeff * vec(h) * vec(gt).transpose();
}

MatrixD NoiseCovariance::at(const MatrixD& sigma) const {
  if (m.size() == 0) return c0;
  return c0 + unvec(m * vec(sigma), c0.rows());
}

StationaryMoments stationary_covariance(const MatrixD& lr, const MatrixD& k, double mu,
                                        const NoiseCovariance& c) {
  const Index d = k.rows();
  const bool aug = mu != 0.0;
  const Index n = aug ? 2 * d : d;
  MatrixD a = MatrixD::Zero(n, n), b = MatrixD::Zero(n, d), e = MatrixD::Zero(d, n);
  const MatrixD id = MatrixD::Identity(d, d);
  a.topLeftCorner(d, d) = (1.0 + mu) * id - lr * k;
  if (aug) {
    a.topRightCorner(d, d) = -mu * id;
    a.bottomLeftCorner(d, d) = id;
  }
  b.topRows(d) = -lr;
  e.leftCols(d) = id;
  const MatrixD bb = kron(b, b);
  MatrixD t = kron(a, a);
  if (c.m.size()) t += bb * c.m * kron(e, e);
  const MatrixD sys = MatrixD::Identity(n * n, n * n) - t;
  Eigen::PartialPivLU<MatrixD> lu(sys);
  StationaryMoments out;
  // Stability: solve P = T(P) + I and test positive definiteness (positive-map criterion).
  const MatrixD probe = unvec(lu.solve(vec(MatrixD::Identity(n, n))), n);
  const MatrixD probe_sym = 0.5 * (probe + probe.transpose());
  Eigen::LLT<MatrixD> llt(probe_sym);
  out.stable = llt.info() == Eigen::Success && probe_sym.allFinite();
  const double nan = std::numeric_limits<double>::quiet_NaN();
  if (!out.stable) {
    out.sigma = MatrixD::Constant(d, d, std::numeric_limits<double>::infinity());
    if (aug) out.lag1 = MatrixD::Constant(d, d, nan);
    return out;
  }
  const MatrixD p = unvec(lu.solve(bb * vec(c.c0)), n);
  out.sigma = 0.5 * (p.topLeftCorner(d, d) + p.topLeftCorner(d, d).transpose());
  if (aug) out.lag1 = p.topRightCorner(d, d);
  return out;
}

MatrixD lyapunov_l21(const MatrixD& lr, const MatrixD& k, double mu, const MatrixD& c) {
  const Index d = k.rows();
  const MatrixD id = MatrixD::Identity(d, d);
  const MatrixD lk = lr * k, kl = k * lr;
  const MatrixD lklk = lk * lk, klkl = kl * kl;
  const double a1 = -(1 + mu * mu) / (1 - mu * mu), a2 = mu / (1 - mu * mu), a3 = 1 - mu;
  // vec(X Σ Y) = (Y^T ⊗ X) vec Σ
  const MatrixD op = a1 * kron(kl.transpose(), lk) +
                     a2 * (kron(id, lklk) + kron(klkl.transpose(), id)) +
                     a3 * (kron(id, lk) + kron(kl.transpose(), id));
  const MatrixD rhs = lr * c * lr;
  const MatrixD s = unvec(op.partialPivLu().solve(vec(rhs)), d);
  return 0.5 * (s + s.transpose());
}

MatrixD lyapunov_continuous(double lr, const MatrixD& k, double mu, const MatrixD& c) {
  const Index d = k.rows();
  const MatrixD id = MatrixD::Identity(d, d);
  const MatrixD op = kron(id, k) + kron(k.transpose(), id);
  const MatrixD s = unvec(op.partialPivLu().solve(vec(lr / (1 - mu) * c)), d);
  return 0.5 * (s + s.transpose());
}

}  // namespace xb::sim::theory
