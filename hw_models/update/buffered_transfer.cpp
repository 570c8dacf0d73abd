// SPDX-License-Identifier: MIT
#include "hw_models/update/buffered_transfer.h"

#include <algorithm>
#include <cmath>

namespace xb::hw {

void BufferedTransferParams::validate(const Scope& s) const {
  transfer.validate(s);
  s.require_in("thres_scale", thres_scale, 1e-3, 1e6);
  s.require_in("momentum", momentum, 0.0, 1.0);
  s.require_in("step", step, 1e-3, 1e6);
}

void BufferedTransferScheme::line_pulses(Index line, const Vector& v, double dw, Rng& rng,
                                         Eigen::Ref<Eigen::VectorXi> n) {
  const Index out = fast_->out_size(), in = fast_->in_size();
  if (h_.rows() != out || h_.cols() != in) h_.setZero(out, in);
  const double theta = threshold(dw), cap = p_.transfer_bl, scale = transfer_scale();
  const double mu = b_.momentum;
  for (Index i = 0; i < v.size(); ++i) {
    Scalar& h = p_.transfer_columns ? h_(i, line) : h_(line, i);
    h += Scalar(scale * double(v(i)));
    const double k = std::clamp(std::trunc(double(h) / theta), -cap, cap);
    if (k != 0) h = Scalar(b_.forget_buffer ? mu * h : h - (1 - mu) * k * theta);
    if (b_.step == 1.0 || k == 0) {
      n(i) = int(k);
      continue;
    }
    const double u = std::abs(k) * b_.step;
    double pulses = std::floor(u);
    if (rng.uniform() < u - pulses) pulses += 1;  // unbiased: E = |k|·step
    pulses = std::min(pulses, cap);
    n(i) = int(k < 0 ? -pulses : pulses);
  }
}

void BufferedTransferScheme::save_extra(StateMap& s, const std::string& prefix) const {
  if (h_.size()) s.arrays[prefix + "buffer"] = h_.array();
}

void BufferedTransferScheme::load_extra(const StateMap& s, const std::string& prefix) {
  auto it = s.arrays.find(prefix + "buffer");
  if (it == s.arrays.end())
    h_.resize(0, 0);
  else
    h_ = it->second.matrix();
}

void register_scheme_buffered_transfer(SchemeRegistry& r) {
  r.add_model<BufferedTransferParams, BufferedTransferScheme>(
      "buffered_transfer", "Tiki-Taka v2: A's reads fill a digital buffer H; whole steps of H "
                           "are written onto the tile (Gokmen 2021)");
}

}  // namespace xb::hw
