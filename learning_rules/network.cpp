// SPDX-License-Identifier: MIT
#include "learning_rules/network.h"

#include <boost/random/normal_distribution.hpp>
#include <boost/random/uniform_real_distribution.hpp>
#include <algorithm>
#include <cmath>

namespace xb::rules {

Batch Batch::rows(const std::vector<Index>& idx) const {
  Batch out;
  out.x.resize(Index(idx.size()), x.cols());
  out.y.resize(Index(idx.size()), y.cols());
  for (std::size_t i = 0; i < idx.size(); ++i) {
    out.x.row(Index(i)) = x.row(idx[i]);
    out.y.row(Index(i)) = y.row(idx[i]);
    if (!labels.empty()) out.labels.push_back(labels[std::size_t(idx[i])]);
  }
  return out;
}

void NetworkParams::validate(const Scope& s) const {
  s.require_each_in("hidden", hidden, 1, 1 << 20);
  s.require(hidden.empty() || layers.empty(), "hidden", Scope::fmt(double(hidden.size())) + " widths",
            "give either hidden (the MLP shorthand) or layers, not both");
  validate_layer_records(s, "layers", layers);
  s.require_one_of("activation", activation, {"linear", "relu", "tanh", "sigmoid"});
  s.require_one_of("init", init, {"xavier", "glorot", "he", "zeros"});
  s.require(std::isfinite(init_gain), "init_gain", init_gain, "must be finite");
}

bool NetworkParams::any_analog() const {
  if (analog) return true;
  for (const Record& r : layers)
    if (r.count("analog") && r.at("analog") == "true") return true;
  return false;
}

NetworkParams NetworkParams::digital() const {
  NetworkParams d = *this;
  d.analog = false;
  for (Record& r : d.layers) r.erase("analog");
  return d;
}

Activation activation_from(const std::string& name) {
  if (name == "relu") return Activation::relu;
  if (name == "tanh") return Activation::tanh;
  if (name == "sigmoid") return Activation::sigmoid;
  return Activation::linear;
}

Network::Network(const NetworkParams& p, Shape input, Index outputs, LossKind loss,
                 double mse_scale, double l2)
    : p_(p), act_(activation_from(p.activation)), loss_(loss), mse_scale_(mse_scale), l2_(l2) {
  Config none;  // the layers were checked against the task when the config was read
  geo_ = plan_layers(Scope(none, "network"), p.layers, p.hidden, p.analog, input, outputs);
  for (const LayerGeometry& g : geo_) {
    w_.push_back(MatrixD::Zero(g.fan_out(), g.fan_in()));
    b_.push_back(VectorD::Zero(g.fan_out()));
    tiles_.push_back(nullptr);
    offset_.push_back(n_params_);
    n_params_ += g.fan_out() * g.fan_in() + (p.bias ? g.fan_out() : 0);
  }
}

bool Network::convolutional() const {
  for (const LayerGeometry& g : geo_)
    if (g.conv) return true;
  return false;
}

void Network::initialise(const Rng& init) {
  for (Index l = 0; l < layers(); ++l) {
    Rng r = init.at(uint64_t(l));
    const double fi = double(fan_in(l)), fo = double(fan_out(l));
    MatrixD w(fan_out(l), fan_in(l));
    if (p_.init == "glorot") {
      // Uniform with variance 2/(fan_in + fan_out): half-width sqrt(6/(fan_in + fan_out)).
      boost::random::uniform_real_distribution<double> u(-1.0, 1.0);
      const double a = std::sqrt(6.0 / (fi + fo));
      for (Index i = 0; i < w.size(); ++i) w.data()[i] = a * u(r);
    } else if (p_.init == "zeros") {
      w.setZero();
    } else {
      const double var = (p_.init == "he" ? 2.0 : 1.0) / fi;
      r.fill_normal(w.data(), w.size());
      w *= std::sqrt(var);
    }
    w *= p_.init_gain;
    set_weight(l, w);
    b_[l].setZero();
  }
}

void Network::set_analog(Index l, std::shared_ptr<AnalogLayer> tile) {
  tiles_[l] = std::move(tile);
  tiles_[l]->set_weights(w_[l]);
  w_[l] = tiles_[l]->weights();
}

void Network::set_weight(Index l, const MatrixD& w) {
  if (tiles_[l]) {
    tiles_[l]->set_weights(w);
    w_[l] = tiles_[l]->weights();
  } else {
    w_[l] = w;
  }
}

void Network::sync_from_tiles() {
  for (Index l = 0; l < layers(); ++l)
    if (tiles_[l]) w_[l] = tiles_[l]->weights();
}

MatrixD Network::read_forward(Index l, const MatrixD& x) const {
  return tiles_[l] && !exact_reads_ ? tiles_[l]->forward(x) : MatrixD(x * w_[l].transpose());
}

MatrixD Network::read_backward(Index l, const MatrixD& d) const {
  return tiles_[l] && !exact_reads_ ? tiles_[l]->backward(d) : MatrixD(d * w_[l]);
}

MatrixD Network::to_rows(Index l, MatrixD x) const {
  const LayerGeometry& g = geo_[std::size_t(l)];
  return g.conv ? im2col(g, x) : x;
}

MatrixD Network::from_rows(Index l, MatrixD d) const {
  const LayerGeometry& g = geo_[std::size_t(l)];
  return g.conv ? col2im(g, d) : d;
}

MatrixD Network::pass_on(Index l, MatrixD h, std::vector<PoolWinners>& winners,
                         bool reuse) const {
  const LayerGeometry& g = geo_[std::size_t(l)];
  if (!g.conv) return h;
  const Index batch = h.rows() / g.positions();
  MatrixD t = reshaped(std::move(h), batch, g.units());
  winners.resize(g.pools.size());
  for (std::size_t k = 0; k < g.pools.size(); ++k)
    t = pool_forward(g.pools[k], t, winners[k], reuse);
  return t;
}

MatrixD Network::pass_back(Index l, MatrixD d, const std::vector<PoolWinners>& winners) const {
  const LayerGeometry& g = geo_[std::size_t(l)];
  if (!g.conv) return d;
  for (std::size_t k = g.pools.size(); k-- > 0;) d = pool_backward(g.pools[k], d, winners[k]);
  const Index rows = d.rows() * g.positions();
  return reshaped(std::move(d), rows, g.fan_out());
}

MatrixD Network::activate(const MatrixD& a) const {
  switch (act_) {
    case Activation::relu: return a.cwiseMax(0.0);
    case Activation::tanh: return a.array().tanh().matrix();
    case Activation::sigmoid: return (1.0 / (1.0 + (-a.array()).exp())).matrix();
    default: return a;
  }
}

MatrixD Network::activate_derivative(const MatrixD& a) const {
  switch (act_) {
    case Activation::relu: return (a.array() > 0.0).cast<double>().matrix();
    case Activation::tanh: return (1.0 - a.array().tanh().square()).matrix();
    case Activation::sigmoid: {
      const ArrayD s = 1.0 / (1.0 + (-a.array()).exp());
      return (s * (1.0 - s)).matrix();
    }
    default: return MatrixD::Ones(a.rows(), a.cols());
  }
}

MatrixD Network::forward(const MatrixD& x, ForwardCache* c, const std::vector<MatrixD>* pre_noise,
                         const Injection* inj, const Rng* rng) const {
  if (c) {
    c->h.clear();
    c->a.clear();
    c->mult.assign(std::size_t(layers()), MatrixD());
    c->winners.assign(std::size_t(layers()), {});
  }
  MatrixD h = x;
  std::vector<PoolWinners> winners;
  Rng noise = rng ? *rng : Rng(0, Stream::estimator);  // layers drawn in turn from one stream
  for (Index l = 0; l < layers(); ++l) {
    h = to_rows(l, std::move(h));
    if (c) c->h.push_back(h);
    MatrixD a = read_forward(l, h);
    if (p_.bias) a.rowwise() += b_[l].transpose();
    if (pre_noise) a += (*pre_noise)[std::size_t(l)];
    const bool last = l + 1 == layers();
    h = last ? a : activate(a);
    if (!last && inj && inj->active() && rng) {
      MatrixD xi(h.rows(), h.cols());
      noise.fill_normal(xi.data(), xi.size());
      if (inj->kind == "additive") {
        h += inj->sigma * xi;
      } else {
        MatrixD m = (1.0 + inj->sigma * xi.array()).matrix();
        h = h.cwiseProduct(m);
        if (c) c->mult[std::size_t(l)] = std::move(m);
      }
    }
    if (c) c->a.push_back(std::move(a));
    if (!last) {
      h = pass_on(l, std::move(h), c ? c->winners[std::size_t(l)] : winners, false);
    } else if (c) {
      c->h.push_back(h);
    }
  }
  return h;
}

VectorD Network::sample_losses(const MatrixD& out, const Batch& b) const {
  if (loss_ == LossKind::mse) return mse_scale_ * (out - b.y).rowwise().squaredNorm();
  // Softmax cross-entropy with the max subtracted for stability.
  const VectorD m = out.rowwise().maxCoeff();
  const MatrixD z = out.colwise() - m;
  const VectorD lse = z.array().exp().rowwise().sum().log().matrix();
  const VectorD zy = (z.cwiseProduct(b.y)).rowwise().sum();
  return lse - zy;
}

MatrixD Network::output_error(const MatrixD& out, const Batch& b) const {
  const double inv = 1.0 / double(out.rows());
  if (loss_ == LossKind::mse) return (2.0 * mse_scale_ * inv) * (out - b.y);
  const VectorD m = out.rowwise().maxCoeff();
  MatrixD p = (out.colwise() - m).array().exp().matrix();
  const VectorD s = p.rowwise().sum();
  p = p.array().colwise() / s.array();
  return inv * (p - b.y);
}

std::vector<MatrixD> Network::backward(const ForwardCache& c, const MatrixD& e,
                                       const std::vector<MatrixD>* feedback) const {
  std::vector<MatrixD> delta(static_cast<std::size_t>(layers()));
  delta.back() = e;
  for (Index l = layers() - 1; l > 0; --l) {
    const MatrixD& d = delta[std::size_t(l)];
    MatrixD g = feedback ? MatrixD(d * (*feedback)[std::size_t(l)]) : read_backward(l, d);
    const std::size_t k = std::size_t(l - 1);
    g = pass_back(l - 1, from_rows(l, std::move(g)), c.winners[k]);
    if (c.mult[k].size()) g = g.cwiseProduct(c.mult[k]);
    delta[k] = g.cwiseProduct(activate_derivative(c.a[k]));
  }
  return delta;
}

VectorD Network::assemble(const ForwardCache& c, const std::vector<MatrixD>& delta,
                          bool with_l2) const {
  VectorD g(n_params_);
  for (Index l = 0; l < layers(); ++l) {
    const MatrixD gw = delta[std::size_t(l)].transpose() * c.h[std::size_t(l)];
    Eigen::Map<MatrixD>(g.data() + offset_[l], gw.rows(), gw.cols()) = gw;
    if (p_.bias)
      g.segment(offset_[l] + gw.size(), gw.rows()) = delta[std::size_t(l)].colwise().sum().transpose();
  }
  if (with_l2 && l2_ != 0.0) g += l2_gradient();
  return g;
}

double Network::l2_term() const {
  double s = 0;
  for (const MatrixD& w : w_) s += w.squaredNorm();
  return 0.5 * l2_ * s;
}

VectorD Network::l2_gradient() const {
  VectorD g = VectorD::Zero(n_params_);
  for (Index l = 0; l < layers(); ++l)
    g.segment(offset_[l], w_[l].size()) = l2_ * Eigen::Map<const VectorD>(w_[l].data(), w_[l].size());
  return g;
}

VectorD Network::params() const {
  VectorD p(n_params_);
  for (Index l = 0; l < layers(); ++l) {
    p.segment(offset_[l], w_[l].size()) = Eigen::Map<const VectorD>(w_[l].data(), w_[l].size());
    if (p_.bias) p.segment(offset_[l] + w_[l].size(), b_[l].size()) = b_[l];
  }
  return p;
}

void Network::set_params(const VectorD& p) {
  for (Index l = 0; l < layers(); ++l) {
    MatrixD w = Eigen::Map<const MatrixD>(p.data() + offset_[l], w_[l].rows(), w_[l].cols());
    set_weight(l, w);
    if (p_.bias) b_[l] = p.segment(offset_[l] + w_[l].size(), b_[l].size());
  }
}

Index Network::chunk_samples() const {
  double per_sample = 0;
  for (const LayerGeometry& g : geo_) per_sample += double(g.positions() * (g.fan_in() + g.fan_out()));
  return std::max<Index>(1, Index(kChunkNumbers / per_sample));
}

template <class F>
void Network::for_each_chunk(const Batch& b, F&& f) const {
  const Index chunk = chunk_samples();
  if (b.size() <= chunk) return f(b.x, 0);
  for (Index i = 0; i < b.size(); i += chunk) f(b.x.middleRows(i, std::min(chunk, b.size() - i)), i);
}

double Network::data_loss(const Batch& b) const {
  double sum = 0;
  for_each_chunk(b, [&](const MatrixD& x, Index first) {
    Batch part;
    part.y = b.y.middleRows(first, x.rows());
    sum += sample_losses(forward(x), part).sum();
  });
  return sum / double(b.size());
}

double Network::loss(const Batch& b) { return data_loss(b) + l2_term(); }

VectorD Network::gradient(const Batch& b) {
  struct ExactReads {  // restores tile reads on every exit path
    bool& flag;
    explicit ExactReads(bool& f) : flag(f) { flag = true; }
    ~ExactReads() { flag = false; }
  } exact(exact_reads_);
  VectorD g = VectorD::Zero(n_params_);
  for_each_chunk(b, [&](const MatrixD& x, Index first) {
    ForwardCache c;
    Batch part;
    part.y = b.y.middleRows(first, x.rows());
    const MatrixD out = forward(x, &c);
    // The chunk's mean-loss gradient, weighted by its share of the batch.
    MatrixD e = output_error(out, part) * (double(x.rows()) / double(b.size()));
    g += assemble(c, backward(c, e), false);
  });
  if (l2_ != 0.0) g += l2_gradient();
  return g;
}

double Network::accuracy(const Batch& b) const {
  if (b.labels.empty() || b.size() == 0) return 0.0;
  Index hits = 0;
  for_each_chunk(b, [&](const MatrixD& x, Index first) {
    const MatrixD out = forward(x);
    for (Index n = 0; n < out.rows(); ++n) {
      Index k;
      out.row(n).maxCoeff(&k);
      hits += k == b.labels[std::size_t(first + n)];
    }
  });
  return double(hits) / double(b.size());
}

}  // namespace xb::rules
