// SPDX-License-Identifier: MIT
// Exact second-order machinery of the theory harness (sim/theory/hessian.h): R-operator HVPs
// against central differences of the exact gradient and against a dense Hessian, on tiny
// networks of every activation and both losses; Tr[H] exact vs Hutchinson; Lanczos vs dense
// eigenvalues; the Gauss–Newton trace equals the exact trace for linear and ReLU networks.
#include <gtest/gtest.h>

#include <Eigen/Eigenvalues>
#include <cmath>

#include "sim/theory/hessian.h"
#include "tests/sim/theory/theory_util.h"

namespace xb::sim {
namespace {

using test::gaussian;

struct Net {
  std::unique_ptr<rules::Network> net;
  rules::Batch batch;
};

Net make_net(std::vector<int> hidden, const std::string& act, rules::LossKind loss, double l2,
             uint64_t seed, Index in = 3, Index out = 2, Index samples = 7, bool bias = true) {
  rules::NetworkParams p;
  p.hidden = std::move(hidden);
  p.activation = act;
  p.bias = bias;
  Net n;
  n.net = std::make_unique<rules::Network>(p, in, out, loss, 0.5, l2);
  n.net->initialise(Rng(seed, Stream::init));
  // Non-zero biases so that ReLU units are mixed and sigmoid/tanh are off-centre.
  VectorD w = n.net->params();
  w += 0.3 * Eigen::Map<const VectorD>(gaussian(w.size(), 1, seed, 5).data(), w.size());
  n.net->set_params(w);
  n.batch.x = gaussian(samples, in, seed, 1);
  if (loss == rules::LossKind::mse) {
    n.batch.y = gaussian(samples, out, seed, 2);
  } else {
    n.batch.y = MatrixD::Zero(samples, out);
    for (Index i = 0; i < samples; ++i) {
      n.batch.y(i, i % out) = 1.0;
      n.batch.labels.push_back(int(i % out));
    }
  }
  return n;
}

// Central difference of the exact gradient: error O(eps^2 |third derivative|) + O(u / eps).
VectorD fd_hvp(rules::Network& net, const rules::Batch& b, const VectorD& v, double eps = 1e-5) {
  const VectorD w = net.params();
  net.set_params(w + eps * v);
  const VectorD gp = net.gradient(b);
  net.set_params(w - eps * v);
  const VectorD gm = net.gradient(b);
  net.set_params(w);
  return (gp - gm) / (2 * eps);
}

TEST(Hessian, HvpMatchesFiniteDifferencesForEveryActivationAndLoss) {
  int cases = 0;
  for (const char* act : {"linear", "relu", "tanh", "sigmoid"})
    for (auto loss : {rules::LossKind::mse, rules::LossKind::cross_entropy})
      for (const std::vector<int>& hidden : {std::vector<int>{}, {4}, {4, 3}})
        for (double l2 : {0.0, 0.01}) {
          Net n = make_net(hidden, act, loss, l2, 10 + cases);
          const VectorD v = gaussian(n.net->n_params(), 1, 77 + cases);
          const VectorD h = theory::network_hvp(*n.net, n.batch, v);
          const VectorD fd = fd_hvp(*n.net, n.batch, v);
          // FD error ~1e-9 relative at eps = 1e-5 (ReLU: no kink is crossed at this eps for
          // these seeds); the R-operator itself is exact to rounding.
          EXPECT_LE((h - fd).norm(), 1e-6 * (1 + h.norm()))
              << act << " loss " << int(loss) << " depth " << hidden.size() << " l2 " << l2;
          ++cases;
        }
  EXPECT_EQ(cases, 48);
}

TEST(Hessian, DenseHessianIsSymmetricAndMatchesFiniteDifferenceJacobian) {
  for (const char* act : {"tanh", "relu"}) {
    Net n = make_net({3, 3}, act, rules::LossKind::cross_entropy, 0.0, 3);
    const Index N = n.net->n_params();
    MatrixD raw(N, N), fd(N, N);
    VectorD e = VectorD::Zero(N);
    for (Index i = 0; i < N; ++i) {
      e(i) = 1;
      raw.col(i) = theory::network_hvp(*n.net, n.batch, e);
      fd.col(i) = fd_hvp(*n.net, n.batch, e);
      e(i) = 0;
    }
    // The R-operator H is symmetric to rounding without symmetrisation.
    EXPECT_LE((raw - raw.transpose()).norm(), 1e-12 * raw.norm()) << act;
    EXPECT_LE((raw - fd).norm(), 1e-6 * raw.norm()) << act;
    const MatrixD h = theory::dense_hessian(*n.net, n.batch);
    EXPECT_LE((h - raw).norm(), 1e-12 * raw.norm());
  }
}

TEST(Hessian, LinearOneLayerMseHessianIsTheInputCovariance) {
  // L = 0.5 mean ||W x - y||^2 (mse_scale 0.5), one output, no bias: H = X^T X / n exactly.
  Net n = make_net({}, "linear", rules::LossKind::mse, 0.0, 4, 5, 1, 50, false);
  const MatrixD h = theory::dense_hessian(*n.net, n.batch);
  const MatrixD expect = n.batch.x.transpose() * n.batch.x / 50.0;
  EXPECT_LE((h - expect).norm(), 1e-13 * expect.norm());
}

TEST(Hessian, TraceExactAndHutchinsonAgree) {
  Net n = make_net({6, 5}, "tanh", rules::LossKind::mse, 0.0, 5, 4, 3, 20);
  const theory::TraceEstimate exact = theory::hessian_trace(*n.net, n.batch, Rng(1, Stream::estimator));
  EXPECT_TRUE(exact.exact);
  EXPECT_NEAR(exact.trace, theory::dense_hessian(*n.net, n.batch).trace(), 1e-12 * std::abs(exact.trace));
  const theory::TraceEstimate hutch =
      theory::hessian_trace(*n.net, n.batch, Rng(1, Stream::estimator), 10, 400);
  EXPECT_FALSE(hutch.exact);
  EXPECT_GT(hutch.stderr_, 0.0);
  // 4 standard errors: a false failure has probability < 1e-4.
  EXPECT_NEAR(hutch.trace, exact.trace, 4 * hutch.stderr_);
}

TEST(Hessian, LanczosMatchesDenseExtremes) {
  Net n = make_net({8, 6}, "tanh", rules::LossKind::cross_entropy, 0.001, 6, 5, 3, 30);
  Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> es(theory::dense_hessian(*n.net, n.batch));
  const theory::ExtremeEigen e = theory::extreme_eigenvalues(*n.net, n.batch, 0);
  EXPECT_TRUE(e.converged);
  const double scale = es.eigenvalues().cwiseAbs().maxCoeff();
  EXPECT_NEAR(e.largest, es.eigenvalues().maxCoeff(), 1e-8 * scale);
  EXPECT_NEAR(e.smallest, es.eigenvalues().minCoeff(), 1e-8 * scale);
  const VectorD top = theory::top_eigenvalues(*n.net, n.batch, 3);
  const Index N = es.eigenvalues().size();
  for (Index i = 0; i < 3; ++i) EXPECT_NEAR(top(i), es.eigenvalues()(N - 1 - i), 1e-8 * scale);
}

TEST(Hessian, GaussNewtonTraceIsExactForLinearAndRelu) {
  for (const char* act : {"linear", "relu"}) {
    Net n = make_net({5, 4}, act, rules::LossKind::mse, 0.0, 8, 4, 2, 25);
    const std::vector<double> gn = theory::gauss_newton_layer_traces(*n.net, n.batch);
    const MatrixD h = theory::dense_hessian(*n.net, n.batch);
    double total = 0;
    for (Index l = 0; l < n.net->layers(); ++l) {
      const Index off = n.net->offset(l), len = n.net->weight(l).size() + n.net->bias(l).size();
      EXPECT_NEAR(gn[std::size_t(l)], h.diagonal().segment(off, len).sum(), 1e-10 * h.trace()) << act;
      total += gn[std::size_t(l)];
    }
    EXPECT_NEAR(total, h.trace(), 1e-10 * h.trace());
  }
  // tanh has a residual term: the Gauss–Newton trace differs (guards against a vacuous test).
  Net n = make_net({5}, "tanh", rules::LossKind::mse, 0.0, 8, 4, 2, 25);
  const std::vector<double> gn = theory::gauss_newton_layer_traces(*n.net, n.batch);
  EXPECT_GT(std::abs(gn[0] + gn[1] - theory::dense_hessian(*n.net, n.batch).trace()), 1e-6);
}

// A small CNN on 2x6x6 images: conv (padding 1) + pooling, strided conv, two linear layers.
Net make_cnn(const std::string& act, const std::string& pool, rules::LossKind loss, double l2,
             uint64_t seed) {
  Config cfg = Config::from_string(
      "network: {layers: [{type: conv2d, channels: 3, kernel: 3, padding: 1}, {type: " + pool +
          ", kernel: 2}, {type: conv2d, channels: 2, kernel: 2, stride: 2}, {type: flatten}, "
          "{type: linear, width: 4}, {type: linear}]}\n",
      "test");
  rules::NetworkParams p = read_params<rules::NetworkParams>(Scope(cfg, "network"));
  p.activation = act;
  Net n;
  n.net = std::make_unique<rules::Network>(p, rules::Shape{2, 6, 6}, 3, loss, 0.5, l2);
  n.net->initialise(Rng(seed, Stream::init));
  VectorD w = n.net->params();
  w += 0.3 * Eigen::Map<const VectorD>(gaussian(w.size(), 1, seed, 5).data(), w.size());
  n.net->set_params(w);
  n.batch.x = gaussian(5, 72, seed, 1);
  n.batch.y = gaussian(5, 3, seed, 2);
  if (loss == rules::LossKind::cross_entropy) {
    n.batch.y = MatrixD::Zero(5, 3);
    for (Index i = 0; i < 5; ++i) n.batch.y(i, i % 3) = 1.0, n.batch.labels.push_back(int(i % 3));
  }
  return n;
}

TEST(Hessian, HvpMatchesFiniteDifferencesThroughConvAndPooling) {
  int cases = 0;
  for (const char* act : {"tanh", "relu", "sigmoid"})
    for (const char* pool : {"max_pool", "avg_pool"})
      for (auto loss : {rules::LossKind::mse, rules::LossKind::cross_entropy}) {
        Net n = make_cnn(act, pool, loss, cases % 2 ? 0.01 : 0.0, 20 + cases);
        const VectorD v = gaussian(n.net->n_params(), 1, 90 + cases);
        const VectorD h = theory::network_hvp(*n.net, n.batch, v);
        const VectorD fd = fd_hvp(*n.net, n.batch, v);
        // Max pooling and ReLU are piecewise linear: no winner or kink changes at eps = 1e-5.
        EXPECT_LE((h - fd).norm(), 1e-6 * (1 + h.norm())) << act << " " << pool << " " << int(loss);
        ++cases;
      }
  EXPECT_EQ(cases, 12);
}

TEST(Hessian, LayerTracesOfAConvNetworkAddUpToTheExactTrace) {
  for (const char* act : {"relu", "tanh"}) {
    Net n = make_cnn(act, "max_pool", rules::LossKind::mse, 0.0, 31);
    const MatrixD h = theory::dense_hessian(*n.net, n.batch);
    const std::vector<theory::TraceEstimate> exact =
        theory::layer_traces(*n.net, n.batch, Rng(1, Stream::estimator));
    const std::vector<double> gn = theory::gauss_newton_layer_traces(*n.net, n.batch);
    for (Index l = 0; l < n.net->layers(); ++l) {
      const Index off = n.net->offset(l), len = n.net->weight(l).size() + n.net->bias(l).size();
      const double block = h.diagonal().segment(off, len).sum();
      EXPECT_NEAR(exact[std::size_t(l)].trace, block, 1e-10 * h.trace()) << act << " layer " << l;
      // ReLU and max pooling are linear in each single weight: Gauss–Newton is exact there.
      if (std::string(act) == "relu") {
        EXPECT_NEAR(gn[std::size_t(l)], block, 1e-10 * h.trace()) << "layer " << l;
      }
    }
    // Hutchinson on a block within 4 standard errors of the exact block trace.
    const std::vector<theory::TraceEstimate> hutch =
        theory::layer_traces(*n.net, n.batch, Rng(2, Stream::estimator), 10, 400);
    EXPECT_FALSE(hutch[0].exact);
    EXPECT_NEAR(hutch[0].trace, exact[0].trace, 4 * hutch[0].stderr_ + 1e-12) << act;
  }
}

}  // namespace
}  // namespace xb::sim
