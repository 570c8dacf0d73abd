// SPDX-License-Identifier: MIT
// chopped_transfer: c-TTv2 (Rasch et al., Nat. Commun. 2024; aihwkit ChoppedTransferCompound).
// As `buffered_transfer`, with a chopper c_k = ±1 on every line that transfers read (the input
// lines when transfer_columns, else the output lines) and, optionally, a chopper o_i = ±1 on
// every position along a line. The fast update is modulated,
//   A ← A + fast_lr·ΔW ∘ (o cᵀ)   (columns; rows: (c oᵀ)),
// and a read line is demodulated, H_{ik} += c_k o_i · transfer_lr · v_i, before the buffer step;
// after its read, line k's chopper flips with probability in_chop_prob, and after every full
// pass over the lines each o_i flips with probability out_chop_prob. The gradient part of A
// carries the choppers' signs, so demodulation restores it; a constant offset s of A (an
// asymmetric device sitting at its symmetry point) does not, and averages out in H: with c = +1
// at the first read and flips after each, E[H] after T reads of a line holding s is
//   transfer_lr · s · (1 − (1 − 2p)^T) / (2p),   p = in_chop_prob,
// bounded, where `transfer` would have written T · transfer_lr · s (tested).
//
// auto_scale (aihwkit's, for A's learning rate): A's update no longer follows the rule's
// learning rate. Running means m_x, m_d of the batch's max|x| and max|d| (m ← (1 − τ)m + τ·new,
// τ = (1 − auto_momentum)/batch, the first value taken as it is) set it so that the typical
// largest coincidence makes fast_lr·31 steps of A (31: the bit length of A's pulse trains):
//   lr_A = fast_lr · 31 · dw_min(A) / (m_x · m_d);
// a dense ΔW is scaled by fast_lr · 31 · dw_min(A) / m_ΔW with m_ΔW the running max|ΔW|. The
// rule's learning rate then scales the transfer instead, H += transfer_lr · lr · c · v, as with
// scale_transfer_lr (which auto_scale implies: the rule's rate would otherwise act nowhere).
// auto_granularity g > 0 sets the buffer threshold to θ = thres_scale · dw_min · g / (lines ·
// transfer_every): g updates' worth of a full pass over A's lines per written step.
#pragma once

#include "hw_models/update/buffered_transfer.h"

namespace xb::hw {

struct ChoppedTransferParams {
  BufferedTransferParams buffered;
  double in_chop_prob = 0.1;
  double out_chop_prob = 0.0;
  bool auto_scale = false;
  double auto_momentum = 0.99;
  double auto_granularity = 0.0;

  template <class F>
  void bind(F&& f) {
    buffered.bind(f);
    f("in_chop_prob", in_chop_prob, "",
      "probability that a line's chopper flips after the line is read");
    f("out_chop_prob", out_chop_prob, "",
      "probability that each chopper along the lines flips after a full pass over the lines");
    f("auto_scale", auto_scale, "",
      "scale A's update by running max|x|, max|d| instead of the rule's rate (which then "
      "scales the transfer)");
    f("auto_momentum", auto_momentum, "", "momentum of auto_scale's running maxima");
    f("auto_granularity", auto_granularity, "",
      "updates per full pass that make one written step: θ = thres_scale·dw_min·g/(lines·"
      "transfer_every) (0: off)");
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
  // The choppers, ±1 per line, and along the lines.
  const Vector& choppers() const { return chop_; }
  const Vector& out_choppers() const { return out_chop_; }

 protected:
  void modulate(BatchMatrix& x, BatchMatrix& d) const override;
  void modulate(Matrix& dw) const override;
  bool modulates() const override { return true; }
  double fast_gain(const UpdateRequest& r) override;
  double transfer_scale() const override;
  double threshold(double dw) const override;
  void line_pulses(Index line, const Vector& v, double dw, Rng& rng,
                   Eigen::Ref<Eigen::VectorXi> n) override;
  void save_extra(StateMap& s, const std::string& prefix) const override;
  void load_extra(const StateMap& s, const std::string& prefix) override;
  void reset_extra() override;
  // Demodulates and buffers a line (the choppers as they are), without flipping them.
  void buffer_line(Index line, const Vector& v, double dw, Rng& rng,
                   Eigen::Ref<Eigen::VectorXi> n);
  // Flips line k's chopper with probability in_chop_prob, and after the last line of a pass
  // each chopper along the lines with probability out_chop_prob; whether line k's flipped.
  bool maybe_flip(Index line, Rng& rng);

  ChoppedTransferParams c_;
  Vector chop_, out_chop_;
  // auto_scale: running max|x|, max|d| (or max|ΔW|, dense).
  double m_x_ = 0, m_d_ = 0, m_dw_ = 0;
};

}  // namespace xb::hw
