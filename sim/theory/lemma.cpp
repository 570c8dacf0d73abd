// SPDX-License-Identifier: MIT
#include "sim/theory/lemma.h"

#include <Eigen/Cholesky>
#include <Eigen/Core>
#include <cmath>

#include "hw_models/core/rng.h"
#include "sim/theory/hessian.h"

namespace xb::sim::theory {

Lemma21 lemma21(const VectorD& g, const VectorD& bvec, const VectorD& h_bvec, double s2,
                double trace_h, double dt) {
  Lemma21 r;
  const double n = double(g.size());
  // 1/2 b <g, (H + H^T) beta> = b <g, H beta> for symmetric H.
  r.bias_term = g.dot(bvec) * dt + 0.5 * bvec.dot(h_bvec) * dt * dt - g.dot(h_bvec) * dt * dt;
  r.variance_term = 0.5 * s2 * trace_h / n * dt * dt;
  return r;
}

double general_delta_loss(const VectorD& g, const VectorD& h_g, const VectorD& mu,
                          const VectorD& h_mu, double tr_h_sigma, double dt, bool relative) {
  // Δw = -g + e: E[L(w + dt Δw)] - L(w) = dt g.E[Δw] + 1/2 dt^2 (E[Δw]^T H E[Δw] + Tr[H Sigma]).
  const VectorD m = -g + mu;
  const VectorD hm = -h_g + h_mu;
  double v = dt * g.dot(m) + 0.5 * dt * dt * (m.dot(hm) + tr_h_sigma);
  if (relative) v -= -dt * g.dot(g) + 0.5 * dt * dt * g.dot(h_g);  // the true-gradient step
  return v;
}

double corollary_a2(rules::Model& m, const rules::Batch& batch, const std::vector<VectorD>& b,
                    const std::vector<double>& s2, double dt) {
  const VectorD w0 = m.params();
  const double n = double(w0.size());
  const Rng none(0, Stream::estimator);
  VectorD cum = VectorD::Zero(w0.size());  // sum_{j<i} b_j
  double total = 0;
  for (std::size_t i = 0; i < b.size(); ++i) {
    const VectorD g = m.gradient(batch);  // g_{i-1} on the GD trajectory
    const VectorD hb = hvp(m, batch, b[i]);
    const VectorD hg = hvp(m, batch, g);
    const VectorD hc = hvp(m, batch, cum);
    const double tr = hessian_trace(m, batch, none).trace;
    total += dt * b[i].dot(g) + 0.5 * dt * dt * b[i].dot(hb) - dt * dt * b[i].dot(hg) +
             0.5 * dt * dt * s2[i] / n * tr + dt * dt * hc.dot(b[i] - 2.0 * g);
    cum += b[i];
    m.set_params(m.params() - dt * g);  // the GD control step
  }
  m.set_params(w0);
  return total;
}

double quadratic_multistep_exact(const MatrixD& h, const VectorD& w0, const VectorD& w_star,
                                 const std::vector<VectorD>& b, const std::vector<double>& s2,
                                 double dt) {
  const Index n = w0.size();
  const MatrixD a = MatrixD::Identity(n, n) - dt * h;  // w - w* <- A (w - w*) + dt e
  VectorD gd = w0 - w_star, mean = gd;
  MatrixD cov = MatrixD::Zero(n, n);
  for (std::size_t i = 0; i < b.size(); ++i) {
    gd = a * gd;
    mean = a * mean + dt * b[i];
    cov = a * cov * a.transpose() + (dt * dt * s2[i] / double(n)) * MatrixD::Identity(n, n);
  }
  const double l_noisy = 0.5 * mean.dot(h * mean) + 0.5 * (h * cov).trace();
  return l_noisy - 0.5 * gd.dot(h * gd);
}

double descent_threshold(double dt, double noise_ratio) {
  return 2.0 / (dt * (1.0 + noise_ratio * noise_ratio));
}

double bias_bound_deterministic(Index n, double psi, double dt) {
  const double x = psi * dt;
  return 2.0 / (std::sqrt(double(n)) * (1.0 + x + std::sqrt(1.0 + 4.0 * x + x * x)));
}

double bias_bound_pac(Index n, double psi, double dt) {
  const double q = std::pow(double(n), 0.25);
  return 1.0 / (q * (1.0 + (1.0 + q / 2.0) * psi * dt));
}

double steady_state_excess(const MatrixD& h, const VectorD& bvec) {
  return 0.5 * bvec.dot(Eigen::MatrixXd(h).ldlt().solve(bvec));
}

double steady_state_seed(const MatrixD& h, const VectorD& bvec) { return 0.5 * bvec.dot(h * bvec); }

}  // namespace xb::sim::theory
