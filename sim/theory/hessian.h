// SPDX-License-Identifier: MIT
// Exact second-order quantities of a model's loss, for the [G23] theory harness (docs/theory.md,
// P2–P14): Hessian-vector products, dense Hessians, Tr[H] and extreme eigenvalues.
//
// Networks (rules::Network, any depth/width/activation, MSE or softmax cross-entropy, with L2):
// H v by Pearlmutter's R-operator (forward-over-reverse differentiation of the backward pass,
// "Fast exact multiplication by the Hessian", Neural Computation 1994), in double, from the
// weights the network holds (analog layers: their read-back weights, no periphery). There is
// no finite difference anywhere: the result is exact to rounding.
// Other models (the quadratic task): H v = g(w + v) - g(w), which is exact (to rounding)
// because their gradient is affine in w. `quadratic_hessian` builds the dense H this way.
//
// Tr[H]: exact (N HVPs with unit vectors) when N <= exact_max, else Hutchinson's estimator
// E[z^T H z] with Rademacher probes z, reported with its standard error.
// Extreme eigenvalues: implicitly restarted Lanczos (Spectra) on the matrix-free H v.
#pragma once

#include <vector>

#include "hw_models/core/rng.h"
#include "hw_models/core/types.h"
#include "learning_rules/model.h"
#include "learning_rules/network.h"

namespace xb::sim::theory {

// H v of the network's loss on `b` (data loss + L2) at its current parameters.
VectorD network_hvp(const rules::Network& net, const rules::Batch& b, const VectorD& v);

// H v for any model (network: R-operator; otherwise the affine-gradient difference).
// Restores the model's parameters.
VectorD hvp(rules::Model& m, const rules::Batch& b, const VectorD& v);

// Dense symmetric H (N HVPs, then (H + H^T)/2 to remove rounding asymmetry).
MatrixD dense_hessian(rules::Model& m, const rules::Batch& b);

struct TraceEstimate {
  double trace = 0;
  double stderr_ = 0;  // 0 when exact
  bool exact = true;
  int probes = 0;      // HVPs used
};

// Tr[H]: exact when n_params <= exact_max, else Hutchinson with `probes` Rademacher probes
// drawn from `rng` (probe k from rng.at(k)).
TraceEstimate hessian_trace(rules::Model& m, const rules::Batch& b, const Rng& rng,
                            Index exact_max = 5000, int probes = 200);

// The trace of the diagonal block of parameters [first, first + count): exact when count <=
// exact_max, else Hutchinson with probes supported on the block.
TraceEstimate block_trace(rules::Model& m, const rules::Batch& b, const Rng& rng, Index first,
                          Index count, Index exact_max = 5000, int probes = 200);

// Tr[H] per layer of a network (the block of W_l and b_l), any loss and activation; layer l's
// probes come from rng.at(l). They add up to Tr[H].
std::vector<TraceEstimate> layer_traces(rules::Network& net, const rules::Batch& b, const Rng& rng,
                                        Index exact_max = 5000, int probes = 200);

struct ExtremeEigen {
  double largest = 0, smallest = 0;
  bool converged = false;
};

// Largest and smallest (algebraic) eigenvalues of H by Lanczos; for N <= dense_max a dense
// eigendecomposition is used instead (exact and cheaper).
ExtremeEigen extreme_eigenvalues(rules::Model& m, const rules::Batch& b, Index dense_max = 400);

// Gauss–Newton trace per layer block (W and b of layer l) of an MSE network:
// (d^2L/d out^2) sum_n sum_o ||d out_{n,o} / d theta_l||^2, one backward pass per output unit.
// For linear and ReLU networks this equals the diagonal of the exact Hessian block (the output
// is linear in every single weight, so the residual term has a zero diagonal: P5 in docs/theory.md),
// at the cost of O(outputs) backward passes instead of N HVPs.
std::vector<double> gauss_newton_layer_traces(const rules::Network& net, const rules::Batch& b);

// Top-k eigenvalues (largest algebraic) by Lanczos, descending.
VectorD top_eigenvalues(rules::Model& m, const rules::Batch& b, Index k);

}  // namespace xb::sim::theory
