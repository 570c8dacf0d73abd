// SPDX-License-Identifier: MIT
#include "hw_models/update/chopped_transfer.h"

namespace xb::hw {

void ChoppedTransferParams::validate(const Scope& s) const {
  buffered.validate(s);
  s.require_in("in_chop_prob", in_chop_prob, 0.0, 1.0);
}

void ChoppedTransferScheme::reset_extra() {
  BufferedTransferScheme::reset_extra();
  if (fast_) chop_ = Vector::Ones(p_.transfer_columns ? fast_->in_size() : fast_->out_size());
}

void ChoppedTransferScheme::modulate(BatchMatrix& x, BatchMatrix& d) const {
  if (p_.transfer_columns)
    x = chop_.asDiagonal() * x;
  else
    d = chop_.asDiagonal() * d;
}

void ChoppedTransferScheme::modulate(Matrix& dw) const {
  if (p_.transfer_columns)
    dw = dw * chop_.asDiagonal();
  else
    dw = chop_.asDiagonal() * dw;
}

void ChoppedTransferScheme::buffer_line(Index line, const Vector& v, double dw, Rng& rng,
                                        Eigen::Ref<Eigen::VectorXi> n) {
  BufferedTransferScheme::line_pulses(line, Vector(v * chop_(line)), dw, rng, n);
}

bool ChoppedTransferScheme::maybe_flip(Index line, Rng& rng) {
  if (rng.uniform() >= c_.in_chop_prob) return false;
  chop_(line) = -chop_(line);
  return true;
}

void ChoppedTransferScheme::line_pulses(Index line, const Vector& v, double dw, Rng& rng,
                                        Eigen::Ref<Eigen::VectorXi> n) {
  buffer_line(line, v, dw, rng, n);
  maybe_flip(line, rng);
}

void ChoppedTransferScheme::save_extra(StateMap& s, const std::string& prefix) const {
  BufferedTransferScheme::save_extra(s, prefix);
  if (chop_.size()) s.arrays[prefix + "choppers"] = chop_.transpose().array();
}

void ChoppedTransferScheme::load_extra(const StateMap& s, const std::string& prefix) {
  BufferedTransferScheme::load_extra(s, prefix);
  auto it = s.arrays.find(prefix + "choppers");
  if (it != s.arrays.end()) chop_ = it->second.row(0).transpose().matrix();
}

void register_scheme_chopped_transfer(SchemeRegistry& r) {
  r.add_model<ChoppedTransferParams, ChoppedTransferScheme>(
      "chopped_transfer", "c-TTv2: Tiki-Taka v2 with random sign choppers on the transferred "
                          "lines, cancelling A's offset (Rasch et al. 2024)");
}

}  // namespace xb::hw
