// SPDX-License-Identifier: MIT
// quadratic: loss 0.5 (w - w*)^T H (w - w*) on a bare parameter vector (P2 in docs/theory.md:
// every second-order formula of [G23] is exact here). H from `hessian_diag` or `hessian` (symmetric positive
// semi-definite); gradient H (w - w*). There is no data: batches are empty and the `network:`
// section is not used.
#include <Eigen/Eigenvalues>
#include <cmath>

#include "sim/tasks/task.h"

namespace xb::sim {

namespace {

struct QuadraticParams {
  std::vector<double> hessian_diag{1.0, 0.5};
  std::vector<std::vector<double>> hessian;
  std::vector<double> w_star;
  std::vector<double> w0;
  template <class F>
  void bind(F&& f) {
    f("hessian_diag", hessian_diag, "1", "diagonal of H (ignored when hessian is given)");
    f("hessian", hessian, "1", "full symmetric positive semi-definite H (rows)");
    f("w_star", w_star, "1", "minimum w* (default: zeros)");
    f("w0", w0, "1", "initial parameters (default: ones)");
  }
  Index n() const { return hessian.empty() ? Index(hessian_diag.size()) : Index(hessian.size()); }
  MatrixD h() const {
    const Index d = n();
    MatrixD m = MatrixD::Zero(d, d);
    if (hessian.empty()) {
      for (Index i = 0; i < d; ++i) m(i, i) = hessian_diag[std::size_t(i)];
    } else {
      for (Index i = 0; i < d; ++i)
        for (Index j = 0; j < d; ++j) m(i, j) = hessian[std::size_t(i)][std::size_t(j)];
    }
    return m;
  }
  void validate(const Scope& s) const {
    const Index d = n();
    s.require(d >= 1, "hessian_diag", d, "H must have at least one row");
    for (const auto& row : hessian)
      s.require(Index(row.size()) == d, "hessian", row.size(), "must be square");
    const MatrixD m = h();
    s.require(m.allFinite(), "hessian", "non-finite", "entries must be finite");
    s.require((m - m.transpose()).cwiseAbs().maxCoeff() <= 1e-12 * (1 + m.cwiseAbs().maxCoeff()),
              "hessian", "asymmetric", "must be symmetric");
    Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> es(m);
    s.require(es.eigenvalues().minCoeff() >= -1e-12 * (1 + m.cwiseAbs().maxCoeff()),
              hessian.empty() ? "hessian_diag" : "hessian", es.eigenvalues().minCoeff(),
              "must be positive semi-definite (smallest eigenvalue shown)");
    s.require(w_star.empty() || Index(w_star.size()) == d, "w_star", w_star.size(),
              "must have one entry per row of H");
    s.require(w0.empty() || Index(w0.size()) == d, "w0", w0.size(),
              "must have one entry per row of H");
  }
};

class QuadraticModel : public rules::Model {
 public:
  QuadraticModel(MatrixD h, VectorD w_star, VectorD w0)
      : h_(std::move(h)), ws_(std::move(w_star)), w_(std::move(w0)) {}
  Index n_params() const override { return w_.size(); }
  VectorD params() const override { return w_; }
  void set_params(const VectorD& p) override { w_ = p; }
  double loss(const rules::Batch&) override {
    const VectorD d = w_ - ws_;
    return 0.5 * d.dot(h_ * d);
  }
  VectorD gradient(const rules::Batch&) override { return h_ * (w_ - ws_); }

 private:
  MatrixD h_;
  VectorD ws_, w_;
};

class Quadratic : public Task {
 public:
  explicit Quadratic(const QuadraticParams& p) : p_(p) {}
  void load(uint64_t) override {}
  bool uses_network() const override { return false; }
  Index inputs() const override { return 0; }
  Index outputs() const override { return 0; }
  double data_bytes() const override { return 0; }  // H is read from the config: already held
  std::unique_ptr<rules::Model> make_model(const rules::NetworkParams&, const Rng&) override {
    const Index d = p_.n();
    VectorD ws = VectorD::Zero(d), w0 = VectorD::Ones(d);
    for (Index i = 0; i < d && !p_.w_star.empty(); ++i) ws(i) = p_.w_star[std::size_t(i)];
    for (Index i = 0; i < d && !p_.w0.empty(); ++i) w0(i) = p_.w0[std::size_t(i)];
    return std::make_unique<QuadraticModel>(p_.h(), ws, w0);
  }

 private:
  QuadraticParams p_;
};

}  // namespace

void register_task_quadratic(TaskRegistry& r) {
  r.add_model<QuadraticParams, Quadratic>("quadratic",
                                          "loss 0.5 (w - w*)^T H (w - w*) ([G23] Lemma 2.1)");
}

}  // namespace xb::sim
