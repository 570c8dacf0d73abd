// SPDX-License-Identifier: MIT
// stationary: a long run of a noisy optimiser in a quadratic minimum, against the exact
// discrete-time theory of [L21] and [Z22] (P21–P45, P50 in docs/theory.md).
//
// Optimiser ([L21] eq. 5, [Z22] Def. 2): m_t = μ m_{t-1} + ĝ_t, w_t = w_{t-1} - Λ m_t, with
// Λ = dt I (preconditioner none), dt K^{-1} (newton, [L21] Thm 12) or an explicit matrix.
// The gradient estimate ĝ is the task's gradient (exact for `quadratic`, a minibatch for
// `linear_regression`) minus the synthetic rule's error b β + σ sqrt(f(N)) n̂ ([G23] eq. 1, so
// that Δw = -ĝ), plus optional extra Gaussian noise with covariance
//   noise_cov + hessian_noise K + state_noise K (w - w*)(w - w*)^T K.
//
// Tasks (section `task`, read here):
//   quadratic:         loss ½ (w - w*)^T H (w - w*)
//   linear_regression: loss = loss_scale (1/N) Σ (w^T x_i - y_i)² + ½ w^T Γ w with
//                      x = x̄ + ε, x̄ ~ N(0, diag input_var), ε ~ N(0, diag input_noise),
//                      y = u^T x̄ + label_noise ξ; a finite dataset of n_samples, or fresh
//                      samples every step (n_samples = 0, "online", as in [Z22] Thm 2).
//
// Theory: the noise covariance C(Σ) is linear in Σ for every model above (exact minibatch
// covariance of the realised dataset, [Z22] Prop. 1/8; online Gaussian label/input noise,
// [Z22] Lemma 1, Prop. 9; state-dependent noise, [L21] Sec. 4.7), so the exact stationary
// covariance solves a linear (vectorised) Lyapunov equation (sim/theory/lyapunov.h).
//
// metrics.csv: chain, step, train_error (instantaneous), cov_trace (trace of the running
// measured covariance of w), every `record_every` steps after burn_in.
// summary.json: measured_cov, predicted_cov, continuous_cov (row-major lists), measured_mean,
// predicted_mean, measured_train_error, predicted_train_error, measured_test_error,
// predicted_test_error (linear_regression), measured_noise_cov, predicted_noise_cov,
// predicted_stable, tail_index_hill (Hill estimate on |w_0 - mean| over the top
// `hill_fraction` of the first 5e7 recorded samples), samples.
#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>
#include <vector>

#include <Eigen/Cholesky>
#include <Eigen/Eigenvalues>
#include <Eigen/LU>
#include <boost/random/chi_squared_distribution.hpp>

#include "hw_models/core/distributions.h"
#include "learning_rules/noise.h"
#include "sim/experiment.h"
#include "sim/interrupt.h"
#include "sim/theory/lyapunov.h"
#include "sim/theory/tail_fit.h"

