// SPDX-License-Identifier: MIT
#include "sim/theory/hessian.h"

#include <Eigen/Eigenvalues>
#include <Spectra/SymEigsSolver.h>
#include <algorithm>
#include <cmath>

namespace xb::sim::theory {

namespace {

// phi''(a) of the hidden activation (0 for linear and ReLU: their Hessian has no
// second-derivative term; P5 in docs/theory.md).
MatrixD second_derivative(rules::Activation act, const MatrixD& a) {
  switch (act) {
    case rules::Activation::tanh: {
      const ArrayD t = a.array().tanh();
      return (-2.0 * t * (1.0 - t.square())).matrix();
    }
    case rules::Activation::sigmoid: {
      const ArrayD s = 1.0 / (1.0 + (-a.array()).exp());
      return (s * (1.0 - s) * (1.0 - 2.0 * s)).matrix();
    }
    default: return MatrixD::Zero(a.rows(), a.cols());
  }
}

// The L2 coefficient of the network: Network keeps it private, but its gradient l2 * W is
// public, so read it back from the largest weight (exact to one rounding; 0 when l2 = 0).
double l2_of(const rules::Network& net) {
  const VectorD g = net.l2_gradient();
  const VectorD p = net.params();
  Index best = -1;
  double mx = 0;
  for (Index l = 0; l < net.layers(); ++l)
    for (Index i = 0; i < net.weight(l).size(); ++i) {
      const Index k = net.offset(l) + i;
      if (std::abs(p(k)) > mx) mx = std::abs(p(k)), best = k;
    }
  return best < 0 ? 0.0 : g(best) / p(best);
}

}  // namespace

VectorD network_hvp(const rules::Network& net, const rules::Batch& b, const VectorD& v) {
  const Index L = net.layers();
  rules::ForwardCache c;
  const MatrixD out = net.forward(b.x, &c);
  // Direction per layer: V_l (out x in), vb_l.
  std::vector<MatrixD> V(static_cast<std::size_t>(L));
  std::vector<VectorD> vb(static_cast<std::size_t>(L));
  for (Index l = 0; l < L; ++l) {
    const Index off = net.offset(l), r = net.fan_out(l), k = net.fan_in(l);
    V[std::size_t(l)] = Eigen::Map<const MatrixD>(v.data() + off, r, k);
    vb[std::size_t(l)] = net.has_bias() ? VectorD(v.segment(off + r * k, r)) : VectorD::Zero(r);
  }
  // R-forward: R{a_l} = R{h_l} W_l^T + h_l V_l^T + vb_l,  R{h_{l+1}} = P_l(phi'(a_l) . R{a_l})
  // where h_l are the rows layer l multiplies and P_l the linear move to the next layer's rows
  // (reshape, pooling with the forward pass's max winners, im2col; identity in an MLP).
  std::vector<MatrixD> Ra(static_cast<std::size_t>(L)), Rh(static_cast<std::size_t>(L + 1));
  Rh[0] = MatrixD::Zero(c.h[0].rows(), c.h[0].cols());
  for (Index l = 0; l < L; ++l) {
    const std::size_t s = std::size_t(l);
    MatrixD ra = Rh[s] * net.weight(l).transpose() + c.h[s] * V[s].transpose();
    ra.rowwise() += vb[s].transpose();
    if (l + 1 == L) {
      Rh[s + 1] = ra;
    } else {
      std::vector<rules::PoolWinners> winners = c.winners[s];
      Rh[s + 1] = net.to_rows(
          l + 1, net.pass_on(l, net.activate_derivative(c.a[s]).cwiseProduct(ra), winners, true));
    }
    Ra[s] = std::move(ra);
  }
  const MatrixD& Rout = Rh[std::size_t(L)];
  // R{e}, e = dL/d(out). MSE: e is affine in out, so R{e} is the error map applied to R{out}
  // against zero targets. Cross-entropy: R{e} = (diag(p) - p p^T) R{out} / n per sample.
  MatrixD Re;
  if (net.loss_kind() == rules::LossKind::mse) {
    rules::Batch zero;
    zero.y = MatrixD::Zero(Rout.rows(), Rout.cols());
    Re = net.output_error(Rout, zero);
  } else {
    const VectorD m = out.rowwise().maxCoeff();
    MatrixD p = (out.colwise() - m).array().exp().matrix();
    const VectorD s = p.rowwise().sum();
    p = p.array().colwise() / s.array();
    const MatrixD pr = p.cwiseProduct(Rout);
    const VectorD dot = pr.rowwise().sum();
    Re = (pr - p.cwiseProduct(dot.replicate(1, p.cols()))) / double(out.rows());
  }
  // Backward and R-backward (P^T: the adjoint of the move P above):
  //   delta_{l-1} = P^T(delta_l W_l) . phi'(a_{l-1})
  //   R{delta_{l-1}} = P^T(R{delta_l} W_l + delta_l V_l) . phi'(a_{l-1})
  //                    + P^T(delta_l W_l) . phi''(a_{l-1}) . R{a_{l-1}}
  const std::vector<MatrixD> delta = net.backward(c, net.output_error(out, b));
  std::vector<MatrixD> Rd(static_cast<std::size_t>(L));
  Rd[std::size_t(L - 1)] = Re;
  for (Index l = L - 1; l > 0; --l) {
    const std::size_t s = std::size_t(l), k = std::size_t(l - 1);
    const auto adjoint = [&](MatrixD g) {
      return net.pass_back(l - 1, net.from_rows(l, std::move(g)), c.winners[k]);
    };
    const MatrixD back = adjoint(delta[s] * net.weight(l));
    const MatrixD rback = adjoint(Rd[s] * net.weight(l) + delta[s] * V[s]);
    Rd[k] = rback.cwiseProduct(net.activate_derivative(c.a[k])) +
            back.cwiseProduct(second_derivative(net.activation(), c.a[k])).cwiseProduct(Ra[k]);
  }
  // R{grad W_l} = R{delta_l}^T h_l + delta_l^T R{h_l};  R{grad b_l} = colsum R{delta_l}.
  VectorD hv(net.n_params());
  for (Index l = 0; l < L; ++l) {
    const std::size_t s = std::size_t(l);
    const MatrixD gw = Rd[s].transpose() * c.h[s] + delta[s].transpose() * Rh[s];
    Eigen::Map<MatrixD>(hv.data() + net.offset(l), gw.rows(), gw.cols()) = gw;
    if (net.has_bias())
      hv.segment(net.offset(l) + gw.size(), gw.rows()) = Rd[s].colwise().sum().transpose();
  }
  const double l2 = l2_of(net);
  if (l2 != 0.0)
    for (Index l = 0; l < L; ++l)
      hv.segment(net.offset(l), net.weight(l).size()) +=
          l2 * v.segment(net.offset(l), net.weight(l).size());
  return hv;
}

VectorD hvp(rules::Model& m, const rules::Batch& b, const VectorD& v) {
  if (rules::Network* net = m.network()) return network_hvp(*net, b, v);
  // Affine gradient (the quadratic task): H v = g(w + v) - g(w) exactly, up to rounding.
  const VectorD w = m.params();
  const VectorD g0 = m.gradient(b);
  m.set_params(w + v);
  const VectorD g1 = m.gradient(b);
  m.set_params(w);
  return g1 - g0;
}

MatrixD dense_hessian(rules::Model& m, const rules::Batch& b) {
  const Index n = m.n_params();
  MatrixD h(n, n);
  VectorD e = VectorD::Zero(n);
  for (Index i = 0; i < n; ++i) {
    e(i) = 1.0;
    h.col(i) = hvp(m, b, e);
    e(i) = 0.0;
  }
  return 0.5 * (h + h.transpose());
}

TraceEstimate hessian_trace(rules::Model& m, const rules::Batch& b, const Rng& rng,
                            Index exact_max, int probes) {
  return block_trace(m, b, rng, 0, m.n_params(), exact_max, probes);
}

TraceEstimate block_trace(rules::Model& m, const rules::Batch& b, const Rng& rng, Index first,
                          Index count, Index exact_max, int probes) {
  TraceEstimate t;
  VectorD e = VectorD::Zero(m.n_params());
  if (count <= exact_max) {
    for (Index i = first; i < first + count; ++i) {
      e(i) = 1.0;
      t.trace += hvp(m, b, e)(i);
      e(i) = 0.0;
    }
    t.probes = int(count);
    return t;
  }
  // Hutchinson: z Rademacher, E[z^T H z] = Tr[H]; standard error = sample std / sqrt(probes).
  double s = 0, s2 = 0;
  std::vector<double> u(static_cast<std::size_t>(count));
  for (int k = 0; k < probes; ++k) {
    Rng r = rng.at(uint64_t(k));
    r.fill_normal(u.data(), count);
    for (Index i = 0; i < count; ++i) e(first + i) = u[std::size_t(i)] >= 0 ? 1.0 : -1.0;
    const double q = e.dot(hvp(m, b, e));
    s += q;
    s2 += q * q;
  }
  t.exact = false;
  t.probes = probes;
  t.trace = s / probes;
  const double var = probes > 1 ? std::max(0.0, (s2 - probes * t.trace * t.trace) / (probes - 1)) : 0.0;
  t.stderr_ = std::sqrt(var / probes);
  return t;
}

std::vector<TraceEstimate> layer_traces(rules::Network& net, const rules::Batch& b, const Rng& rng,
                                        Index exact_max, int probes) {
  std::vector<TraceEstimate> t;
  for (Index l = 0; l < net.layers(); ++l) {
    const Index count = net.weight(l).size() + (net.has_bias() ? net.fan_out(l) : 0);
    t.push_back(block_trace(net, b, rng.at(uint64_t(l)), net.offset(l), count, exact_max, probes));
  }
  return t;
}

std::vector<double> gauss_newton_layer_traces(const rules::Network& net, const rules::Batch& b) {
  rules::ForwardCache c;
  const MatrixD out = net.forward(b.x, &c);
  // d^2L/d out^2 = 2 mse_scale / n: the output error of a unit output against zero targets.
  rules::Batch zero;
  zero.y = MatrixD::Zero(1, out.cols());
  const double curv = net.output_error(MatrixD::Ones(1, out.cols()), zero)(0, 0) / double(out.rows());
  std::vector<double> tr(std::size_t(net.layers()), 0.0);
  for (Index o = 0; o < out.cols(); ++o) {
    MatrixD e = MatrixD::Zero(out.rows(), out.cols());
    e.col(o).setOnes();
    const std::vector<MatrixD> d = net.backward(c, e);
    for (Index l = 0; l < net.layers(); ++l) {
      const std::size_t s = std::size_t(l);
      const Index P = net.geometry(l).positions();
      if (P == 1) {  // one row per sample: ||d h^T||^2 = ||d||^2 ||h||^2
        const ArrayD dn = d[s].rowwise().squaredNorm().array();
        const ArrayD hn = c.h[s].rowwise().squaredNorm().array() + (net.has_bias() ? 1.0 : 0.0);
        tr[s] += curv * (dn * hn).sum();
        continue;
      }
      // A conv layer: a sample's Jacobian sums its P rows, ||sum_p d_p h_p^T||^2 + ||sum_p d_p||^2.
      for (Index n = 0; n < out.rows(); ++n) {
        const auto dn = d[s].middleRows(n * P, P);
        const double jw = (dn.transpose() * c.h[s].middleRows(n * P, P)).squaredNorm();
        tr[s] += curv * (jw + (net.has_bias() ? dn.colwise().sum().squaredNorm() : 0.0));
      }
    }
  }
  return tr;
}

namespace {

// Matrix-free H for Spectra.
struct HessianOp {
  using Scalar = double;
  rules::Model* m;
  const rules::Batch* b;
  Index n;
  Index rows() const { return n; }
  Index cols() const { return n; }
  void perform_op(const double* x, double* y) const {
    const VectorD v = Eigen::Map<const VectorD>(x, n);
    Eigen::Map<VectorD>(y, n) = hvp(*m, *b, v);
  }
};

template <Spectra::SortRule Rule>
VectorD lanczos(rules::Model& m, const rules::Batch& b, Index k, bool& ok) {
  HessianOp op{&m, &b, m.n_params()};
  const Index ncv = std::min<Index>(op.n, std::max<Index>(2 * k + 1, 20));
  Spectra::SymEigsSolver<HessianOp> solver(op, k, ncv);
  solver.init();
  solver.compute(Rule, 1000, 1e-10, Rule);
  ok = solver.info() == Spectra::CompInfo::Successful;
  return ok ? VectorD(solver.eigenvalues()) : VectorD::Constant(k, std::nan(""));
}

}  // namespace

ExtremeEigen extreme_eigenvalues(rules::Model& m, const rules::Batch& b, Index dense_max) {
  ExtremeEigen e;
  const Index n = m.n_params();
  if (n <= dense_max || n < 3) {
    Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> es(dense_hessian(m, b));
    e.largest = es.eigenvalues().maxCoeff();
    e.smallest = es.eigenvalues().minCoeff();
    e.converged = true;
    return e;
  }
  bool ok1 = false, ok2 = false;
  e.largest = lanczos<Spectra::SortRule::LargestAlge>(m, b, 1, ok1)(0);
  e.smallest = lanczos<Spectra::SortRule::SmallestAlge>(m, b, 1, ok2)(0);
  e.converged = ok1 && ok2;
  return e;
}

VectorD top_eigenvalues(rules::Model& m, const rules::Batch& b, Index k) {
  bool ok = false;
  return lanczos<Spectra::SortRule::LargestAlge>(m, b, k, ok);
}

}  // namespace xb::sim::theory
