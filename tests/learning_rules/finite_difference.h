// SPDX-License-Identifier: MIT
// Central finite differences of a model's loss, the independent reference of the gradient tests.
#pragma once

#include "learning_rules/model.h"

namespace xb::rules::test {

// Step h: truncation error O(h^2 f'''), rounding O(eps f / h); h = 1e-5 keeps both near 1e-10
// relative for O(1) losses, far inside the 1e-6 bound of the tests.
inline VectorD finite_difference(Model& m, const Batch& b, double h = 1e-5) {
  const VectorD p = m.params();
  VectorD g(p.size());
  for (Index i = 0; i < p.size(); ++i) {
    VectorD q = p;
    q(i) += h;
    m.set_params(q);
    const double up = m.loss(b);
    q(i) = p(i) - h;
    m.set_params(q);
    g(i) = (up - m.loss(b)) / (2 * h);
  }
  m.set_params(p);
  return g;
}

}  // namespace xb::rules::test
