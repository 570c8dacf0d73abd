// SPDX-License-Identifier: MIT
#include "sim/theory/gni_moments.h"

#include <cmath>
#include <stdexcept>

namespace xb::sim::theory {

namespace {

// log E[u^k] (full) and log E[u^k 1(u > 0)] (truncated) for u ~ N(1, s²), k = 0..kmax, by the
// integration-by-parts recursion M_k = M_{k-1} + (k-1) s² M_{k-2} (for k >= 2 the boundary
// term at u = 0 vanishes), carried as ratios q_k = M_k / M_{k-1} so nothing overflows.
// Truncated: M_0 = Φ(1/s), M_1 = M_0 + s² p(0), p(0) = exp(-1/(2s²)) / (s sqrt(2π)).
std::vector<long double> log_moments(double s, int kmax, bool truncated) {
  std::vector<long double> out(std::size_t(kmax) + 1);
  const long double s2 = (long double)s * s;
  long double m0 = 1, m1 = 1;
  if (truncated) {
    m0 = 0.5L * std::erfc(-1.0L / (s * std::sqrt(2.0L)));
    m1 = m0 + s2 * std::exp(-1.0L / (2 * s2)) / (s * std::sqrt(2 * M_PIl));
  }
  out[0] = std::log(m0);
  if (kmax >= 1) out[1] = std::log(m1);
  long double q = m1 / m0;  // q_1
  for (int k = 2; k <= kmax; ++k) {
    q = 1 + (k - 1) * s2 / q;  // M_k / M_{k-1} = 1 + (k-1) s² M_{k-2}/M_{k-1}
    out[std::size_t(k)] = out[std::size_t(k) - 1] + std::log(q);
  }
  return out;
}

void check(const GniChain& net, int layer) {
  if (net.weights.empty() || layer < 1 || layer > int(net.weights.size()))
    throw std::invalid_argument("gni_moments: layer must be in 1..L");
  if (!(net.x > 0) || !(net.sigma > 0))
    throw std::invalid_argument("gni_moments: x and sigma must be > 0");
  for (double w : net.weights)
    if (!(w > 0)) throw std::invalid_argument("gni_moments: weights must be > 0");
}

long double log_scale(const GniChain& net, int layer) {
  const int L = int(net.weights.size());
  long double c = 2 * std::log((long double)net.weights[std::size_t(L) - 1]) +
                  2 * std::log((long double)net.x) -
                  std::log((long double)net.weights[std::size_t(layer) - 1]);
  for (int k = 0; k < L - 1; ++k) c += 2 * std::log((long double)net.weights[std::size_t(k)]);
  return c;
}

long double log_raw(const GniChain& net, int layer, int k) {
  const int L = int(net.weights.size());
  if (k == 0) return 0;  // E[g^0] = 1, the gates-off region included
  const auto full = log_moments(net.sigma, 2 * k, false);
  const auto trunc = log_moments(net.sigma, 2 * k, true);
  return k * log_scale(net, layer) + (L - 1) * trunc[std::size_t(2 * k)] +
         full[std::size_t(2 * k)];
}

}  // namespace

double gni_log_raw_moment(const GniChain& net, int layer, int k) {
  check(net, layer);
  if (k < 0) throw std::invalid_argument("gni_log_raw_moment: k must be >= 0");
  return double(log_raw(net, layer, k));
}

double gni_centered_norm(const GniChain& net, int layer, int m) {
  check(net, layer);
  if (m < 2 || m > 24 || m % 2)
    throw std::invalid_argument("gni_centered_norm: m must be even, 2..24");
  const long double mean = std::exp(log_raw(net, layer, 1));
  long double sum = 0, binom = 1;
  for (int k = 0; k <= m; ++k) {
    sum += binom * std::exp(log_raw(net, layer, k)) * std::pow(-mean, (long double)(m - k));
    binom = binom * (m - k) / (k + 1);
  }
  return double(std::pow(sum, 1.0L / m));
}

double gni_local_exponent(const GniChain& net, int layer, int m) {
  check(net, layer);
  if (m < 2) throw std::invalid_argument("gni_local_exponent: m must be >= 2");
  const int lo = m / 2, hi = 2 * m;
  const long double a = log_raw(net, layer, lo) / lo, b = log_raw(net, layer, hi) / hi;
  return double((b - a) / std::log((long double)hi / lo));
}

}  // namespace xb::sim::theory
