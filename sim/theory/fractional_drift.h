// SPDX-License-Identifier: MIT
// Drift of the asymmetric fractional Langevin dynamics ([C21] eqs. 4.6-4.8, Thm 4.1; P59 in
// docs/theory.md):
//   dw = b(w) dt + ε dL^{α,θ},  b = ε^α D^{α-2,θ}(φ') / φ,  φ = exp(-ε^{-α} f),
// whose invariant law is the Gibbs measure π ∝ φ (no mode shift, unlike the gradient drift of
// eq. 4.4, P58).
//
// The seed leaves the Riesz-Feller operator to an appendix we do not have, so it is fixed here
// by the requirement that π be stationary. With L_1 ~ S_α(1, θ, 0) (S1), E e^{itL_1} = e^{η(t)},
// η(t) = -|t|^α (1 - iθ sgn t tan(πα/2)), the stationary Fokker-Planck equation
// ∂_w(bφ) = ε^α A*φ (A* has symbol η(-t)) gives, for f(w) = ∫ f̂(t) e^{itw} dt,
//   (bφ)^(t) = ε^α s(t) (φ')^(t),   s(t) = |t|^{α-2} (1 + iθ sgn t tan(πα/2)).
// At α = 2, s = 1 and b = -f' (Langevin). The same symbol is the h → 0, K → ∞ limit of the
// paper's eq. 4.8 when g̃ are Grünwald-Letnikov weights g_k = (-1)^k binom(α-2, k), one-sided
// sums weighted (1 + θ) to the left and (1 - θ) to the right, times c_γ = 1/(2cos(γπ/2)):
//   c_γ [(1+θ)(it)^γ + (1-θ)(-it)^γ] = |t|^γ (1 + iθ sgn t tan(γπ/2)),  tan(γπ/2) = tan(απ/2).
// ([C21]'s single k = 0 term and its h₀ do not fit this reading; docs/corrections.md C18.)
#pragma once

#include <functional>
#include <vector>

namespace xb::sim::theory {

struct DriftTable {
  double w_min = 0, step = 0;  // grid w_j = w_min + j step
  std::vector<double> b;       // drift at the grid points
  // Linear interpolation; only valid for w_min <= w <= w_max().
  double at(double w) const;
  double w_max() const { return w_min + step * double(b.size() - 1); }
};

struct FractionalDriftSpec {
  std::function<double(double)> f, df;  // potential and its derivative
  double alpha = 1.5, theta = 0.0, epsilon = 1.0;
  double w_min = -3, w_max = 3, step = 1e-3;  // where b is tabulated
  // Spectral method: φ' is sampled on a periodic domain of `period` (zero outside
  // [w_min, w_max], where φ must be negligible) and the symbol applied by FFT. The periodic
  // images add an error of order period^{-α} to the numerator.
  double period = 256;
};

// b on the grid by FFT (the exact operator, up to the grid and the periodic images).
DriftTable fractional_drift_spectral(const FractionalDriftSpec& spec);

// b on the grid by the Grünwald-Letnikov sums above with h = spec.step and K terms per side
// ([C21] eq. 4.8 with the reading above). K = 0 keeps only the k = 0 terms.
DriftTable fractional_drift_grunwald(const FractionalDriftSpec& spec, int K);

}  // namespace xb::sim::theory
