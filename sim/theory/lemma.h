// SPDX-License-Identifier: MIT
// Closed-form predictions of [G23] for the one-step and multi-step loss change of a biased,
// noisy gradient estimator (P2, P9, P10, P11, P12, P13, P14 in docs/theory.md), written against
// exact gradients and Hessian-vector products (sim/theory/hessian.h).
//
// Convention: the step is w <- w + dt Δw with Δw = -g + e, e = update error (bias + noise).
#pragma once

#include <vector>

#include "hw_models/core/types.h"
#include "learning_rules/model.h"

namespace xb::sim::theory {

// Lemma 2.1 (eq. 3) with bias vector bvec = b beta and total noise variance s2 = sigma^2 f(N)
// (isotropic: E e e^T = s2 I / N on top of the bias):
//   bias term     = <g, bvec> dt + 1/2 <bvec, H bvec> dt^2 - <g, H bvec> dt^2   (H symmetric)
//   variance term = 1/2 s2 Tr[H] / N dt^2
struct Lemma21 {
  double bias_term = 0, variance_term = 0;
  double total() const { return bias_term + variance_term; }
};
Lemma21 lemma21(const VectorD& g, const VectorD& bvec, const VectorD& h_bvec, double s2,
                double trace_h, double dt);

// The general form for an estimator with mean error mu = E[e] and error covariance Sigma, given
// through Tr[H Sigma] (estimator_stats): the same expansion with <bvec, H bvec> -> mu^T H mu and
// s2 Tr[H]/N -> Tr[H Sigma]. Relative to a true-gradient step when `relative`, else the change
// from w: L(w + Δw) - L(w) = g^T E[Δw] + 1/2 E[Δw^T H Δw] (dt folded into Δw).
double general_delta_loss(const VectorD& g, const VectorD& h_g, const VectorD& mu,
                          const VectorD& h_mu, double tr_h_sigma, double dt, bool relative);

// Corollary A.2 (eq. 19): expected loss after k noisy steps minus the loss of the GD
// trajectory from the same w0, to O(dt^2). b[i] = bias vector of step i+1, s2[i] = its total
// noise variance sigma_i^2 f(N). Walks the GD trajectory on `m` (restores the parameters).
double corollary_a2(rules::Model& m, const rules::Batch& batch, const std::vector<VectorD>& b,
                    const std::vector<double>& s2, double dt);

// The exact counterpart on a quadratic 0.5 (w - w*)^T H (w - w*): propagates the mean and the
// covariance of w~ through k steps (w <- w + dt(-H(w - w*) + b_i + noise_i), noise covariance
// s2_i I / N) and returns E[L(w~_k)] - L(w_k).
double quadratic_multistep_exact(const MatrixD& h, const VectorD& w0, const VectorD& w_star,
                                 const std::vector<VectorD>& b, const std::vector<double>& s2,
                                 double dt);

// Theorem 3.1 (eq. 7, general f(N)): descent guaranteed when lambda_max <= threshold, ascent
// when lambda_min >= threshold, threshold = 2 / (dt (1 + r^2)), r^2 = sigma^2 f(N) / ||g||^2.
double descent_threshold(double dt, double noise_ratio);

// Theorem 3.2 (eq. 8): the largest b/||g|| that guarantees descent, given psi = ||H||_F,
// in its exact form 2 / (sqrt(N) (1 + psi dt + sqrt(1 + 4 psi dt + psi^2 dt^2))).
double bias_bound_deterministic(Index n, double psi, double dt);
// The PAC variant (eq. 58): ||g|| >= b N^{1/4} (1 + (1 + N^{1/4}/2) psi dt), as a bound on b/||g||.
double bias_bound_pac(Index n, double psi, double dt);

// Steady state of constant-bias GD on a quadratic (P14, correcting [G23]: docs/corrections.md
// C4): w_inf = w* + H^{-1} bvec, excess loss 1/2 bvec^T H^{-1} bvec. [G23]'s 1/2 bvec^T H bvec
// is returned by steady_state_seed for comparison.
double steady_state_excess(const MatrixD& h, const VectorD& bvec);
double steady_state_seed(const MatrixD& h, const VectorD& bvec);

}  // namespace xb::sim::theory
