// SPDX-License-Identifier: MIT
#include "hw_models/update/chopped_transfer.h"

namespace xb::hw {

namespace {

// The bit length of A's pulse trains (stochastic_pulse's desired_bl, aihwkit's desired_BL):
// auto_scale makes the typical largest coincidence fast_lr times this many steps.
constexpr double kFastBl = 31;

// m ← (1 − τ)m + τ·v, the first value taken as it is; non-positive values skipped.
void running_max(double& m, double v, double tau) {
  if (!(v > 0)) return;
  m = m > 0 ? (1 - tau) * m + tau * v : v;
}

}  // namespace

void ChoppedTransferParams::validate(const Scope& s) const {
  buffered.validate(s);
  s.require_in("in_chop_prob", in_chop_prob, 0.0, 1.0);
  s.require_in("out_chop_prob", out_chop_prob, 0.0, 1.0);
  s.require_in("auto_momentum", auto_momentum, 0.0, 1.0);
  s.require_in("auto_granularity", auto_granularity, 0.0, 1e12);
}

void ChoppedTransferScheme::reset_extra() {
  BufferedTransferScheme::reset_extra();
  if (!fast_) return;
  chop_ = Vector::Ones(lines());
  out_chop_ = Vector::Ones(p_.transfer_columns ? fast_->out_size() : fast_->in_size());
  m_x_ = m_d_ = m_dw_ = 0;
}

void ChoppedTransferScheme::modulate(BatchMatrix& x, BatchMatrix& d) const {
  const Vector& cx = p_.transfer_columns ? chop_ : out_chop_;
  const Vector& cd = p_.transfer_columns ? out_chop_ : chop_;
  x = cx.asDiagonal() * x;
  d = cd.asDiagonal() * d;
}

void ChoppedTransferScheme::modulate(Matrix& dw) const {
  const Vector& cx = p_.transfer_columns ? chop_ : out_chop_;
  const Vector& cd = p_.transfer_columns ? out_chop_ : chop_;
  dw = cd.asDiagonal() * dw * cx.asDiagonal();
}

double ChoppedTransferScheme::fast_gain(const UpdateRequest& r) {
  if (!c_.auto_scale) return p_.fast_lr;
  const double target = p_.fast_lr * kFastBl * fast_->dw_min();
  if (r.has_factors()) {
    if (!(r.lr > 0)) return 0;
    const double tau = (1 - c_.auto_momentum) / double(r.x->cols());
    running_max(m_x_, double(r.x->cwiseAbs().maxCoeff()), tau);
    running_max(m_d_, double(r.d->cwiseAbs().maxCoeff()), tau);
    return m_x_ > 0 && m_d_ > 0 ? target / (m_x_ * m_d_ * r.lr) : 0;
  }
  running_max(m_dw_, double(r.dw->cwiseAbs().maxCoeff()), 1 - c_.auto_momentum);
  return m_dw_ > 0 ? target / m_dw_ : 0;
}

double ChoppedTransferScheme::transfer_scale() const {
  return c_.auto_scale || p_.scale_transfer_lr ? p_.transfer_lr * lr_ : p_.transfer_lr;
}

double ChoppedTransferScheme::threshold(double dw) const {
  const double theta = BufferedTransferScheme::threshold(dw);
  if (!(c_.auto_granularity > 0)) return theta;
  return theta * c_.auto_granularity / (double(lines()) * p_.transfer_every);
}

void ChoppedTransferScheme::buffer_line(Index line, const Vector& v, double dw, Rng& rng,
                                        Eigen::Ref<Eigen::VectorXi> n) {
  BufferedTransferScheme::line_pulses(line, Vector(v.cwiseProduct(out_chop_) * chop_(line)), dw,
                                      rng, n);
}

bool ChoppedTransferScheme::maybe_flip(Index line, Rng& rng) {
  const bool flip = rng.uniform() < c_.in_chop_prob;
  if (flip) chop_(line) = -chop_(line);
  if (c_.out_chop_prob > 0 && line == lines() - 1)
    for (Index i = 0; i < out_chop_.size(); ++i)
      if (rng.uniform() < c_.out_chop_prob) out_chop_(i) = -out_chop_(i);
  return flip;
}

void ChoppedTransferScheme::line_pulses(Index line, const Vector& v, double dw, Rng& rng,
                                        Eigen::Ref<Eigen::VectorXi> n) {
  buffer_line(line, v, dw, rng, n);
  maybe_flip(line, rng);
}

void ChoppedTransferScheme::save_extra(StateMap& s, const std::string& prefix) const {
  BufferedTransferScheme::save_extra(s, prefix);
  if (chop_.size()) s.arrays[prefix + "choppers"] = chop_.transpose().array();
  if (out_chop_.size()) s.arrays[prefix + "out_choppers"] = out_chop_.transpose().array();
  s.numbers[prefix + "m_x"] = m_x_;
  s.numbers[prefix + "m_d"] = m_d_;
  s.numbers[prefix + "m_dw"] = m_dw_;
}

void ChoppedTransferScheme::load_extra(const StateMap& s, const std::string& prefix) {
  BufferedTransferScheme::load_extra(s, prefix);
  auto it = s.arrays.find(prefix + "choppers");
  if (it != s.arrays.end()) chop_ = it->second.row(0).transpose().matrix();
  it = s.arrays.find(prefix + "out_choppers");
  if (it != s.arrays.end()) out_chop_ = it->second.row(0).transpose().matrix();
  m_x_ = s.number(prefix + "m_x");
  m_d_ = s.number(prefix + "m_d");
  m_dw_ = s.number(prefix + "m_dw");
}

void register_scheme_chopped_transfer(SchemeRegistry& r) {
  r.add_model<ChoppedTransferParams, ChoppedTransferScheme>(
      "chopped_transfer", "c-TTv2: Tiki-Taka v2 with random sign choppers on the transferred "
                          "lines, cancelling A's offset (Rasch et al. 2024)");
}

}  // namespace xb::hw
