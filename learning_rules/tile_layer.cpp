// SPDX-License-Identifier: MIT
#include "learning_rules/tile_layer.h"

namespace xb::rules {

namespace {

// Boundaries of blocks of at most `max` (0: one block) covering [0, n).
std::vector<Index> blocks(Index n, Index max) {
  std::vector<Index> b{0};
  const Index step = max > 0 ? max : n;
  for (Index s = step; s < n; s += step) b.push_back(s);
  b.push_back(n);
  return b;
}

}  // namespace

TileLayer::TileLayer(Index out, Index in, Index max_rows, Index max_cols, const TileFactory& make)
    : row0_(blocks(out, max_rows)), col0_(blocks(in, max_cols)) {
  for (Index i = 0; i < grid_rows(); ++i)
    for (Index j = 0; j < grid_cols(); ++j)
      tiles_.push_back(make(row0_[i + 1] - row0_[i], col0_[j + 1] - col0_[j],
                            uint32_t(i * grid_cols() + j)));
}

TileLayer::TileLayer(hw::Tile tile)
    : row0_{0, tile.out_size()}, col0_{0, tile.in_size()} {
  tiles_.push_back(std::move(tile));
}

std::string TileLayer::grid_position(std::size_t k) const {
  return "t" + std::to_string(Index(k) / grid_cols()) + "_" + std::to_string(Index(k) % grid_cols());
}

std::string TileLayer::tile_name(const std::string& layer, std::size_t k) const {
  return tiles_.size() == 1 ? layer : layer + "." + grid_position(k);
}

MatrixD TileLayer::forward(const MatrixD& x) {
  MatrixD y(x.rows(), row0_.back());
  BatchMatrix part;
  for (Index j = 0; j < grid_cols(); ++j) {
    const BatchMatrix xt =
        x.middleCols(col0_[j], col0_[j + 1] - col0_[j]).transpose().cast<Scalar>();
    for (Index i = 0; i < grid_rows(); ++i) {
      tiles_[std::size_t(i * grid_cols() + j)].forward(xt, part);
      if (j == 0)  // assigned, not added to zero: one tile's read is returned exactly
        y.middleCols(row0_[i], part.rows()) = part.transpose().cast<double>();
      else
        y.middleCols(row0_[i], part.rows()) += part.transpose().cast<double>();
    }
  }
  return y;
}

MatrixD TileLayer::backward(const MatrixD& d) {
  MatrixD z(d.rows(), col0_.back());
  BatchMatrix part;
  for (Index i = 0; i < grid_rows(); ++i) {
    const BatchMatrix dt =
        d.middleCols(row0_[i], row0_[i + 1] - row0_[i]).transpose().cast<Scalar>();
    for (Index j = 0; j < grid_cols(); ++j) {
      tiles_[std::size_t(i * grid_cols() + j)].backward(dt, part);
      if (i == 0)
        z.middleCols(col0_[j], part.rows()) = part.transpose().cast<double>();
      else
        z.middleCols(col0_[j], part.rows()) += part.transpose().cast<double>();
    }
  }
  return z;
}

MatrixD TileLayer::weights() const {
  MatrixD w(row0_.back(), col0_.back());
  for (Index i = 0; i < grid_rows(); ++i)
    for (Index j = 0; j < grid_cols(); ++j) {
      const Matrix& b = tiles_[std::size_t(i * grid_cols() + j)].weights();
      w.block(row0_[i], col0_[j], b.rows(), b.cols()) = b.cast<double>();
    }
  return w;
}

void TileLayer::set_weights(const MatrixD& w) {
  for (Index i = 0; i < grid_rows(); ++i)
    for (Index j = 0; j < grid_cols(); ++j) {
      hw::Tile& t = tiles_[std::size_t(i * grid_cols() + j)];
      t.set_weights(w.block(row0_[i], col0_[j], t.out_size(), t.in_size()).cast<Scalar>());
    }
}

MatrixD TileLayer::update(const MatrixD& dw, const MatrixD& x, const MatrixD& d, double lr,
                          double& pulses) {
  const bool factors = x.size() && d.size();
  const MatrixD before = weights();
  for (Index i = 0; i < grid_rows(); ++i)
    for (Index j = 0; j < grid_cols(); ++j) {
      hw::Tile& t = tiles_[std::size_t(i * grid_cols() + j)];
      hw::UpdateRequest req;
      BatchMatrix xt, dt;
      Matrix dwf;
      if (factors) {
        // ΔW = −lr · D · Xᵀ with D = dᵀ (out x B), X = xᵀ (in x B), sliced to the tile.
        xt = x.middleCols(col0_[j], t.in_size()).transpose().cast<Scalar>();
        dt = d.middleCols(row0_[i], t.out_size()).transpose().cast<Scalar>();
        req.x = &xt;
        req.d = &dt;
      } else {
        dwf = dw.block(row0_[i], col0_[j], t.out_size(), t.in_size()).cast<Scalar>();
        req.dw = &dwf;  // holds lr already; schemes that normalise the update read req.lr too
      }
      req.lr = lr;
      // The realised ΔW is formed below, once, in double (the tile's float report is not needed).
      req.report_dw = false;
      const hw::UpdateReport rep = t.update(req);
      pulses += double(rep.pulses_up + rep.pulses_down);
    }
  return weights() - before;
}

Array TileLayer::device_states(int k) const {
  Array a(row0_.back(), col0_.back());
  for (Index i = 0; i < grid_rows(); ++i)
    for (Index j = 0; j < grid_cols(); ++j) {
      const Array& s = tiles_[std::size_t(i * grid_cols() + j)].device_state(k).w;
      a.block(row0_[i], col0_[j], s.rows(), s.cols()) = s;
    }
  return a;
}

void TileLayer::advance(double batches, double seconds) {
  for (hw::Tile& t : tiles_) t.advance(batches, seconds);
}

void TileLayer::set_eval_reads(bool eval, uint64_t key) {
  for (hw::Tile& t : tiles_) t.set_eval_reads(eval, key);
}

void TileLayer::save_state(StateMap& s, const std::string& prefix) const {
  for (std::size_t k = 0; k < tiles_.size(); ++k)
    tiles_[k].save_state(s, tiles_.size() == 1 ? prefix : prefix + grid_position(k) + ".");
}

void TileLayer::load_state(const StateMap& s, const std::string& prefix) {
  for (std::size_t k = 0; k < tiles_.size(); ++k)
    tiles_[k].load_state(s, tiles_.size() == 1 ? prefix : prefix + grid_position(k) + ".");
}

}  // namespace xb::rules