namespace xb::sim {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
// The Hill estimate uses at most the first 5e7 recorded samples (400 MB).
constexpr std::size_t kMaxTailSamples = 50000000;

struct StationaryParams {
  double dt = 0.1;
  double momentum = 0.0;
  int64_t steps = 100000;
  int64_t burn_in = 1000;
  int chains = 1;
  int64_t record_every = 1000;
  std::string preconditioner = "none";
  std::vector<std::vector<double>> lr_matrix;
  std::vector<std::vector<double>> noise_cov;
  double hessian_noise = 0.0;
  double state_noise = 0.0;
  std::string extra_noise_law = "gaussian";
  double hill_fraction = 0.005;
  double max_abs = 1e12;
  template <class F>
  void bind(F&& f) {
    f("dt", dt, "1", "learning rate λ (scalar; Λ = dt I, or dt K^-1 for newton)");
    f("momentum", momentum, "", "heavy-ball momentum μ in [0, 1)");
    f("steps", steps, "", "steps per chain after burn_in");
    f("burn_in", burn_in, "", "steps discarded per chain before measuring");
    f("chains", chains, "", "independent chains (statistics pooled)");
    f("record_every", record_every, "", "metrics.csv row every this many steps");
    f("preconditioner", preconditioner, "", "none | newton (Λ = dt K^-1) | matrix (lr_matrix)");
    f("lr_matrix", lr_matrix, "1", "explicit learning-rate matrix Λ (preconditioner: matrix)");
    f("noise_cov", noise_cov, "1", "extra constant noise covariance C (D x D)");
    f("hessian_noise", hessian_noise, "1", "extra Hessian-shaped noise: C += a K ([L21] Thm 4)");
    f("state_noise", state_noise, "1",
      "extra state-dependent noise: C += c K (w-w*)(w-w*)^T K ([L21] Sec. 4.7)");
    f("extra_noise_law", extra_noise_law, "",
      "law of the extra noise components: gaussian | student_t4 | chi2_3 (unit variance)");
    f("hill_fraction", hill_fraction, "", "fraction of largest |w_0| samples used by Hill");
    f("max_abs", max_abs, "1", "divergence threshold on |w| (NumericalError beyond)");
  }
  void validate(const Scope& s) const {
    s.require_gt("dt", dt, 0.0);
    s.require(momentum >= 0.0 && momentum < 1.0, "momentum", momentum, "must be in [0, 1)");
    s.require_in("steps", steps, int64_t(1), int64_t(2000000000));
    s.require_in("burn_in", burn_in, int64_t(0), int64_t(2000000000));
    s.require_in("chains", chains, 1, 100000);
    s.require_in("record_every", record_every, int64_t(1), int64_t(2000000000));
    s.require_one_of("preconditioner", preconditioner, {"none", "newton", "matrix"});
    s.require(preconditioner != "matrix" || !lr_matrix.empty(), "lr_matrix", "[]",
              "must be given when preconditioner = matrix");
    s.require_ge("hessian_noise", hessian_noise, 0.0);
    s.require_ge("state_noise", state_noise, 0.0);
    s.require_one_of("extra_noise_law", extra_noise_law, {"gaussian", "student_t4", "chi2_3"});
    s.require(hill_fraction > 0 && hill_fraction < 0.5, "hill_fraction", hill_fraction,
              "must be in (0, 0.5)");
    s.require_gt("max_abs", max_abs, 0.0);
  }
};

struct TaskParams {
  std::string type = "quadratic";
  // quadratic
  std::vector<double> hessian_diag;
  std::vector<std::vector<double>> hessian;
  std::vector<double> w_star;
  std::vector<double> w0;
  // linear_regression
  std::vector<double> input_var;
  std::vector<double> input_noise;
  double label_noise = 0.0;
  std::vector<double> teacher;
  std::vector<double> l2;
  int n_samples = 0;
  int batch = 1;
  bool replacement = true;
  double loss_scale = 0.5;
  template <class F>
  void bind(F&& f) {
    f("type", type, "", "quadratic | linear_regression");
    f("hessian_diag", hessian_diag, "", "quadratic: diagonal Hessian H");
    f("hessian", hessian, "", "quadratic: full symmetric positive-definite Hessian H");
    f("w_star", w_star, "", "quadratic: minimum w* (default 0)");
    f("w0", w0, "", "initial weights (default: the minimum)");
    f("input_var", input_var, "", "linear_regression: diagonal of the input covariance A");
    f("input_noise", input_noise, "", "linear_regression: diagonal of the input-noise B");
    f("label_noise", label_noise, "", "linear_regression: label-noise std σ");
    f("teacher", teacher, "", "linear_regression: teacher u (default ones)");
    f("l2", l2, "", "linear_regression: diagonal of Γ in ½ w^T Γ w (may be negative)");
    f("n_samples", n_samples, "", "linear_regression: dataset size N (0: fresh samples)");
    f("batch", batch, "", "linear_regression: minibatch size S");
    f("replacement", replacement, "", "linear_regression: minibatch with replacement");
    f("loss_scale", loss_scale, "", "linear_regression: c in c (1/N) Σ (w^T x - y)^2");
  }
  void validate(const Scope& s) const {
    s.require_one_of("type", type, {"quadratic", "linear_regression"});
    if (type == "quadratic") {
      s.require(hessian_diag.empty() != hessian.empty(), "hessian_diag", "[]",
                "give exactly one of hessian_diag and hessian");
      const std::size_t d = hessian_diag.empty() ? hessian.size() : hessian_diag.size();
      s.require(d >= 1 && d <= 12, "hessian_diag", d, "dimension must be in [1, 12]");
      for (const auto& row : hessian)
        s.require(row.size() == d, "hessian", row.size(), "must be square");
      s.require(w_star.empty() || w_star.size() == d, "w_star", w_star.size(),
                "must have the Hessian's dimension");
      s.require(w0.empty() || w0.size() == d, "w0", w0.size(), "must have the Hessian's dimension");
    } else {
      const std::size_t d = input_var.size();
      s.require(d >= 1 && d <= 12, "input_var", d, "dimension must be in [1, 12]");
      for (double v : input_var) s.require(v > 0, "input_var", v, "entries must be > 0");
      s.require(input_noise.empty() || input_noise.size() == d, "input_noise",
                input_noise.size(), "must match input_var");
      for (double v : input_noise) s.require(v >= 0, "input_noise", v, "entries must be >= 0");
      s.require(teacher.empty() || teacher.size() == d, "teacher", teacher.size(),
                "must match input_var");
      s.require(l2.empty() || l2.size() == d, "l2", l2.size(), "must match input_var");
      s.require(w0.empty() || w0.size() == d, "w0", w0.size(), "must match input_var");
      s.require_ge("label_noise", label_noise, 0.0);
      s.require_in("n_samples", n_samples, 0, 100000);
      s.require_in("batch", batch, 1, 100000);
      s.require(n_samples == 0 || batch <= n_samples || replacement, "batch", batch,
                "must be <= n_samples without replacement");
      s.require_gt("loss_scale", loss_scale, 0.0);
    }
  }
};

std::vector<double> flat(const MatrixD& m) {
  std::vector<double> v;
  for (Index i = 0; i < m.rows(); ++i)
    for (Index j = 0; j < m.cols(); ++j) v.push_back(m(i, j));
  return v;
}

MatrixD from_rows(const std::vector<std::vector<double>>& r) {
  MatrixD m(Index(r.size()), Index(r.size()));
  for (std::size_t i = 0; i < r.size(); ++i)
    for (std::size_t j = 0; j < r.size(); ++j) m(Index(i), Index(j)) = r[i].at(j);
  return m;
}

VectorD from_vec(const std::vector<double>& v, Index d, double fill) {
  VectorD out = VectorD::Constant(d, fill);
  for (std::size_t i = 0; i < v.size(); ++i) out[Index(i)] = v[i];
  return out;
}

// Symmetric square root of a positive semi-definite matrix (noise generation).
MatrixD psd_sqrt(const MatrixD& m) {
  Eigen::SelfAdjointEigenSolver<MatrixD> es(0.5 * (m + m.transpose()));
  const VectorD ev = es.eigenvalues().cwiseMax(0.0).cwiseSqrt();
  return es.eigenvectors() * ev.asDiagonal() * es.eigenvectors().transpose();
}

class Stationary : public Experiment {
 public:
  explicit Stationary(const StationaryParams& p) : p_(p) {}

