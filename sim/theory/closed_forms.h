// SPDX-License-Identifier: MIT
// Closed-form stationary predictions of [L21] and [Z22] (P23–P50 in docs/theory.md). Each is checked
// in tests against the exact vectorised solution of sim/theory/lyapunov.h.
// Notation: λ learning rate (scalar here), μ momentum, K Hessian, C noise covariance,
// A input covariance, S batch size, σ² label-noise variance.
#pragma once

#include "hw_models/core/types.h"

namespace xb::sim::theory {

// [L21] Cor. 1 (eq. 8), [C, K] = 0: Σ = [λK/(1+μ) (2I - λK/(1+μ))]^{-1} λ² C / (1 - μ²).
MatrixD l21_sigma_commuting(double lr, const MatrixD& k, double mu, const MatrixD& c);
// [L21] Thm 5 (eq. 12), any K, C > 0: E[L] = ½Tr[KΣ] = λ/(4(1-μ)) Tr[(I - λK/(2(1+μ)))^{-1} C].
double l21_train_error(double lr, const MatrixD& k, double mu, const MatrixD& c);

// [Z22] Thm 2 (eq. 6), label noise, online Gaussian inputs, scalar λ, [Λ, A] = 0:
// Σ = σ² Λ G^{-1} / (S - Tr[Λ A G^{-1}]),  G = 2(1-μ) I - ((1-μ)/(1+μ) + 1/S) Λ A.
// Returns a matrix of +inf when the denominator or G is not positive (divergence).
MatrixD z22_label_sigma(double lr, const MatrixD& a, double sigma2, double s, double mu);
// [Z22] Thm 8 (P26): test = ½Tr[AΣ], train = ½(Tr[AΣ] + σ²).
double z22_label_test_loss(double lr, const MatrixD& a, double sigma2, double s, double mu);

// [Z22] Thm 4, 1-D form (P28; the 1-D reduction is ours): test loss with L2 strength γ (may be negative),
// no label noise; +inf when unstable.
double z22_l2_test_loss_1d(double a, double gamma, double u, double lr, double s);
// Minimiser of z22_l2_test_loss_1d over γ in (-a, gamma_max] by grid + golden refinement (P29).
double z22_optimal_gamma_1d(double a, double u, double lr, double s, double* best_loss = nullptr);

// [Z22] Sec. 6.6 (P34): semi-continuous tail index 2S/(aλ) - S and the continuous 2S/(aλ) + 1.
double z22_tail_index(double a, double lr, double s);
double z22_tail_index_continuous(double a, double lr, double s);
// Exact Kesten exponent β of the 1-D label-noise recursion: E|1 - λ a χ²_S / S|^β = 1 (β > 0).
double kesten_tail_index(double a, double lr, int s);

// [L21] Thm 6 (P46): optimal Bayesian learning rate for C = (N-S)/(NS) K (root of eq. 16),
// and the linearised Mandt et al. value 2 (S/N) D / Tr[K].
double l21_optimal_bayes_lr(const VectorD& k_eigs, double n, double s);
double mandt_optimal_lr(const VectorD& k_eigs, double n, double s);

// [L21] Thm 7 (P47): expected loss increase after t steps from the minimum, [C, K] = 0.
double l21_escape_discrete(double lr, const MatrixD& k, const MatrixD& c, int t);
double l21_escape_continuous(double lr, const MatrixD& k, const MatrixD& c, double t);

// [Z22] Prop. 4 / Thm 6 (P31), high-dimensional regression with label noise σ², α = N/D:
// stability sum Σ_i 1/(2/(λ a_i) - 1 + 1/S) over the non-zero eigenvalues a_i of Â
// (= λ Tr[Ĝ^{-1} Â], Ĝ = 2I - λ(1 - 1/S)Â); a stationary Σ exists iff it is < S.
double z22_highdim_stability_sum(const VectorD& a_eigs, double lr, double s);
// Tr[ÂΣ] = max{0, λσ²/S (1 - 1/α) κ̂}, κ̂ = T/(1 - λT/S), T = Tr[Ĝ^{-1}Â]; +inf when unstable.
double z22_highdim_fluctuation(const VectorD& a_eigs, double lr, double s, double sigma2,
                               double alpha);

// [L21] Thm 12 (P50): damped Newton Λ = λK^{-1}:
// Σ = (1+μ)/(1-μ) λ/(2(1+μ) - λ) K^{-1} C K^{-1}.
MatrixD l21_dnm_sigma(double lr, const MatrixD& k, double mu, const MatrixD& c);

}  // namespace xb::sim::theory
