// SPDX-License-Identifier: MIT
// Exact stationary second moments of noisy linear (quadratic-loss) optimisers, by
// vectorisation (vec(A X B) = (B^T ⊗ A) vec(X), column-major vec).
//
// Model ([L21] eq. 5, [Z22] Def. 2, shifted so that the minimum is at 0):
//   m_t = μ m_{t-1} + K e_{t-1} + η_t,   e_t = e_{t-1} - Λ m_t,
// with E[η_t | past] = 0 and E[η_t η_t^T] = C(Σ) = C0 + M(Σ), where Σ = E[e e^T] and M is any
// linear map (state-dependent, minibatch, label- and input-noise covariances are all of this
// form: P22, P25, P27, P28, P43 in docs/theory.md). Eliminating m gives the heavy-ball recursion
//   e_t = ((1+μ) I - ΛK) e_{t-1} - μ e_{t-2} - Λ η_t,
// whose augmented state z_t = (e_t, e_{t-1}) obeys z_t = A z_{t-1} + B η_t, hence the discrete
// Lyapunov equation P = A P A^T + B C(P_11) B^T, linear in P and solved directly.
#pragma once

#include "hw_models/core/types.h"

namespace xb::sim::theory {

MatrixD kron(const MatrixD& a, const MatrixD& b);
VectorD vec(const MatrixD& m);                // column-major
MatrixD unvec(const VectorD& v, Index rows);  // inverse of vec for square matrices

// vec C(Σ) = vec(c0) + m vec(Σ); `m` of size D^2 x D^2, or empty when C does not depend on Σ.
struct NoiseCovariance {
  MatrixD c0;
  MatrixD m;

  explicit NoiseCovariance(const MatrixD& constant) : c0(constant) {}
  // C += coeff * a Σ a^T
  void add_sandwich(double coeff, const MatrixD& a);
  // C += coeff * Tr[g Σ] h
  void add_trace(double coeff, const MatrixD& g, const MatrixD& h);
  MatrixD at(const MatrixD& sigma) const;  // C(Σ)
};

struct StationaryMoments {
  bool stable = false;  // false: no finite stationary covariance (the iterates diverge)
  MatrixD sigma;        // E[e e^T]
  MatrixD lag1;         // E[e_t e_{t-1}^T] (momentum only; empty for μ = 0)
};

// Exact stationary covariance for a matrix learning rate Λ (`lr`), Hessian K, momentum μ in
// [0, 1) and noise C(Σ). Stability is decided exactly: the Lyapunov operator T is a positive
// map, so ρ(T) < 1 iff P = T(P) + I has a positive-definite solution.
StationaryMoments stationary_covariance(const MatrixD& lr, const MatrixD& k, double mu,
                                        const NoiseCovariance& c);

// [L21] Theorem 3 (eq. 9) for state-independent C, solved by vectorisation:
//  -(1+μ²)/(1-μ²) ΛKΣKΛ + μ/(1-μ²)(ΛKΛKΣ + ΣKΛKΛ) + (1-μ)(ΛKΣ + ΣKΛ) = ΛCΛ.
MatrixD lyapunov_l21(const MatrixD& lr, const MatrixD& k, double mu, const MatrixD& c);

// Continuous-time (OU) reference [L21] eq. 1: ΣK + KΣ = λ/(1-μ) C, for scalar λ.
MatrixD lyapunov_continuous(double lr, const MatrixD& k, double mu, const MatrixD& c);

}  // namespace xb::sim::theory
