// SPDX-License-Identifier: MIT
#include "learning_rules/tile_layer.h"

namespace xb::rules {

MatrixD TileLayer::forward(const MatrixD& x) {
  const BatchMatrix xt = x.transpose().cast<Scalar>();
  BatchMatrix y;
  tile_.forward(xt, y);
  return y.transpose().cast<double>();
}

MatrixD TileLayer::backward(const MatrixD& d) {
  const BatchMatrix dt = d.transpose().cast<Scalar>();
  BatchMatrix z;
  tile_.backward(dt, z);
  return z.transpose().cast<double>();
}

MatrixD TileLayer::weights() const { return tile_.weights().cast<double>(); }

void TileLayer::set_weights(const MatrixD& w) { tile_.set_weights(w.cast<Scalar>()); }

MatrixD TileLayer::update(const MatrixD& dw, const MatrixD& x, const MatrixD& d, double lr,
                          double& pulses) {
  hw::UpdateRequest req;
  const Matrix dwf = dw.cast<Scalar>();
  BatchMatrix xt, dt;
  if (x.size() && d.size()) {
    // ΔW = −lr · D · Xᵀ with D = dᵀ (out x B), X = xᵀ (in x B).
    xt = x.transpose().cast<Scalar>();
    dt = d.transpose().cast<Scalar>();
    req.x = &xt;
    req.d = &dt;
  } else {
    req.dw = &dwf;  // holds lr already; schemes that normalise the update read req.lr too
  }
  req.lr = lr;
  // The realised ΔW is formed here, once, in double (the tile's float report is not needed).
  req.report_dw = false;
  const MatrixD before = weights();
  const hw::UpdateReport rep = tile_.update(req);
  pulses += double(rep.pulses_up + rep.pulses_down);
  return weights() - before;
}

}  // namespace xb::rules
