// SPDX-License-Identifier: MIT
// transfer: Tiki-Taka (Gokmen & Haensch, Front. Neurosci. 2020; aihwkit TransferCompound). The
// tile holds the slow array C, which every read sees (W = C). Beside it the scheme keeps a fast
// array A of the same size, device and cell, built with the tile. An update goes to A only:
//   A ← A + fast_lr·ΔW            through A's own scheme (`fast_update`, stochastic pulses);
// and every `transfer_every` updates (mini-batches, or samples with units_in_mbatch: false),
// `n_reads_per_transfer` lines of A (columns when transfer_columns, else rows; in turn) are read
// through the periphery with one-hot inputs, v = A e_k, and written onto C:
//   C_{·k} ← C_{·k} + transfer_lr · v        as n = stochastic_round(transfer_lr·v / dw_min)
// (times the rule's learning rate with scale_transfer_lr, as aihwkit does by default)
// pulses per device (|n| ≤ transfer_bl), through C's device law. A is never reset: it keeps
// integrating the gradient while C follows its running value, so with ideal devices, every line
// read at every update and no rounding, C_T = C_0 + transfer_lr·Σ_{t≤T} A_t with
// A_t = fast_lr·Σ_{s≤t} ΔW_s (tested). The transfer is an operation of the tile of its own
// (TileOp::transfer: ledger `transfers`, `transfer_read_passes`; trace phase 5).
//
// Reads of the tile see W = C + gamma·A (aihwkit's TransferCompound reads both arrays, A
// weighted by gamma; 0, the default, hides A). A's own reads (`transfer_read`) go through the
// tile's periphery (`tile`), through it with noise and bound management off (`unmanaged`, the
// periphery of aihwkit's Tiki-Taka presets) or exactly (`perfect`).
//
// buffered_transfer.h, chopped_transfer.h and dynamic_transfer.h change what a read adds to C
// (line_pulses) and how the fast update is modulated (modulate).
#pragma once

#include <optional>
#include <string>

#include "hw_models/crossbar/tile.h"
#include "hw_models/update/update_scheme.h"

namespace xb::hw {

struct TransferParams {
  std::string fast_update = "stochastic_pulse";
  double fast_lr = 1.0;
  double transfer_lr = 1.0;
  double transfer_every = 1.0;
  bool units_in_mbatch = true;
  int n_reads_per_transfer = 1;
  bool transfer_columns = true;
  int transfer_bl = 31;
  double gamma = 0.0;
  bool scale_transfer_lr = false;
  std::string transfer_read = "tile";

  template <class F>
  void bind(F&& f) {
    f("fast_update", fast_update, "",
      "scheme that writes the fast array A: stochastic_pulse | pulse_count | mixed_precision | "
      "ideal (its defaults)");
    f("fast_lr", fast_lr, "1", "learning rate of A relative to the rule's");
    f("transfer_lr", transfer_lr, "1", "scale of what a transfer writes onto C");
    f("transfer_every", transfer_every, "",
      "updates (see units_in_mbatch) between transfers");
    f("units_in_mbatch", units_in_mbatch, "",
      "count transfer_every in mini-batches (true) or in samples (false)");
    f("n_reads_per_transfer", n_reads_per_transfer, "", "lines of A read per transfer");
    f("transfer_columns", transfer_columns, "", "read A by columns (true) or by rows (false)");
    f("transfer_bl", transfer_bl, "", "most pulses a transfer writes onto one device");
    f("gamma", gamma, "1", "weight of A in the tile's reads, W = C + gamma·A");
    f("scale_transfer_lr", scale_transfer_lr, "",
      "multiply transfer_lr by the rule's learning rate (aihwkit's default)");
    f("transfer_read", transfer_read, "",
      "periphery of A's reads: tile | unmanaged (noise and bound management off) | perfect");
  }
  void validate(const Scope& s) const;
};

class TransferScheme : public UpdateScheme {
 public:
  explicit TransferScheme(const TransferParams& p) : p_(p) {}
  void attach(const Tile& tile) override;
  void apply(Tile& tile, const UpdateRequest& r, UpdateReport& rep) override;
  bool transfer_due() const override { return since_ >= p_.transfer_every; }
  OpCost transfer(Tile& tile) override;
  void reset() override;
  void fork_streams(uint32_t k) override;
  // A ages with the tile (lifetime decay, diffusion, drift).
  void advance(double batches, double seconds) override { fast_->advance(batches, seconds); }
  void add_read_part(Matrix& w) const override;
  void save_state(StateMap& s, const std::string& prefix) const override;
  void load_state(const StateMap& s, const std::string& prefix) override;
  // The fast array A.
  const Tile& fast() const { return *fast_; }

 protected:
  // Modulates the fast update (c-TTv2's choppers): x and d, or the dense ΔW. Default: none.
  virtual void modulate(BatchMatrix& /*x*/, BatchMatrix& /*d*/) const {}
  virtual void modulate(Matrix& /*dw*/) const {}
  virtual bool modulates() const { return false; }
  // The pulses that line `line` of C receives from v, its line of A as read (weight units);
  // `rng` is this line's stream for this transfer, `dw` the tile's step per pulse. TTv1:
  // stochastic rounding of transfer_lr·v / dw.
  virtual void line_pulses(Index line, const Vector& v, double dw, Rng& rng,
                           Eigen::Ref<Eigen::VectorXi> n);
  // What A receives of the rule's step ΔW for this request, as a factor (TTv1: fast_lr), and
  // the scale of what a read adds to C (TTv1: transfer_lr). Called once per update, before A's.
  virtual double fast_gain(const UpdateRequest& /*r*/) { return p_.fast_lr; }
  virtual double transfer_scale() const {
    return p_.scale_transfer_lr ? p_.transfer_lr * lr_ : p_.transfer_lr;
  }
  // Lines of A a transfer reads (in_size when transfer_columns, else out_size).
  Index lines() const;
  virtual void save_extra(StateMap&, const std::string&) const {}
  virtual void load_extra(const StateMap&, const std::string&) {}
  virtual void reset_extra() {}

  TransferParams p_;
  std::optional<Tile> fast_;  // A (attach)
  double lr_ = 1;             // the rule's learning rate at the last update (1 if unknown)

 private:
  double since_ = 0;  // updates (or samples) since the last transfer
  Index next_ = 0;    // the next line to read
};

class TikiTakaScheme : public TransferScheme {
 public:
  using TransferScheme::TransferScheme;
  std::unique_ptr<UpdateScheme> clone() const override {
    return std::make_unique<TikiTakaScheme>(*this);
  }
};

}  // namespace xb::hw
