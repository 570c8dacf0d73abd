// SPDX-License-Identifier: MIT
// chopped_transfer: c-TTv2 (Rasch et al., Nat. Commun. 2024; aihwkit ChoppedTransferCompound).
// As `buffered_transfer`, with a chopper c_k = ±1 on every line that transfers read (the input
// lines when transfer_columns, else the output lines). The fast update is modulated,
//   A ← A + fast_lr·ΔW ∘ (1 cᵀ)   (columns; rows: (c 1ᵀ)),
// and a read line is demodulated, H_{·k} += c_k · transfer_lr · v, before the buffer step;
// after its read, line k's chopper flips with probability in_chop_prob. The gradient part of A
// carries the chopper's sign, so demodulation restores it; a constant offset s of A (an
// asymmetric device sitting at its symmetry point) does not, and averages out in H: with c = +1
// at the first read and flips after each, E[H] after T reads of a line holding s is
//   transfer_lr · s · (1 − (1 − 2p)^T) / (2p),   p = in_chop_prob,
// bounded, where `transfer` would have written T · transfer_lr · s (tested).
#pragma once

#include "hw_models/update/buffered_transfer.h"

namespace xb::hw {

struct ChoppedTransferParams {
  BufferedTransferParams buffered;
  double in_chop_prob = 0.1;

  template <class F>
  void bind(F&& f) {
    buffered.bind(f);
    f("in_chop_prob", in_chop_prob, "",
      "probability that a line's chopper flips after the line is read");
  }
  void validate(const Scope& s) const;
};

class ChoppedTransferScheme : public BufferedTransferScheme {
 public:
  explicit ChoppedTransferScheme(const ChoppedTransferParams& p)
      : BufferedTransferScheme(p.buffered), c_(p) {}
  std::unique_ptr<UpdateScheme> clone() const override {
    return std::make_unique<ChoppedTransferScheme>(*this);
  }
  void attach(const Tile& tile) override {
    TransferScheme::attach(tile);
    reset_extra();
  }
  // The choppers, ±1 per line.
  const Vector& choppers() const { return chop_; }

 protected:
  void modulate(BatchMatrix& x, BatchMatrix& d) const override;
  void modulate(Matrix& dw) const override;
  bool modulates() const override { return true; }
  void line_pulses(Index line, const Vector& v, double dw, Rng& rng,
                   Eigen::Ref<Eigen::VectorXi> n) override;
  void save_extra(StateMap& s, const std::string& prefix) const override;
  void load_extra(const StateMap& s, const std::string& prefix) override;
  void reset_extra() override;
  // Demodulates and buffers a line (the choppers as they are), without flipping them.
  void buffer_line(Index line, const Vector& v, double dw, Rng& rng,
                   Eigen::Ref<Eigen::VectorXi> n);
  // Flips line k's chopper with probability in_chop_prob; returns whether it flipped.
  bool maybe_flip(Index line, Rng& rng);

  ChoppedTransferParams c_;
  Vector chop_;
};

}  // namespace xb::hw
