// SPDX-License-Identifier: MIT
// Non-Gaussian noise laws used by the estimator-noise models (Student-t and centred chi-squared
// noise of [L21] App. C, alpha-stable noise of [C21]) and the Lévy-driven SDE (P57 in
// docs/theory.md). All draw from an xb::Rng, so they are reproducible per (seed, stream,
// event, lane).
#pragma once

#include "hw_models/core/rng.h"
#include "hw_models/core/types.h"

namespace xb {

// One draw of S_alpha(1, theta, 0) in the Samorodnitsky–Taqqu ("S1") parametrisation
// (docs/corrections.md C17): E exp(itX) = exp{-|t|^a (1 - i theta sgn(t) tan(pi a / 2))} for a != 1, and
// exp{-|t| (1 + i theta (2/pi) sgn(t) log|t|)} for a = 1. Hence the mean is 0 for a > 1
// (the S0 form would add a drift -theta tan(pi a / 2)), and a = 2 gives N(0, 2).
// Chambers–Mallows–Stuck (1976) sampler in Weron's (1996) form. alpha in (0, 2], theta in [-1, 1].
double alpha_stable(Rng& rng, double alpha, double theta);

// Student-t with nu > 2 degrees of freedom, rescaled to unit variance (t * sqrt((nu - 2) / nu)).
double student_t_unit(Rng& rng, double nu);

// Whole-array fills (n consecutive draws from `rng`).
void fill_alpha_stable(Rng& rng, double alpha, double theta, double* out, Index n);
void fill_student_t_unit(Rng& rng, double nu, double* out, Index n);

}  // namespace xb
