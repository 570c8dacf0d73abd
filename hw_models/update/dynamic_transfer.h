// SPDX-License-Identifier: MIT
// dynamic_transfer: AGAD (Rasch et al., Nat. Commun. 2024; aihwkit DynamicTransferCompound).
// As `chopped_transfer`, but a read line is compared with a reference that is estimated on the
// fly instead of assumed zero: every read v of A's line k updates a running mean
//   m_{·k} ← (1 − α) m_{·k} + α v,   α = min(tail_weightening / n, 1),  n = max(⌈1/p⌉, 2),
// p = in_chop_prob (n: the chopper period's expected reads; a larger tail_weightening weights
// the period's last reads more), and when line k's chopper flips, m becomes its reference
// P_{·k}. What enters the buffer is c_k · (v − P_{·k}). A's offset s (where its asymmetric
// devices settle) is in both v and P and cancels at once, not only on average over chopper
// periods, so the offset may sit anywhere (a misplaced symmetry point), while the gradient part
// changes sign with the chopper and survives the subtraction. Not modelled: aihwkit's
// deterministic flip every n reads beside the random one, its write pause for the first n
// passes, and its experimental feedback options.
#pragma once

#include "hw_models/update/chopped_transfer.h"

namespace xb::hw {

struct DynamicTransferParams {
  ChoppedTransferParams chopped;
  double tail_weightening = 5.0;

  template <class F>
  void bind(F&& f) {
    chopped.bind(f);
    f("tail_weightening", tail_weightening, "",
      "weight of a line's latest reads in its reference: α = min(tail_weightening / "
      "max(⌈1/in_chop_prob⌉, 2), 1)");
  }
  void validate(const Scope& s) const;
};

class DynamicTransferScheme : public ChoppedTransferScheme {
 public:
  explicit DynamicTransferScheme(const DynamicTransferParams& p)
      : ChoppedTransferScheme(p.chopped), d_(p) {}
  std::unique_ptr<UpdateScheme> clone() const override {
    return std::make_unique<DynamicTransferScheme>(*this);
  }
  // The references P (length x lines, by line; zero until a line's first flip).
  const Matrix& reference() const { return ref_; }
  // The running means m (length x lines).
  const Matrix& running_mean() const { return mean_; }

 protected:
  void line_pulses(Index line, const Vector& v, double dw, Rng& rng,
                   Eigen::Ref<Eigen::VectorXi> n) override;
  void save_extra(StateMap& s, const std::string& prefix) const override;
  void load_extra(const StateMap& s, const std::string& prefix) override;
  void reset_extra() override;

 private:
  DynamicTransferParams d_;
  Matrix ref_, mean_;  // P and the running mean m, by line
};

}  // namespace xb::hw
