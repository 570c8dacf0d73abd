// SPDX-License-Identifier: MIT
#include "hw_models/update/dynamic_transfer.h"

namespace xb::hw {

void DynamicTransferScheme::reset_extra() {
  ChoppedTransferScheme::reset_extra();
  if (!fast_) return;
  const Index lines = p_.transfer_columns ? fast_->in_size() : fast_->out_size();
  const Index length = p_.transfer_columns ? fast_->out_size() : fast_->in_size();
  ref_.setZero(length, lines);
  sum_.setZero(length, lines);
  reads_.setZero(lines);
}

void DynamicTransferScheme::line_pulses(Index line, const Vector& v, double dw, Rng& rng,
                                        Eigen::Ref<Eigen::VectorXi> n) {
  sum_.col(line) += v;
  reads_(line) += 1;
  buffer_line(line, Vector(v - ref_.col(line)), dw, rng, n);
  if (maybe_flip(line, rng)) {
    ref_.col(line) = sum_.col(line) / Scalar(reads_(line));
    sum_.col(line).setZero();
    reads_(line) = 0;
  }
}

void DynamicTransferScheme::save_extra(StateMap& s, const std::string& prefix) const {
  ChoppedTransferScheme::save_extra(s, prefix);
  s.arrays[prefix + "reference"] = ref_.array();
  s.arrays[prefix + "period_sum"] = sum_.array();
  s.arrays[prefix + "period_reads"] = reads_.cast<Scalar>().transpose().array();
}

void DynamicTransferScheme::load_extra(const StateMap& s, const std::string& prefix) {
  ChoppedTransferScheme::load_extra(s, prefix);
  ref_ = s.array(prefix + "reference", ref_.rows(), ref_.cols()).matrix();
  sum_ = s.array(prefix + "period_sum", sum_.rows(), sum_.cols()).matrix();
  reads_ = s.array(prefix + "period_reads", 1, reads_.size()).row(0).transpose().cast<double>();
}

void register_scheme_dynamic_transfer(SchemeRegistry& r) {
  r.add_model<DynamicTransferParams, DynamicTransferScheme>(
      "dynamic_transfer", "AGAD: c-TTv2 with each line's reference estimated on the fly from "
                          "its reads over the last chopper period (Rasch et al. 2024)");
}

}  // namespace xb::hw
