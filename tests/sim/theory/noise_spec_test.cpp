// SPDX-License-Identifier: MIT
// Remaining EXACT/STAT checks of the structured-noise theory (P47 by simulation, P48, P31, P52,
// P53 in docs/theory.md). All Monte-Carlo runs use fixed seeds; each tolerance is justified next to it.
#include <gtest/gtest.h>

#include <Eigen/Cholesky>
#include <Eigen/Eigenvalues>
#include <Eigen/QR>
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <vector>

#include "hw_models/core/rng.h"
#include "sim/theory/closed_forms.h"
#include "sim/theory/gni_moments.h"

namespace xb::sim::theory {
namespace {

using ArrayD = Eigen::ArrayXd;

ArrayD normals(Rng& rng, Index n) {
  ArrayD z(n);
  rng.fill_normal(z.data(), n);
  return z;
}

// ---------------------------------------------------------------------------------------------
// P47: E(t) = E[L(w_t) - L(w_0)] from the exact minimum, K = C = 1, 2·10⁵ independent runs.
// L = w²/2 with w Gaussian, so Var(L)/E[L]² = 2 and the relative standard error of the mean is
// sqrt(2/2e5) = 0.32 %; the 2 % tolerance of P47 is > 6 standard errors.
TEST(L21Simulation, EscapeEfficiencyDiscrete) {
  const Index runs = 200000;
  const MatrixD one = MatrixD::Constant(1, 1, 1.0);
  for (double lr : {0.5, 1.5}) {
    Rng rng(11, Stream::estimator);
    ArrayD w = ArrayD::Zero(runs);
    for (int t = 1; t <= 20; ++t) {
      // w ← w − λ(Kw + ξ), ξ ~ N(0, C): the SGD step of [L21] with gradient noise C.
      const ArrayD xi = normals(rng, runs);
      w = w - lr * (w + xi);
      if (t == 1 || t == 5 || t == 20) {
        const double measured = (0.5 * w.square()).mean();
        const double predicted = l21_escape_discrete(lr, one, one, t);
        EXPECT_NEAR(measured / predicted, 1.0, 0.02) << "lr " << lr << " t " << t;
        std::printf("P47 discrete lr=%.1f t=%d predicted %.4f measured %.4f\n", lr, t,
                    predicted, measured);
      }
    }
  }
}

// Continuous time: dw = −λKw dt + λ sqrt(C) dB (t in units of steps) has ½Var = E_c(t). The
// implicit trapezoidal scheme reproduces the OU stationary variance exactly and its transient
// to O((λh)³) per step, so with h = 0.05 the discretisation error is < 1e-4 relative; the
// statistical error is again 0.32 % (2·10⁵ paths) against the 2 % tolerance.
TEST(L21Simulation, EscapeEfficiencyContinuous) {
  const Index runs = 200000;
  const double h = 0.05;
  const MatrixD one = MatrixD::Constant(1, 1, 1.0);
  for (double lr : {0.5, 1.5}) {
    Rng rng(12, Stream::estimator);
    ArrayD w = ArrayD::Zero(runs);
    const double th = lr * h;  // θh with θ = λK
    const double r = (1 - th / 2) / (1 + th / 2), s = lr * std::sqrt(h) / (1 + th / 2);
    const int per_unit = int(std::lround(1 / h));
    for (int t = 1; t <= 20; ++t) {
      for (int j = 0; j < per_unit; ++j) w = r * w + s * normals(rng, runs);
      if (t == 1 || t == 5 || t == 20) {
        const double measured = (0.5 * w.square()).mean();
        const double predicted = l21_escape_continuous(lr, one, one, t);
        EXPECT_NEAR(measured / predicted, 1.0, 0.02) << "lr " << lr << " t " << t;
        std::printf("P47 continuous lr=%.1f t=%d predicted %.4f measured %.4f\n", lr, t,
                    predicted, measured);
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// P48: Tr[KC]/Tr[K C̄] ≥ a D k₁²/(Tr K)² (eq. 64), C̄ = Tr[C]/D I, for the alignment
// a = u₁ᵀCu₁ Tr[K]/(k₁ Tr[C]) (the largest a the assumption admits). Random ill-conditioned K
// (k_{l+1..D} < k₁ D^{-d}) with random eigenvectors and random PSD C, partly aligned with u₁.
// The same bound with K → (2I − λK)^{-1} is the long-time version.
double anisotropy_ratio(const MatrixD& k, const MatrixD& c) {
  const Index d = k.rows();
  return (k * c).trace() / (k.trace() * c.trace() / double(d));
}
double eq64_bound(const MatrixD& k, const MatrixD& c) {
  Eigen::SelfAdjointEigenSolver<MatrixD> es(k);
  const Index d = k.rows();
  const double k1 = es.eigenvalues()[d - 1];
  const VectorD u1 = es.eigenvectors().col(d - 1);
  const double a = u1.dot(c * u1) * k.trace() / (k1 * c.trace());
  return a * double(d) * k1 * k1 / (k.trace() * k.trace());
}

TEST(L21Anisotropy, Eq64LowerBoundOnRandomInstances) {
  Rng rng(13, Stream::init);
  int checked = 0;
  double min_slack = 1e300;
  for (int inst = 0; inst < 300; ++inst) {
    const Index d = 5 + Index(rng.uniform() * 60);
    const Index l = 1 + Index(rng.uniform() * 3);
    const double dexp = 0.5 + 1.5 * rng.uniform();
    MatrixD g(d, d);
    rng.fill_normal(g.data(), d * d);
    const Eigen::HouseholderQR<MatrixD> qr(g);
    const MatrixD q = qr.householderQ();
    VectorD eig(d);
    const double k1 = 1 + 9 * rng.uniform();
    for (Index i = 0; i < d; ++i)
      eig[i] = i == 0 ? k1
                      : i < l ? k1 * (0.1 + 0.9 * rng.uniform())
                              : k1 * std::pow(double(d), -dexp) * rng.uniform();
    const MatrixD k = q * eig.asDiagonal() * q.transpose();
    MatrixD b(d, d);
    rng.fill_normal(b.data(), d * d);
    const double align = 5 * rng.uniform();
    const VectorD u1 = q.col(0);
    const MatrixD c = b * b.transpose() / double(d) + align * u1 * u1.transpose();
    const double ratio = anisotropy_ratio(k, c), bound = eq64_bound(k, c);
    EXPECT_GE(ratio, bound * (1 - 1e-12)) << "instance " << inst;
    min_slack = std::min(min_slack, ratio / bound);
    // Long times: M = (2I − λK)^{-1} for a stable λ < 2/k₁.
    const double lr = 1.9 / k1 * rng.uniform();
    const MatrixD m = (2 * MatrixD::Identity(d, d) - lr * k).inverse();
    const MatrixD ms = (m + m.transpose()) / 2;
    EXPECT_GE(anisotropy_ratio(ms, c), eq64_bound(ms, c) * (1 - 1e-12)) << "instance " << inst;
    ++checked;
  }
  EXPECT_EQ(checked, 300);
  // The bound is not vacuous: it is tight (ratio/bound → 1) when C is concentrated on u₁.
  EXPECT_LT(min_slack, 1e3);
  std::printf("P48 300 instances, min ratio/bound %.4f\n", min_slack);
}

// Tightness: C = u₁u₁ᵀ gives equality in eq. 64.
TEST(L21Anisotropy, Eq64IsTightForRankOneAlignedNoise) {
  VectorD eig(4);
  eig << 3.0, 0.01, 0.002, 0.001;
  const MatrixD k = eig.asDiagonal();
  MatrixD c = MatrixD::Zero(4, 4);
  c(0, 0) = 1;
  EXPECT_NEAR(anisotropy_ratio(k, c) / eq64_bound(k, c), 1.0, 1e-12);
}

// ---------------------------------------------------------------------------------------------
// P31: SGD with minibatches drawn with replacement on a fixed regression dataset, x ~ N(0, I_D),
// y = ε ~ N(0, σ² = 1) (the teacher drops out of the residuals). Measured fluctuation
// Tr[ÂΣ] = E[2(L(w) − L_min)], L = |Xw − y|²/(2N), time-averaged after burn-in.
struct Regression {
  MatrixD x;
  VectorD y;
  MatrixD a_hat;
  double l_min = 0;
};

Regression make_regression(Index n, Index d, uint64_t seed) {
  Rng rng(seed, Stream::data);
  Regression r;
  r.x.resize(n, d);
  rng.fill_normal(r.x.data(), n * d);
  r.y.resize(n);
  rng.fill_normal(r.y.data(), n);
  r.a_hat = r.x.transpose() * r.x / double(n);
  if (n > d) {
    const VectorD w = r.x.colPivHouseholderQr().solve(r.y);
    r.l_min = (r.x * w - r.y).squaredNorm() / (2.0 * double(n));
  }
  return r;
}

// Returns the time-averaged 2(L − L_min), or +inf once |w| exceeds 1e8 (divergence).
double sgd_fluctuation(const Regression& r, int s, double lr, long steps, long burn_in,
                       uint64_t seed) {
  const Index n = r.x.rows(), d = r.x.cols();
  Rng rng(seed, Stream::estimator);
  VectorD w = VectorD::Zero(d), g(d);
  double acc = 0;
  long count = 0;
  for (long t = 0; t < steps; ++t) {
    g.setZero();
    for (int b = 0; b < s; ++b) {
      const Index i = std::min<Index>(n - 1, Index(rng.uniform() * double(n)));
      g += (r.x.row(i).dot(w) - r.y[i]) * r.x.row(i).transpose();
    }
    w -= lr / s * g;
    if (t % 64 == 0 && !(w.norm() < 1e8)) return std::numeric_limits<double>::infinity();
    if (t >= burn_in && t % 10 == 0) {
      acc += 2 * ((r.x * w - r.y).squaredNorm() / (2.0 * double(n)) - r.l_min);
      ++count;
    }
  }
  return acc / double(count);
}

VectorD eigs(const MatrixD& a) { return Eigen::SelfAdjointEigenSolver<MatrixD>(a).eigenvalues(); }

// The reference cases of P31 with λTr[Â]/(2S) ≤ 0.25 (tolerance 15 %, an approximation error, not a
// sampling one: 4 × 5·10⁴ steps with relaxation times ≤ ~150 steps leave ≈ 10³ effectively
// independent samples of a quantity with relative spread ≈ sqrt(2/D), i.e. < 1 % noise).
TEST(Z22Simulation, HighDimRegressionTheorem6) {
  struct Case {
    Index n, d;
    int s;
    double lr;
  };
  for (const Case c : {Case{400, 100, 10, 0.05}, Case{200, 100, 10, 0.05},
                       Case{1000, 50, 5, 0.05}}) {
    // Averaged over 4 datasets: Thm 6 is a large-(N, D) statement, one draw of Â scatters.
    double predicted = 0, measured = 0;
    for (uint64_t k = 0; k < 4; ++k) {
      const Regression r = make_regression(c.n, c.d, 31 + k);
      const double alpha = double(c.n) / double(c.d);
      predicted += z22_highdim_fluctuation(eigs(r.a_hat), c.lr, c.s, 1.0, alpha) / 4;
      measured += sgd_fluctuation(r, c.s, c.lr, 50000, 3000, 131 + k) / 4;
    }
    EXPECT_NEAR(measured / predicted, 1.0, 0.15)
        << "N " << c.n << " D " << c.d << " S " << c.s << " lr " << c.lr;
    std::printf("P31 (N,D,S,lr)=(%ld,%ld,%d,%.2f) Thm6 %.4f measured %.4f\n", long(c.n),
                long(c.d), c.s, c.lr, predicted, measured);
  }
}

// α = N/D < 1: Thm 6 predicts exactly zero fluctuation; SGD converges to an interpolating
// solution, so the measured 2(L − 0) must vanish up to round-off (1e-12 vs O(1) at α > 1).
TEST(Z22Simulation, HighDimOverparametrisedHasNoFluctuation) {
  const Regression r = make_regression(100, 200, 33);
  EXPECT_EQ(z22_highdim_fluctuation(eigs(r.a_hat), 0.02, 10, 1.0, 0.5), 0.0);
  const double measured = sgd_fluctuation(r, 10, 0.02, 60000, 30000, 34);
  EXPECT_LT(measured, 1e-12);
  std::printf("P31 (100,200,10,0.02) Thm6 0 measured %.3g\n", measured);
}

// Divergence when the stability sum reaches S (D = 100, S = 10, λ = 0.2), and λ_max ∝ S/D.
TEST(Z22Simulation, HighDimDivergesWhenStabilitySumReachesS) {
  const Regression r = make_regression(400, 100, 35);
  const VectorD a = eigs(r.a_hat);
  const double sum = z22_highdim_stability_sum(a, 0.2, 10);
  EXPECT_GE(sum, 10.0);
  EXPECT_TRUE(std::isinf(z22_highdim_fluctuation(a, 0.2, 10, 1.0, 4.0)));
  EXPECT_TRUE(std::isinf(sgd_fluctuation(r, 10, 0.2, 200000, 1000, 36)));
  // Just below the edge the same dataset stays finite.
  EXPECT_LT(z22_highdim_stability_sum(a, 0.1, 10), 10.0);
  std::printf("P31 (400,100,10,0.2) stability sum %.3f >= S: diverged\n", sum);
}

// ---------------------------------------------------------------------------------------------
// P52: forward-pass GNI tails on a 1-neuron-wide ReLU net, x = 0.5, unit weights, noise on every
// layer except the output: additive h̃_i = ReLU(h̃_{i−1}) + σε_i, multiplicative
// h̃_i = ReLU(h̃_{i−1})·(1 + σε_i) (h̃_{−1} := x, no ReLU on the input), σ = 2.
// Slope of log ‖h̃_i‖_m against log m, m = 2..12 (least squares), from 4·10⁶ samples.
// Exact finite-m slopes: ‖1 + 2Z‖_m gives 0.416 (Gaussian asymptote 0.5), each ReLU gate adds
// ≈ 0.09. Sampling: the 12th sample moment of a product of two Gaussians has relative
// standard error ≈ sqrt(E X²⁴/E² X¹² / n) ≈ 1.5, i.e. ±0.04 on log ‖·‖₁₂ and < 0.03 on the
// slope, well inside the ±0.15 of P52.
double moment_slope(const ArrayD& h) {
  const ArrayD a = h.abs();
  std::vector<double> lx, ly;
  for (int m = 2; m <= 12; ++m) {
    lx.push_back(std::log(double(m)));
    ly.push_back(std::log(a.pow(double(m)).mean()) / m);
  }
  const double n = double(lx.size());
  double sx = 0, sy = 0, sxx = 0, sxy = 0;
  for (size_t i = 0; i < lx.size(); ++i) {
    sx += lx[i], sy += ly[i], sxx += lx[i] * lx[i], sxy += lx[i] * ly[i];
  }
  return (n * sxy - sx * sy) / (n * sxx - sx * sx);
}

TEST(C21Simulation, ForwardPassNoiseTails) {
  const Index n = 4000000;
  const double x = 0.5, sigma = 2.0;
  Rng rng(52, Stream::estimator);
  ArrayD add = ArrayD::Constant(n, x), mul = ArrayD::Constant(n, x);
  for (int i = 0; i < 3; ++i) {
    const ArrayD pre_a = i == 0 ? add : ArrayD(add.max(0.0));
    const ArrayD pre_m = i == 0 ? mul : ArrayD(mul.max(0.0));
    add = pre_a + sigma * normals(rng, n);
    mul = pre_m * (1.0 + sigma * normals(rng, n));
    const double sa = moment_slope(add), sm = moment_slope(mul);
    std::printf("P52 layer %d additive slope %.3f (0.5), multiplicative %.3f (%.1f)\n", i, sa,
                sm, (i + 1) / 2.0);
    EXPECT_NEAR(sa, 0.5, 0.15) << "additive, layer " << i;
    // Layer 2 (three Gaussian factors): the 12th sample moment is dominated by rare products,
    // its sampling error exceeds the tolerance; reported, asserted only for i = 0, 1.
    if (i < 2) {
      EXPECT_NEAR(sm, (i + 1) / 2.0, 0.15) << "multiplicative, layer " << i;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// P53: gradient noise of the implicit effect, ∂E_L/∂W_i = g_i(ε) − E_ε g_i(ε) (the clean-loss
// gradient cancels in eq. 3.2), on a 1-neuron bias-free ReLU chain, x = 0.5, target 0, σ = 2,
// noise on the input and every hidden activation (not the output), loss ŷ²/2. Slopes of
// log ‖·‖_m vs log m, m = 2..12, as P52. Gradients by the chain rule, layer by layer.
struct ChainGradients {
  std::vector<ArrayD> g;  // g[i-1] = ∂loss/∂W_i, one entry per noise sample
};

ChainGradients p53_chain(bool multiplicative, const std::vector<double>& w, Index n,
                         uint64_t seed) {
  const double x = 0.5, sigma = 2.0;
  const int L = int(w.size());
  Rng rng(seed, Stream::estimator);
  // Injected factor: a ∘ u with u = 1 + σε (multiplicative) or a + σε (additive).
  std::vector<ArrayD> act, jac;  // a_0 .. a_{L-1}; ∂a_k/∂h_k for k = 1..L-1
  ArrayD e = normals(rng, n);
  act.push_back(multiplicative ? ArrayD(x * (1.0 + sigma * e)) : ArrayD(x + sigma * e));
  for (int k = 1; k < L; ++k) {
    const ArrayD h = w[std::size_t(k) - 1] * act.back();
    const ArrayD gate = (h > 0.0).cast<double>();
    e = normals(rng, n);
    const ArrayD u = 1.0 + sigma * e;
    act.push_back(multiplicative ? ArrayD(h.max(0.0) * u) : ArrayD(h.max(0.0) + sigma * e));
    jac.push_back(multiplicative ? ArrayD(gate * u) : gate);
  }
  const double w_out = w[std::size_t(L) - 1];
  const ArrayD y = w_out * act.back();
  ChainGradients out;
  out.g.resize(std::size_t(L));
  ArrayD delta = y * w_out;  // ∂loss/∂a_{L-1}
  out.g[std::size_t(L) - 1] = y * act.back();
  for (int k = L - 1; k >= 1; --k) {
    const ArrayD dh = delta * jac[std::size_t(k) - 1];
    out.g[std::size_t(k) - 1] = dh * act[std::size_t(k) - 1];
    delta = dh * w[std::size_t(k) - 1];
  }
  for (auto& g : out.g) g -= g.mean();
  return out;
}

double even_moment_slope(const std::vector<double>& log_norms) {  // m = 2, 4, ..., 12
  double sx = 0, sy = 0, sxx = 0, sxy = 0;
  const double n = double(log_norms.size());
  for (size_t i = 0; i < log_norms.size(); ++i) {
    const double lx = std::log(2.0 * double(i + 1));
    sx += lx, sy += log_norms[i], sxx += lx * lx, sxy += lx * log_norms[i];
  }
  return (n * sxy - sx * sy) / (n * sxx - sx * sx);
}

// gni_moments against direct quadrature: E[g^k] for L = 2 (weights 0.8, 1.5) is
// c^k E[u^{2k} 1(u>0)] E[u^{2k}], u ~ N(1, σ²); both factors by the midpoint rule on
// [-1/σ, 14] in ε (10⁶ cells; the integrand beyond ε = 14 is < 1e-35 of the total).
TEST(GniMoments, RawMomentsMatchQuadrature) {
  GniChain net;
  net.weights = {0.8, 1.5};
  const double s = net.sigma, c = 1.5 * std::pow(net.x * 0.8, 2);  // c_2 = W_2 (x W_1)²
  for (int k : {1, 2, 3, 5}) {
    const int cells = 1000000;
    double full = 0, trunc = 0;
    const double lo = -14.0, hi = 14.0, dz = (hi - lo) / cells;
    for (int j = 0; j < cells; ++j) {
      const double z = lo + (j + 0.5) * dz, u = 1 + s * z;
      const double term = std::pow(u, 2 * k) * std::exp(-0.5 * z * z) / std::sqrt(2 * M_PI) * dz;
      full += term;
      if (u > 0) trunc += term;
    }
    const double expected = k * std::log(c) + std::log(full) + std::log(trunc);
    EXPECT_NEAR(gni_log_raw_moment(net, 2, k), expected, 1e-6) << "k " << k;
    // Layer 1 differs by the constant factor (W_2 / W_1)^k.
    EXPECT_NEAR(gni_log_raw_moment(net, 1, k) - gni_log_raw_moment(net, 2, k),
                k * std::log(1.5 / 0.8), 1e-12);
  }
  // Centred second moment = Var(g) = E g² − (E g)².
  const double m1 = std::exp(gni_log_raw_moment(net, 2, 1)),
               m2 = std::exp(gni_log_raw_moment(net, 2, 2));
  EXPECT_NEAR(gni_centered_norm(net, 2, 2), std::sqrt(m2 - m1 * m1), 1e-9 * std::sqrt(m2));
}

// Additive: g is a product of two sub-Gaussian factors, slope ≈ 1 (Thm 3.1). Unit weights,
// L = 2: measured 1.059 / 1.072 (W_1 / W_2); seeds 54..57 gave 1.04..1.20.
TEST(C21Simulation, ImplicitEffectGradientNoiseTailsAdditive) {
  const ChainGradients c = p53_chain(false, {1.0, 1.0}, 2000000, 53);
  const double a1 = moment_slope(c.g[0]), a2 = moment_slope(c.g[1]);
  std::printf("P53 additive slope W_1 %.3f, W_2 %.3f (1)\n", a1, a2);
  EXPECT_NEAR(a1, 1.0, 0.2);
  EXPECT_NEAR(a2, 1.0, 0.2);
}

// Multiplicative: the simulated gradients are checked against the exact moments of
// sim/theory/gni_moments (truncated-normal moment recursions, an independent computation).
// 1. Homogeneity: with positive weights W_i g_i = W_L g_L sample by sample (to rounding).
// 2. ‖g_i − E g_i‖_2 and ‖·‖_4 from 2·10⁶ samples against the exact values. Relative standard
//    errors: ‖·‖_2 needs E g⁴/(E g²)², which for L squared factors u² is ≈ (E u⁸/(E u⁴)²)^L
//    ≈ 12^L, giving 0.4 % (L = 2) and 1.5 % (L = 3); asserted within 3 % / 6 %. ‖·‖_4 is a
//    quarter of the error of E g⁴, whose relative SE is ≈ sqrt(190^L / n): 3 % (L = 2),
//    40 % (L = 3, so 10 % on the norm); asserted within 10 % / 30 %.
// 3. The statistic of P53, the slope over m = 2..12 (even m, where the exact centred moment is
//    a finite binomial sum): for L = 2 simulation within 0.35 of exact (seed 53: 1.718 vs
//    1.833; the 12th sample moment of a product of four Gaussian factors is dominated by rare
//    samples, seeds 54..57 spread ±0.25). For L = 3 (six factors) 2·10⁶ samples cannot see the
//    12th moment (the sample slope is 2.03 against the exact 2.73, biased low as sample moments
//    of very heavy tails are), so it is reported, not asserted; the exact value carries the
//    check there.
// 4. The exact exponent at m = 1000 is L for every layer, so the (L+i)/2 of [C21] Thm 3.1 does
//    not hold for i < L in the very net Remark 3.1 calls tight (docs/corrections.md C19).
TEST(C21Simulation, ImplicitEffectGradientNoiseTailsMultiplicative) {
  for (const std::vector<double>& w :
       {std::vector<double>{0.8, 1.5}, std::vector<double>{0.8, 1.2, 1.5}}) {
    const int L = int(w.size());
    const ChainGradients c = p53_chain(true, w, 2000000, 53);
    GniChain net;
    net.weights = w;
    for (int i = 1; i <= L; ++i) {
      const ArrayD& g = c.g[std::size_t(i) - 1];
      const ArrayD scaled = g * w[std::size_t(i) - 1] / w[std::size_t(L) - 1];
      EXPECT_LT((scaled - c.g[std::size_t(L) - 1]).abs().maxCoeff(),
                1e-12 * c.g[std::size_t(L) - 1].abs().maxCoeff())
          << "L " << L << " layer " << i;
      std::vector<double> sim_log, exact_log;
      for (int m = 2; m <= 12; m += 2) {
        sim_log.push_back(std::log(g.pow(double(m)).mean()) / m);
        exact_log.push_back(std::log(gni_centered_norm(net, i, m)));
      }
      EXPECT_NEAR(std::exp(sim_log[0] - exact_log[0]), 1.0, L == 2 ? 0.03 : 0.06);
      EXPECT_NEAR(std::exp(sim_log[1] - exact_log[1]), 1.0, L == 2 ? 0.10 : 0.30);
      const double sim_slope = even_moment_slope(sim_log), exact_slope = even_moment_slope(exact_log);
      const double asymptotic = gni_local_exponent(net, i, 1000);
      std::printf("P53 multiplicative L=%d W_%d: slope m=2..12 simulated %.3f exact %.3f, "
                  "exact exponent at m=1000 %.3f, [C21] (L+i)/2 = %.1f\n",
                  L, i, sim_slope, exact_slope, asymptotic, (L + i) / 2.0);
      if (L == 2) {
        EXPECT_NEAR(sim_slope, exact_slope, 0.35) << "layer " << i;
      }
      EXPECT_NEAR(asymptotic, double(L), 0.05) << "L " << L << " layer " << i;
      if (i < L) {
        EXPECT_GT(asymptotic, (L + i) / 2.0 + 0.4);
      }
    }
  }
}

}  // namespace
}  // namespace xb::sim::theory
