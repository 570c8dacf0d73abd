// SPDX-License-Identifier: MIT
// buffered_transfer: Tiki-Taka v2 (Gokmen, Front. Artif. Intell. 2021; aihwkit
// BufferedTransferCompound). As `transfer`, but a read line of A is first added to a digital
// buffer H beside the tile, and C receives only whole steps of it:
//   H_{·k} ← H_{·k} + transfer_lr · v,   θ = thres_scale · dw_min,
//   n_i = trunc(H_ik / θ)  (|n_i| ≤ transfer_bl)  whole steps, then for those devices
//   H_ik ← momentum · H_ik                              (forget_buffer: true), or
//   H_ik ← H_ik − (1 − momentum) · n_i θ                (forget_buffer: false);
// each whole step writes `step` pulses onto C_ik (aihwkit's write learning rate step·dw_min;
// a fractional step·n_i is rounded stochastically, unbiased), at most transfer_bl.
// With forget_buffer false and momentum 0 the remainder below one step is kept exactly (the
// paper's form); the buffer filters A's read noise and lets A run at a small learning rate.
#pragma once

#include "hw_models/update/transfer.h"

namespace xb::hw {

struct BufferedTransferParams {
  TransferParams transfer;
  double thres_scale = 1.0;
  double momentum = 0.1;
  bool forget_buffer = true;
  double step = 1.0;

  template <class F>
  void bind(F&& f) {
    transfer.bind(f);
    f("thres_scale", thres_scale, "", "buffer threshold θ in units of the tile's dw_min");
    f("momentum", momentum, "", "share of the buffer kept when a device is written");
    f("forget_buffer", forget_buffer, "",
      "on a write keep momentum·H (true) or subtract (1 − momentum)·nθ (false)");
    f("step", step, "", "pulses written onto the tile per whole threshold θ of the buffer");
  }
  void validate(const Scope& s) const;
};

class BufferedTransferScheme : public TransferScheme {
 public:
  explicit BufferedTransferScheme(const BufferedTransferParams& p)
      : TransferScheme(p.transfer), b_(p) {}
  std::unique_ptr<UpdateScheme> clone() const override {
    return std::make_unique<BufferedTransferScheme>(*this);
  }
  // The buffer H (out_size x in_size; empty before the first transfer).
  const Matrix& buffer() const { return h_; }

 protected:
  void line_pulses(Index line, const Vector& v, double dw, Rng& rng,
                   Eigen::Ref<Eigen::VectorXi> n) override;
  void save_extra(StateMap& s, const std::string& prefix) const override;
  void load_extra(const StateMap& s, const std::string& prefix) override;
  void reset_extra() override { h_.resize(0, 0); }
  // The buffer threshold θ for a tile step dw.
  virtual double threshold(double dw) const { return b_.thres_scale * dw; }

  BufferedTransferParams b_;
  Matrix h_;
};

}  // namespace xb::hw
