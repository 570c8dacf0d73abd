// SPDX-License-Identifier: MIT
// Exact moments of the gradient noise that multiplicative Gaussian noise injection (GNI)
// produces in a 1-neuron-wide, bias-free ReLU chain ([C21] Thm 3.1, Remark 3.1; P53 in
// docs/theory.md, and the correction C19 in docs/corrections.md).
//
// Net: a_0 = x u_0, h_k = W_k a_{k-1}, a_k = ReLU(h_k) u_k (k = 1..L-1), ŷ = W_L a_{L-1},
// loss ŷ²/2 (target 0), with u_j = 1 + σ ε_j, ε_j ~ N(0, 1) i.i.d. For x > 0 and W_k > 0 the
// ReLU gates are the half-lines u_0, ..., u_{L-2} > 0 and ŷ is positively homogeneous of
// degree 1 in every W_i, so W_i ∂ŷ/∂W_i = ŷ and the gradient of every layer is the same
// random variable up to a constant:
//   g_i = ŷ ∂ŷ/∂W_i = ŷ² / W_i = c_i ∏_{j<L} u_j² · 1[u_0..u_{L-2} > 0],
//   c_i = W_L² (x ∏_{k<L} W_k)² / W_i.
// Hence ‖g_i − E g_i‖_m has the same m-dependence in every layer, ≍ m^L: each of the L noise
// factors enters twice, once through the residual ŷ and once through the chain (the forward
// activation for j < i, the backward Jacobian u_j for j ≥ i). [C21] Thm 3.1 states
// m^{(L+i)/2}, which counts the residual and the forward pass but not the backward Jacobians.
// E[g_i^k] factorises into one-dimensional moments of N(1, σ²), full or truncated at 0.
#pragma once

#include <vector>

namespace xb::sim::theory {

struct GniChain {
  double x = 0.5;
  double sigma = 2.0;
  std::vector<double> weights;  // W_1 .. W_L, all > 0 (x > 0 too)
};

// log E[g_i^k] for k >= 0 (exact; log-space recursions, no overflow up to k ~ 1e6).
double gni_log_raw_moment(const GniChain& net, int layer, int k);

// ‖g_i − E g_i‖_m = (E[(g_i − E g_i)^m])^{1/m} for even m <= 24, by binomial expansion of the
// raw moments in long double.
double gni_centered_norm(const GniChain& net, int layer, int m);

// Local exponent d log ‖g_i‖_m / d log m at large m (uncentered; centering does not change the
// exponent), by a symmetric difference of the exact raw moments at m/2 and 2m.
double gni_local_exponent(const GniChain& net, int layer, int m);

}  // namespace xb::sim::theory
