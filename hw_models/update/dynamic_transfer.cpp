// SPDX-License-Identifier: MIT
#include "hw_models/update/dynamic_transfer.h"

#include <algorithm>
#include <cmath>

namespace xb::hw {

void DynamicTransferParams::validate(const Scope& s) const {
  chopped.validate(s);
  s.require_in("tail_weightening", tail_weightening, 1e-6, 1e6);
}

void DynamicTransferScheme::reset_extra() {
  ChoppedTransferScheme::reset_extra();
  if (!fast_) return;
  const Index length = p_.transfer_columns ? fast_->out_size() : fast_->in_size();
  ref_.setZero(length, lines());
  mean_.setZero(length, lines());
}

void DynamicTransferScheme::line_pulses(Index line, const Vector& v, double dw, Rng& rng,
                                        Eigen::Ref<Eigen::VectorXi> n) {
  const double p = c_.in_chop_prob;
  const double reads = p > 0 ? std::max(std::ceil(1 / p), 2.0) : 2.0;
  const Scalar alpha = Scalar(std::min(d_.tail_weightening / reads, 1.0));
  mean_.col(line) = (1 - alpha) * mean_.col(line) + alpha * v;
  buffer_line(line, Vector(v - ref_.col(line)), dw, rng, n);
  if (maybe_flip(line, rng)) ref_.col(line) = mean_.col(line);
}

void DynamicTransferScheme::save_extra(StateMap& s, const std::string& prefix) const {
  ChoppedTransferScheme::save_extra(s, prefix);
  s.arrays[prefix + "reference"] = ref_.array();
  s.arrays[prefix + "running_mean"] = mean_.array();
}

void DynamicTransferScheme::load_extra(const StateMap& s, const std::string& prefix) {
  ChoppedTransferScheme::load_extra(s, prefix);
  ref_ = s.array(prefix + "reference", ref_.rows(), ref_.cols()).matrix();
  mean_ = s.array(prefix + "running_mean", mean_.rows(), mean_.cols()).matrix();
}

void register_scheme_dynamic_transfer(SchemeRegistry& r) {
  r.add_model<DynamicTransferParams, DynamicTransferScheme>(
      "dynamic_transfer", "AGAD: c-TTv2 with each line's reference estimated on the fly from "
                          "a running mean of its reads (Rasch et al. 2024)");
}

}  // namespace xb::hw