  void prepare(Config& cfg, const RunOptions& options) override {
    options_ = options;
    const Scope ts(cfg, "task");
    task_ = read_params<TaskParams>(ts);
    const Scope rs(cfg, "rule");
    std::string type = "synthetic";
    ParamReader type_reader(rs);
    type_reader("type", type, "", "");
    rs.require_one_of("type", type, {"synthetic"});
    rule_ = rules::EstimatorNoiseParams::read(rs);
    const Scope es(cfg, "experiment");
    build_task(ts);
    const Index d = dim_;
    es.require(p_.noise_cov.empty() || Index(p_.noise_cov.size()) == d, "noise_cov",
               p_.noise_cov.size(), "must be D x D with D the task dimension");
    for (const auto& row : p_.noise_cov)
      es.require(Index(row.size()) == d, "noise_cov", row.size(), "must be square (D x D)");
    es.require(p_.lr_matrix.empty() || Index(p_.lr_matrix.size()) == d, "lr_matrix",
               p_.lr_matrix.size(), "must be D x D with D the task dimension");
    for (const auto& row : p_.lr_matrix)
      es.require(Index(row.size()) == d, "lr_matrix", row.size(), "must be square (D x D)");
    noise_ = std::make_unique<rules::EstimatorNoise>(rule_, d,
                                                     Rng(options.seed, Stream::init, 7));
    if (p_.preconditioner == "none")
      lr_ = p_.dt * MatrixD::Identity(d, d);
    else if (p_.preconditioner == "newton")
      lr_ = p_.dt * k_.inverse();
    else
      lr_ = from_rows(p_.lr_matrix);
    extra_c_ = MatrixD::Zero(d, d);
    if (!p_.noise_cov.empty()) extra_c_ = from_rows(p_.noise_cov);
    extra_c_ += p_.hessian_noise * k_;
    {
      Eigen::SelfAdjointEigenSolver<MatrixD> ev(0.5 * (extra_c_ + extra_c_.transpose()));
      es.require(ev.eigenvalues().minCoeff() > -1e-12, "noise_cov", "[...]",
                 "noise_cov + hessian_noise K must be positive semi-definite");
    }
    extra_sqrt_ = psd_sqrt(extra_c_);
    k_sqrt_state_ = std::sqrt(p_.state_noise) * k_;
  }

