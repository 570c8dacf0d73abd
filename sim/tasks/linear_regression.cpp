// SPDX-License-Identifier: MIT
// linear_regression: the minibatch-noise papers' setting ([Z22]: label noise, input noise, L2
// regularisation). Clean
// inputs x̄ ~ N(0, input_std^2 I), teacher u ~ N(0, I/inputs), labels y = u^T x̄ + ε with
// Var ε = label_noise^2; with input noise the model sees x = x̄ + ε_x, ε_x ~ N(0,
// input_noise^2 I) (training set only). Loss L = (1/2N) Σ (w^T x - y)^2 + (l2/2) ||w||^2, and
// l2 may be negative ([Z22] Cor. 1). Use a network with no hidden layer and no bias (the
// default network section) for the textbook model.
#include <cmath>

#include "sim/tasks/task.h"

namespace xb::sim {

namespace {

struct LinearRegressionParams {
  int inputs = 8;
  int samples = 256;
  int test_samples = 256;
  double input_std = 1.0;
  double label_noise = 0.0;
  double input_noise = 0.0;
  double l2 = 0.0;
  template <class F>
  void bind(F&& f) {
    f("inputs", inputs, "", "input dimension D");
    f("samples", samples, "", "training samples N");
    f("test_samples", test_samples, "", "test samples");
    f("input_std", input_std, "1", "std of each clean input component");
    f("label_noise", label_noise, "1", "std of the label noise epsilon");
    f("input_noise", input_noise, "1", "std of the noise added to training inputs");
    f("l2", l2, "1", "L2 coefficient gamma (may be negative)");
  }
  void validate(const Scope& s) const {
    s.require_in("inputs", inputs, 1, 1 << 20);
    s.require_in("samples", samples, 1, 1 << 24);
    s.require_in("test_samples", test_samples, 0, 1 << 24);
    s.require_gt("input_std", input_std, 0.0);
    s.require_ge("label_noise", label_noise, 0.0);
    s.require_ge("input_noise", input_noise, 0.0);
    s.require(std::isfinite(l2), "l2", l2, "must be finite");
  }
};

class LinearRegression : public Task {
 public:
  explicit LinearRegression(const LinearRegressionParams& p) : p_(p) {}
  Index inputs() const override { return p_.inputs; }
  Index outputs() const override { return 1; }
  double data_bytes() const override {
    return 2.0 * (double(p_.samples) + double(p_.test_samples)) * (double(p_.inputs) + 1.0) * 8.0;
  }
  double l2() const override { return p_.l2; }

  void load(uint64_t seed) override {
    const Rng data(seed, Stream::data, 3);
    VectorD u(p_.inputs);
    Rng ru = data.at(0);
    ru.fill_normal(u.data(), u.size());
    u /= std::sqrt(double(p_.inputs));
    train_ = sample(u, p_.samples, data, 1, p_.input_noise);
    test_ = sample(u, p_.test_samples, data, 5, 0.0);
  }

 private:
  rules::Batch sample(const VectorD& u, int n, const Rng& data, uint64_t ev, double xnoise) const {
    rules::Batch b;
    b.x.resize(n, p_.inputs);
    Rng rx = data.at(ev);
    rx.fill_normal(b.x.data(), b.x.size());
    b.x *= p_.input_std;
    VectorD eps(n);
    Rng re = data.at(ev + 1);
    re.fill_normal(eps.data(), n);
    b.y = b.x * u + p_.label_noise * eps;
    if (xnoise > 0) {
      MatrixD ex(n, p_.inputs);
      Rng rn = data.at(ev + 2);
      rn.fill_normal(ex.data(), ex.size());
      b.x += xnoise * ex;
    }
    return b;
  }
  LinearRegressionParams p_;
};

}  // namespace

void register_task_linear_regression(TaskRegistry& r) {
  r.add_model<LinearRegressionParams, LinearRegression>(
      "linear_regression", "least squares with label noise, input noise and L2 ([Z22])");
}

}  // namespace xb::sim
