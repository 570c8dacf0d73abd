// SPDX-License-Identifier: MIT
// descent_probability: [G23] Theorems 3.1 and 3.2 and the PAC bound (P10–P12 in
// docs/theory.md; Figs. 7 and 8) on random quadratics. One step w <- w + dt Δw from a point with gradient g;
// the loss change of a quadratic, L(w + u) - L(w) = g^T u + 1/2 u^T H u, is exact.
//
// mode noise (Thm 3.1, Fig. 7A/B): per row lambda_max, H has eigenvalues uniform in
//   [lambda_max (1 - spread), lambda_max] in a random basis, g ~ N(0, I); Δw = -g + noise with
//   total variance (noise_ratio ||g||)^2 (f(N) = 1), `pairs` antithetic pairs per trial.
//   Columns: lambda_max, lambda_min (mean), noise_ratio, threshold (2 / (dt (1 + r^2))),
//   mean_delta_loss (per dt ||g||^2, over trials and draws), predicted_mean_delta_loss (eq. 41,
//   same units), prob_descent (fraction of single updates that lower L: reported, not a
//   theorem), prob_mean_descent (fraction of trials whose antithetic mean lowers L).
// mode bias (Thm 3.2 and eq. 58, Fig. 7C and 8): per dimension n in `dims`, H = Q Q^T / n, g ~
//   N(0, I), Δw = -g + b beta with beta = 1 (||beta|| = sqrt(n)) and b/||g|| from
//   `bias_ratios` plus the two bounds (deterministic, eq. 8, and PAC, eq. 58, evaluated per
//   trial from psi = ||H||_F). Columns: n, setting (ratio | deterministic | pac), bias_ratio
//   (mean b/||g||), prob_descent (beta = 1), worst_case (max over trials of the largest
//   ΔL / (dt ||g||^2) over all beta with ||beta|| = sqrt(n): a trust-region maximisation),
//   lambda_max_dt (max over trials).
// summary.json: threshold (noise: for the first noise ratio; bias: the mean deterministic
//   bound on b/||g|| at the first dimension), rows.
#include <Eigen/Eigenvalues>
#include <Eigen/QR>
#include <algorithm>
#include <cmath>

#include "hw_models/core/rng.h"
#include "sim/experiment.h"
#include "sim/interrupt.h"
#include "sim/theory/lemma.h"