  void estimate_memory(MemoryEstimate& m) const override {
    const double d = double(dim_);
    // The Lyapunov solve works on Kronecker products: a few (d² x d²) matrices.
    m.add("Lyapunov solve", "task dimension", 4.0 * d * d * d * d * 8.0);
    m.add("tail samples", "experiment.steps, experiment.chains",
          std::min(double(p_.steps) * double(p_.chains), double(kMaxTailSamples)) * 8.0);
    m.add("dataset", "task.n_samples", double(task_.n_samples) * (d + 1.0) * 8.0);
    m.add("metrics rows", "experiment.steps, experiment.record_every, experiment.chains",
          double(p_.steps) / double(std::max<int64_t>(1, p_.record_every)) * double(p_.chains) * 200.0);
  }

  void run(RunFolder& out) override;

 private:
  void build_task(const Scope& ts);
  void gradient(const VectorD& w, const Rng& data, uint64_t step, VectorD& g) const;
  double train_loss(const VectorD& w) const;
  double test_loss(const VectorD& w) const;
  void extra_noise(Rng& r, VectorD& out) const;
  void predict(nlohmann::ordered_json& s) const;

  StationaryParams p_;
  TaskParams task_;
  rules::EstimatorNoiseParams rule_;
  RunOptions options_;
  std::unique_ptr<rules::EstimatorNoise> noise_;
  Index dim_ = 0;
  bool regression_ = false, online_ = false;
  double scale_ = 1.0;  // 2 loss_scale: per-sample gradient s x (x^T w - y)
  MatrixD k_, lr_, extra_c_, extra_sqrt_, k_sqrt_state_;
  VectorD w_star_, w0_;
  // linear regression
  MatrixD x_, a_, b_, k0_, gamma_;
  VectorD y_, u_, v_, a_sd_, b_sd_;
  double sigma_zeta2_ = 0;
};

void Stationary::build_task(const Scope& ts) {
  if (task_.type == "quadratic") {
    if (!task_.hessian_diag.empty()) {
      dim_ = Index(task_.hessian_diag.size());
      k_ = from_vec(task_.hessian_diag, dim_, 0).asDiagonal();
    } else {
      dim_ = Index(task_.hessian.size());
      k_ = from_rows(task_.hessian);
    }
    Eigen::SelfAdjointEigenSolver<MatrixD> ev(0.5 * (k_ + k_.transpose()));
    ts.require(ev.eigenvalues().minCoeff() > 0 && (k_ - k_.transpose()).norm() < 1e-12,
               "hessian", "[...]", "must be symmetric positive definite");
    w_star_ = from_vec(task_.w_star, dim_, 0.0);
    w0_ = task_.w0.empty() ? w_star_ : from_vec(task_.w0, dim_, 0.0);
    return;
  }
  regression_ = true;
  dim_ = Index(task_.input_var.size());
  const Index d = dim_;
  scale_ = 2 * task_.loss_scale;
  a_ = from_vec(task_.input_var, d, 0).asDiagonal();
  b_ = from_vec(task_.input_noise, d, 0).asDiagonal();
  a_sd_ = from_vec(task_.input_var, d, 0).cwiseSqrt();
  b_sd_ = from_vec(task_.input_noise, d, 0).cwiseSqrt();
  u_ = from_vec(task_.teacher, d, 1.0);
  gamma_ = from_vec(task_.l2, d, 0).asDiagonal();
  online_ = task_.n_samples == 0;
  if (online_) {
    // Fresh Gaussian samples: y = v^T x + ζ with v = K0^{-1} A u the regression coefficient and
    // ζ independent of x, Var ζ = σ² + u^T A u - v^T K0 v = σ² + Tr[A K0^{-1} B U] ([Z22] P27).
    k0_ = a_ + b_;
    v_ = k0_.inverse() * a_ * u_;
    sigma_zeta2_ = task_.label_noise * task_.label_noise + u_.dot(a_ * u_) - v_.dot(k0_ * v_);
  } else {
    // One fixed dataset from the data stream.
    const int n = task_.n_samples;
    Rng r(options_.seed, Stream::data, 1000000);
    x_.resize(n, d);
    y_.resize(n);
    for (int i = 0; i < n; ++i) {
      VectorD xb(d), e(d);
      r.fill_normal(xb.data(), d);
      r.fill_normal(e.data(), d);
      xb = xb.cwiseProduct(a_sd_);
      e = e.cwiseProduct(b_sd_);
      x_.row(i) = (xb + e).transpose();
      y_[i] = u_.dot(xb) + task_.label_noise * r.normal();
    }
    k0_ = x_.transpose() * x_ / double(n);  // Â
  }
  k_ = scale_ * k0_ + gamma_;
  Eigen::SelfAdjointEigenSolver<MatrixD> ev(k_);
  ts.require(ev.eigenvalues().minCoeff() > 0, "l2", "[...]",
             "the Hessian input covariance + Γ must be positive definite");
  if (online_)
    w_star_ = k_.inverse() * (scale_ * k0_ * v_);
  else
    w_star_ = k_.inverse() * (scale_ * x_.transpose() * y_ / double(task_.n_samples));
  w0_ = task_.w0.empty() ? w_star_ : from_vec(task_.w0, d, 0.0);
}

// True-loss gradient (quadratic) or minibatch gradient (regression) at w for `step`.
void Stationary::gradient(const VectorD& w, const Rng& data, uint64_t step, VectorD& g) const {
  if (!regression_) {
    g.noalias() = k_ * (w - w_star_);
    return;
  }
  const Index d = dim_;
  const int s = task_.batch;
  Rng r = data.at(step);
  g = gamma_ * w;
  VectorD acc = VectorD::Zero(d);
  if (online_) {
    VectorD xb(d), e(d);
    for (int i = 0; i < s; ++i) {
      r.fill_normal(xb.data(), d);
      r.fill_normal(e.data(), d);
      xb = xb.cwiseProduct(a_sd_);
      e = e.cwiseProduct(b_sd_);
      const VectorD x = xb + e;
      const double y = u_.dot(xb) + task_.label_noise * r.normal();
      acc += x * (x.dot(w) - y);
    }
  } else {
    const int n = task_.n_samples;
    if (task_.replacement || s == 1) {
      for (int i = 0; i < s; ++i) {
        const Index idx = Index(r() % uint32_t(n));
        acc += x_.row(idx).transpose() * (x_.row(idx).dot(w) - y_[idx]);
      }
    } else {
      // Uniform S-subset by a partial Fisher–Yates shuffle (Floyd's method would also do).
      std::vector<int> perm(static_cast<std::size_t>(n));
      for (int i = 0; i < n; ++i) perm[std::size_t(i)] = i;
      for (int i = 0; i < s; ++i) {
        const int j = i + int(r() % uint32_t(n - i));
        std::swap(perm[std::size_t(i)], perm[std::size_t(j)]);
        const Index idx = perm[std::size_t(i)];
        acc += x_.row(idx).transpose() * (x_.row(idx).dot(w) - y_[idx]);
      }
    }
  }
  g += scale_ / s * acc;
}

double Stationary::train_loss(const VectorD& w) const {
  if (!regression_) return 0.5 * (w - w_star_).dot(k_ * (w - w_star_));
  if (online_) {
    const VectorD dv = w - v_;
    return task_.loss_scale * (dv.dot(k0_ * dv) + sigma_zeta2_);
  }
  return task_.loss_scale * (x_ * w - y_).squaredNorm() / double(task_.n_samples);
}

double Stationary::test_loss(const VectorD& w) const {
  const VectorD du = w - u_;
  return task_.loss_scale * du.dot(a_ * du);
}

void Stationary::extra_noise(Rng& r, VectorD& out) const {
  out.resize(dim_);
  if (p_.extra_noise_law == "gaussian") {
    r.fill_normal(out.data(), dim_);
  } else if (p_.extra_noise_law == "student_t4") {
    // Student-t with ν = 4 has variance 2; rescale to unit variance ([L21] App. C).
    fill_student_t_unit(r, 4.0, out.data(), dim_);
  } else {
    // Centred χ² with 3 degrees of freedom (variance 6, skewed), rescaled to unit variance.
    boost::random::chi_squared_distribution<double> chi(3.0);
    for (Index i = 0; i < dim_; ++i) out[i] = (chi(r) - 3.0) / std::sqrt(6.0);
  }
}

void Stationary::predict(nlohmann::ordered_json& s) const {
  using theory::NoiseCovariance;
  const Index d = dim_;
  const MatrixD id = MatrixD::Identity(d, d);
  // Mean: the bias b β shifts the minimum to w* + K^{-1} b β (momentum does not change it).
  const VectorD delta = k_.inverse() * (rule_.b * noise_->beta());
  const MatrixD dd = delta * delta.transpose();
  const bool finite_rule =
      rule_.noise != "alpha_stable" || rule_.alpha == 2.0 || rule_.sigma == 0.0;
  MatrixD c0 = extra_c_ + rule_.sigma * rule_.sigma * noise_->f() / double(d) * id;
  NoiseCovariance c(c0);
  if (p_.state_noise > 0) c.add_sandwich(p_.state_noise, k_);
  if (regression_) {
    const double s = task_.batch, sc2 = scale_ * scale_;
    if (online_) {
      // [Z22] Lemma 1 / Prop. 9 with a shifted minimum: per-sample gradient s x x^T (e + dv)
      // - s x ζ, Gaussian x (Isserlis): Cov = s²[K0 F K0 + Tr(K0 F) K0 + Var ζ K0], F = E[ff^T].
      const VectorD dv = w_star_ - v_;
      c.c0 += sc2 / s * (k0_ * dv * dv.transpose() * k0_ + dv.dot(k0_ * dv) * k0_ +
                         sigma_zeta2_ * k0_);
      c.add_sandwich(sc2 / s, k0_);
      c.add_trace(sc2 / s, k0_, k0_);
    } else {
      // [Z22] Prop. 1/8 for the realised dataset, averaged over e = w - w* (E e = 0):
      // C = coef s² [(1/N) Σ_i (X_i Σ X_i + r_i² X_i) - Â Σ Â - m m^T], m = (1/N) Σ x_i r_i.
      const int n = task_.n_samples;
      const double coef = (task_.replacement || s == 1) ? 1.0 / s
                                                         : (n - s) / (s * (n - 1.0));
      const VectorD r = x_ * w_star_ - y_;
      const VectorD m = x_.transpose() * r / double(n);
      MatrixD c_r = MatrixD::Zero(d, d);
      NoiseCovariance tmp(MatrixD::Zero(d, d));
      for (int i = 0; i < n; ++i) {
        const VectorD xi = x_.row(i).transpose();
        const MatrixD xx = xi * xi.transpose();
        c_r += r[i] * r[i] * xx;
        tmp.add_sandwich(1.0 / n, xx);
      }
      tmp.add_sandwich(-1.0, k0_);
      c.c0 += coef * sc2 * (c_r / double(n) - m * m.transpose());
      if (c.m.size() == 0) c.m = MatrixD::Zero(d * d, d * d);
      c.m += coef * sc2 * tmp.m;
    }
  }
  // The noise sees E[e e^T] = Σ + δ δ^T around w*.
  if (c.m.size()) c.c0 += c.at(dd) - c.c0;
  const theory::StationaryMoments mom = theory::stationary_covariance(lr_, k_, p_.momentum, c);
  MatrixD sigma = mom.sigma;
  if (!finite_rule) sigma = MatrixD::Constant(d, d, kNaN);
  s["predicted_stable"] = mom.stable;
  s["predicted_cov"] = flat(sigma);
  if (p_.preconditioner == "none" && c.m.size() == 0 && finite_rule)
    s["continuous_cov"] = flat(theory::lyapunov_continuous(p_.dt, k_, p_.momentum, c.c0));
  s["predicted_mean"] = flat(w_star_ + delta);
  const MatrixD second = sigma + dd;
  double train = kNaN, test = kNaN;
  if (!regression_) {
    train = 0.5 * (k_ * second).trace();
  } else if (online_) {
    const VectorD dv = w_star_ - v_;
    train = task_.loss_scale * ((k0_ * second).trace() + dv.dot(k0_ * dv) + sigma_zeta2_);
  } else {
    train = train_loss(w_star_) + task_.loss_scale * (k0_ * second).trace();
  }
  if (regression_) {
    const VectorD du = w_star_ - u_;
    test = task_.loss_scale * ((a_ * second).trace() + du.dot(a_ * du));
  }
  s["predicted_train_error"] = train;
  if (regression_) s["predicted_test_error"] = test;
  s["predicted_noise_cov"] = flat(mom.stable ? c.at(sigma) : MatrixD::Constant(d, d, kNaN));
}

void Stationary::run(RunFolder& out) {
  const Index d = dim_;
  out.metrics().set_columns({"chain", "step", "train_error", "cov_trace"});
  VectorD sum_w = VectorD::Zero(d);
  MatrixD sum_ww = MatrixD::Zero(d, d), sum_nn = MatrixD::Zero(d, d);
  double sum_train = 0, sum_test = 0;
  int64_t count = 0;
  std::vector<double> first;  // w_0 samples for the tail index
  first.reserve(std::size_t(std::min<int64_t>(p_.steps * p_.chains, int64_t(kMaxTailSamples))));
  VectorD w(d), m(d), g(d), pert(d), xi(d), gtrue(d);
  for (int chain = 0; chain < p_.chains; ++chain) {
    const Rng est(options_.seed, Stream::estimator, uint32_t(chain));
    const Rng cyc(options_.seed, Stream::cycle, uint32_t(chain));
    const Rng data(options_.seed, Stream::data, uint32_t(chain));
    w = w0_;
    m.setZero();
    const int64_t total = p_.burn_in + p_.steps;
    for (int64_t t = 0; t < total; ++t) {
      if ((t & 0xfff) == 0) throw_if_interrupted();
      gradient(w, data, uint64_t(t), g);
      gtrue.noalias() = k_ * (w - w_star_);
      noise_->perturbation(est, uint64_t(t), pert);
      g -= pert;
      if (extra_c_.size() && (p_.hessian_noise > 0 || !p_.noise_cov.empty())) {
        Rng r = cyc.at(uint64_t(t), 0);
        extra_noise(r, xi);
        g.noalias() += extra_sqrt_ * xi;
      }
      if (p_.state_noise > 0) {
        Rng r = cyc.at(uint64_t(t), 1);
        g.noalias() += (k_sqrt_state_ * (w - w_star_)) * r.normal();
      }
      if (t >= p_.burn_in) {
        // Noise around the true gradient (bias included as a mean, removed below).
        const VectorD nz = g - gtrue;
        sum_nn.noalias() += nz * nz.transpose();
      }
      m = p_.momentum * m + g;
      w.noalias() -= lr_ * m;
      if (!(w.cwiseAbs().maxCoeff() <= p_.max_abs))
        throw NumericalError("stationary: chain " + std::to_string(chain) + ", step " +
                             std::to_string(t) + ": |w| exceeds max_abs (diverged)");
      if (t >= p_.burn_in) {
        sum_w += w;
        sum_ww.noalias() += w * w.transpose();
        sum_train += train_loss(w);
        if (regression_) sum_test += test_loss(w);
        if (first.size() < kMaxTailSamples) first.push_back(w[0]);
        ++count;
        if ((t - p_.burn_in + 1) % p_.record_every == 0) {
          const VectorD mean = sum_w / double(count);
          const double tr = (sum_ww / double(count) - mean * mean.transpose()).trace();
          out.metrics().add_row({double(chain), double(t + 1), train_loss(w), tr});
        }
      }
    }
  }
  auto& s = out.summary();
  const VectorD mean = sum_w / double(count);
  const MatrixD cov = sum_ww / double(count) - mean * mean.transpose();
  const VectorD bias = rule_.b * noise_->beta();
  s["measured_cov"] = flat(cov);
  s["measured_mean"] = flat(mean);
  s["measured_train_error"] = sum_train / double(count);
  if (regression_) s["measured_test_error"] = sum_test / double(count);
  s["measured_noise_cov"] = flat(sum_nn / double(count) - bias * bias.transpose());
  predict(s);
  for (double& v : first) v = std::abs(v - mean[0]);
  s["tail_index_hill"] = theory::hill_estimator(first, p_.hill_fraction);
  s["samples"] = count;
}

}  // namespace

void register_experiment_stationary(ExperimentRegistry& r) {
  r.add_model<StationaryParams, Stationary>(
      "stationary",
      "noisy SGD / momentum / preconditioned optimiser in a quadratic minimum vs the exact "
      "discrete-time Lyapunov theory ([L21] Thm 1-5, [Z22] Thm 1-4)");
}

}  // namespace xb::sim
