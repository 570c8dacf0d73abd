// SPDX-License-Identifier: MIT
// dynamic_transfer: AGAD (Rasch et al., Nat. Commun. 2024; aihwkit DynamicTransferCompound),
// as we implement it. As `chopped_transfer`, but a read line is compared with a reference that
// is estimated on the fly instead of assumed zero: during each chopper period of line k the
// reads of A's line are averaged, and when the chopper flips that mean becomes the line's
// reference P_{·k}. What enters the buffer is c_k · (v − P_{·k}). A's offset s (where its
// asymmetric devices settle) is in both v and P and cancels at once, not only on average over
// chopper periods, so the offset may sit anywhere (a misplaced symmetry point), while the
// gradient part changes sign with the chopper and survives the subtraction.
#pragma once

#include "hw_models/update/chopped_transfer.h"

namespace xb::hw {

using DynamicTransferParams = ChoppedTransferParams;

class DynamicTransferScheme : public ChoppedTransferScheme {
 public:
  using ChoppedTransferScheme::ChoppedTransferScheme;
  std::unique_ptr<UpdateScheme> clone() const override {
    return std::make_unique<DynamicTransferScheme>(*this);
  }
  // The references P (out_size x in_size, by line; zero until a line's first flip).
  const Matrix& reference() const { return ref_; }

 protected:
  void line_pulses(Index line, const Vector& v, double dw, Rng& rng,
                   Eigen::Ref<Eigen::VectorXi> n) override;
  void save_extra(StateMap& s, const std::string& prefix) const override;
  void load_extra(const StateMap& s, const std::string& prefix) override;
  void reset_extra() override;

 private:
  Matrix ref_, sum_;     // P and the running sum of the current period, by line
  Eigen::VectorXd reads_;  // reads in the current period, by line
};

}  // namespace xb::hw