namespace xb::sim {

namespace {

struct DescentParams {
  std::string mode = "noise";
  double dt = 0.01;
  int n = 5;
  std::vector<double> lambdas{50, 100, 150, 200, 250};
  double spread = 0.5;
  std::vector<double> noise_ratios{0.0, 1.0};
  std::vector<int> dims{1, 5, 25, 100};
  std::vector<double> bias_ratios;
  int trials = 200;
  int pairs = 50;
  bool worst_case = true;
  template <class F>
  void bind(F&& f) {
    f("mode", mode, "", "noise (Thm 3.1) | bias (Thm 3.2, PAC eq. 58)");
    f("dt", dt, "1", "step size");
    f("n", n, "", "noise mode: parameter dimension");
    f("lambdas", lambdas, "1", "noise mode: largest Hessian eigenvalues (one row each)");
    f("spread", spread, "", "noise mode: eigenvalues uniform in [lambda (1 - spread), lambda]");
    f("noise_ratios", noise_ratios, "", "noise mode: r = noise norm / ||g||");
    f("dims", dims, "", "bias mode: parameter dimensions");
    f("bias_ratios", bias_ratios, "", "bias mode: b / ||g|| values (the two bounds are always added)");
    f("trials", trials, "", "random (H, g) per row");
    f("pairs", pairs, "", "noise mode: antithetic noise pairs per trial");
    f("worst_case", worst_case, "", "bias mode: also maximise ΔL over beta (one eigensolve per trial)");
  }
  void validate(const Scope& s) const {
    s.require_one_of("mode", mode, {"noise", "bias"});
    s.require_gt("dt", dt, 0.0);
    s.require_in("n", n, 1, 2000);
    for (double l : lambdas) s.require(l >= 0, "lambdas", l, "must be >= 0");
    s.require_in("spread", spread, 0.0, 1.0);
    for (double r : noise_ratios) s.require(r >= 0, "noise_ratios", r, "must be >= 0");
    for (int d : dims) s.require(d >= 1 && d <= 2000, "dims", d, "must be in [1, 2000]");
    for (double r : bias_ratios) s.require(r >= 0, "bias_ratios", r, "must be >= 0");
    s.require_in("trials", trials, 1, 10000000);
    s.require_in("pairs", pairs, 1, 1000000);
  }
};

MatrixD random_rotation(Index n, Rng& r) {
  MatrixD g(n, n);
  r.fill_normal(g.data(), g.size());
  Eigen::HouseholderQR<Eigen::MatrixXd> qr{Eigen::MatrixXd(g)};
  return MatrixD(Eigen::MatrixXd(qr.householderQ()));
}

double delta_loss(const VectorD& g, const MatrixD& h, const VectorD& u) {
  return g.dot(u) + 0.5 * u.dot(h * u);
}

// max over ||beta|| = rho of f(beta) = a^T beta + 1/2 beta^T A beta, A = V diag(e) V^T PSD
// (trust-region problem; maximising a convex quadratic puts beta on the sphere). Stationary
// points: (mu I - A) beta = a; the global maximum has mu >= e_max, found by bisection on
// ||beta(mu)|| = rho (decreasing in mu there). The degenerate "hard case" (a orthogonal to the
// top eigenvector) is handled by adding the top eigenvector to reach the sphere.
double sphere_max(const VectorD& a, const MatrixD& A, double rho) {
  Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> es{Eigen::MatrixXd(A)};
  const VectorD e = es.eigenvalues();
  const MatrixD v = es.eigenvectors();
  const VectorD c = v.transpose() * a;
  const Index top = e.size() - 1;
  auto norm_at = [&](double mu) { return (c.array() / (mu - e.array())).matrix().norm(); };
  const double emax = e(top);
  double lo = emax, hi = emax + c.norm() / rho + 1.0;
  VectorD y(e.size());
  if (std::abs(c(top)) < 1e-14 * (1 + c.norm()) && norm_at(emax + 1e-12 * (1 + emax)) < rho) {
    // Hard case: beta = (e_max I - A)^+ a + t v_top.
    for (Index i = 0; i < e.size(); ++i) y(i) = i == top ? 0.0 : c(i) / (emax - e(i));
    y(top) = std::sqrt(std::max(0.0, rho * rho - y.squaredNorm()));
  } else {
    for (int it = 0; it < 200; ++it) {
      const double mid = 0.5 * (lo + hi);
      (norm_at(mid) > rho ? lo : hi) = mid;
    }
    const double mu = 0.5 * (lo + hi);
    y = (c.array() / (mu - e.array())).matrix();
    y *= rho / y.norm();
  }
  return c.dot(y) + 0.5 * (y.array().square() * e.array()).sum();
}

class Descent : public Experiment {
 public:
  explicit Descent(const DescentParams& p) : p_(p) {}
  void prepare(Config&, const RunOptions& options) override { options_ = options; }

  void estimate_memory(MemoryEstimate& m) const override {
    const double n = p_.dims.empty() ? 0 : *std::max_element(p_.dims.begin(), p_.dims.end());
    m.add("random rotations and Hessians", "experiment.dims", 8.0 * n * n * 8.0);
  }

  void run(RunFolder& out) override {
    if (p_.mode == "noise") noise(out);
    else bias(out);
  }

 private:
  void noise(RunFolder& out) {
    auto& m = out.metrics();
    m.set_columns({"lambda_max", "lambda_min", "noise_ratio", "threshold", "mean_delta_loss",
                   "predicted_mean_delta_loss", "prob_descent", "prob_mean_descent"});
    const Index n = p_.n;
    const double dt = p_.dt;
    int row = 0;
    for (double r : p_.noise_ratios)
      for (double lam : p_.lambdas) {
        double mean = 0, pred = 0, lmin = 0;
        long desc = 0, mean_desc = 0, draws = 0;
        for (int t = 0; t < p_.trials; ++t) {
          throw_if_interrupted();
          Rng rng = Rng(options_.seed, Stream::estimator).at(uint64_t(row) << 32 | uint64_t(t));
          const MatrixD q = random_rotation(n, rng);
          VectorD ev(n), g(n);
          for (Index i = 0; i < n; ++i)
            ev(i) = n == 1 ? lam : lam * (1.0 - p_.spread * double(i) / double(n - 1));
          const MatrixD h = q * ev.asDiagonal() * q.transpose();
          rng.fill_normal(g.data(), n);
          const double gn2 = g.squaredNorm(), sigma = r * std::sqrt(gn2);
          double trial = 0;
          VectorD nh(n);
          for (int k = 0; k < p_.pairs; ++k) {
            rng.fill_normal(nh.data(), n);
            nh *= sigma / std::sqrt(double(n));  // E ||noise||^2 = sigma^2
            for (double sgn : {1.0, -1.0}) {
              const double dl = delta_loss(g, h, dt * (-g + sgn * nh));
              trial += dl;
              desc += dl < 0;
              ++draws;
            }
          }
          trial /= 2.0 * p_.pairs;
          mean_desc += trial < 0;
          mean += trial / (dt * gn2);
          // eq. 41 with f(N) = 1: -||g||^2 dt + 1/2 (g^T H g + sigma^2 Tr[H] / N) dt^2.
          pred += (-gn2 * dt + 0.5 * (g.dot(h * g) + sigma * sigma * h.trace() / double(n)) * dt * dt) /
                  (dt * gn2);
          lmin += ev.minCoeff();
        }
        const double T = p_.trials;
        m.add_row(std::vector<double>{lam, lmin / T, r, theory::descent_threshold(dt, r), mean / T,
                                      pred / T, double(desc) / double(draws), double(mean_desc) / T});
        ++row;
      }
    out.summary()["threshold"] = theory::descent_threshold(dt, p_.noise_ratios.empty() ? 0.0 : p_.noise_ratios[0]);
    out.summary()["rows"] = row;
  }

  void bias(RunFolder& out) {
    auto& m = out.metrics();
    m.set_columns({"n", "setting", "bias_ratio", "prob_descent", "worst_case", "lambda_max_dt"});
    const double dt = p_.dt;
    double first_bound = 0;
    int row = 0;
    for (int n : p_.dims) {
      std::vector<std::string> settings;
      for (double r : p_.bias_ratios) settings.push_back(format_number(r));
      settings.push_back("deterministic");
      settings.push_back("pac");
      for (std::size_t si = 0; si < settings.size(); ++si) {
        const std::string& set = settings[si];
        double ratio_sum = 0, worst = -1e300, lmax = 0;
        long desc = 0;
        for (int t = 0; t < p_.trials; ++t) {
          throw_if_interrupted();
          // The same (H, g) for every setting of a dimension.
          Rng rng = Rng(options_.seed, Stream::estimator, 1).at(uint64_t(n) << 32 | uint64_t(t));
          MatrixD q(n, n);
          rng.fill_normal(q.data(), q.size());
          const MatrixD h = q * q.transpose() / double(n);
          VectorD g(n);
          rng.fill_normal(g.data(), n);
          const double psi = h.norm(), gn = g.norm();
          double ratio = 0;
          if (set == "deterministic") ratio = theory::bias_bound_deterministic(n, psi, dt);
          else if (set == "pac") ratio = theory::bias_bound_pac(n, psi, dt);
          else ratio = p_.bias_ratios[si];
          const double b = ratio * gn;
          const VectorD u = dt * (-g + b * VectorD::Ones(n));
          desc += delta_loss(g, h, u) <= 0;
          ratio_sum += ratio;
          // Worst case over ||beta|| = sqrt(n): ΔL = c0 + a^T beta + 1/2 beta^T A beta with
          // a = dt b (g - dt H g), A = dt^2 b^2 H, c0 = ΔL of the GD step.
          if (p_.worst_case) {
            const VectorD a = dt * b * (g - dt * (h * g));
            const double c0 = delta_loss(g, h, -dt * g);
            const double wc = c0 + sphere_max(a, dt * dt * b * b * h, std::sqrt(double(n)));
            worst = std::max(worst, wc / (dt * gn * gn));
            Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> es{Eigen::MatrixXd(h), Eigen::EigenvaluesOnly};
            lmax = std::max(lmax, es.eigenvalues().maxCoeff() * dt);
          }
        }
        const double T = p_.trials;
        if (row == 0 || (n == p_.dims.front() && set == "deterministic")) first_bound = ratio_sum / T;
        m.add_row({std::to_string(n), set, format_number(ratio_sum / T),
                   format_number(double(desc) / T), p_.worst_case ? format_number(worst) : std::string(),
                   p_.worst_case ? format_number(lmax) : std::string()});
        ++row;
      }
    }
    out.summary()["threshold"] = first_bound;
    out.summary()["rows"] = row;
  }

  DescentParams p_;
  RunOptions options_;
};

}  // namespace

void register_experiment_descent_probability(ExperimentRegistry& r) {
  r.add_model<DescentParams, Descent>(
      "descent_probability", "[G23] Thms 3.1/3.2: descent vs Hessian spectrum, noise and bias ratios");
}

}  // namespace xb::sim
