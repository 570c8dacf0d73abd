// SPDX-License-Identifier: MIT
// The update engine: how an intended weight change becomes device pulses on a tile. aihwkit
// splits a pulsed tile into device, periphery and update engine (its RPUPulsed owns a
// PulsedWeightUpdater); here a Tile owns one UpdateScheme instance the same way. The schemes
// are listed once in SCHEMES.def and built from the `scheme:` section:
//   ideal             writes ΔW exactly into the weights, bypassing device physics (reference)
//   pulse_count       n = round(ΔW / dw_min) signed pulses per device, through the device
//   stochastic_pulse  Gokmen & Vlasov (2016) rank-1 coincidence of stochastic pulse trains
//   mixed_precision   digital accumulator, whole pulses transferred (Nandakumar et al. 2020)
//   transfer, buffered_transfer, chopped_transfer, dynamic_transfer
//                     the Tiki-Taka family: a fast array beside the tile takes the updates and
//                     is transferred onto the tile (transfer.h)
//
// A scheme may keep state between updates (mixed_precision's accumulator, stochastic_pulse's
// counters). The state belongs to the tile: Tile copies and forks clone the scheme, and
// Tile::set_weights calls reset().
#pragma once

#include <cstdint>
#include <memory>

#include "hw_models/core/registry.h"
#include "hw_models/core/state_map.h"
#include "hw_models/core/types.h"
#include "hw_models/crossbar/timing_hook.h"

namespace xb::hw {

// What the learning rule wants written. Sign convention: W <- W + ΔW.
//  * dw: the intended ΔW (out_size x in_size), dense. Used by `ideal` and `pulse_count`, and
//    by `stochastic_pulse` only when no factors are given.
//  * x, d, lr: rank-1 factors, ΔW = −lr · D · Xᵀ = −lr · Σ_b d_b x_bᵀ (aihwkit convention:
//    d is the error/gradient at the outputs, so lr > 0 descends). `stochastic_pulse` uses
//    them to build row/column pulse trains (one rank-1 update per sample b, in order); the
//    other schemes form the dense product themselves.
//  * lr with dw: the rule's learning rate, already inside ΔW; only a scheme that normalises
//    the update itself (chopped_transfer's auto_scale) reads it. 0 when unknown.
// Pointers are borrowed for the duration of Tile::update only.
struct UpdateRequest {
  const Matrix* dw = nullptr;
  const BatchMatrix* x = nullptr;
  const BatchMatrix* d = nullptr;
  double lr = 0.0;
  // Fill UpdateReport::intended and ::realised (two extra passes over W; off in benchmarks).
  bool report_dw = true;

  bool has_factors() const { return x != nullptr && d != nullptr; }
};

// What one update did. Every field is a device-level fact that any scheme can produce; what is
// particular to one scheme (its bit length, clipped probabilities) stays in the scheme.
struct UpdateReport {
  uint64_t pulses_up = 0;    // pulses (coincidences) that increase the weight
  uint64_t pulses_down = 0;  // pulses that decrease it
  // Time slots the write occupied (the latency model multiplies them by timing.t_pulse): one
  // slot drives all devices that pulse at the same time.
  uint64_t write_slots = 0;
  Matrix intended;  // ΔW asked for (empty unless report_dw)
  Matrix realised;  // W_after − W_before as read without read noise (empty unless report_dw)
};

class Tile;

class UpdateScheme {
 public:
  virtual ~UpdateScheme() = default;
  // Applies the request through the tile's pulse hooks and fills pulses_up/down and
  // write_slots. Tile::update checks the request and adds intended/realised around this call.
  virtual void apply(Tile& tile, const UpdateRequest& request, UpdateReport& report) = 0;
  // A copy with the same parameters and state (Tile copies and forks).
  virtual std::unique_ptr<UpdateScheme> clone() const = 0;
  // Forgets state that refers to the weights before a reprogramming (Tile::set_weights).
  virtual void reset() {}
  // Adds the scheme's state under `prefix` to a checkpoint / restores it. Default: none.
  virtual void save_state(StateMap&, const std::string& /*prefix*/) const {}
  virtual void load_state(const StateMap&, const std::string& /*prefix*/) {}
  // Schemes with arrays of their own (the transfer family): whether a transfer onto the tile
  // is due after the update just applied, and the transfer itself, which Tile::update runs
  // as an operation of its own (TileOp::transfer) and whose cost it returns.
  virtual bool transfer_due() const { return false; }
  virtual OpCost transfer(Tile& /*tile*/) { return OpCost{TileOp::transfer}; }
  // Called once by the tile that owns the scheme, after fabrication (a transfer scheme builds
  // its fast array beside the tile here). Default: nothing.
  virtual void attach(const Tile& /*tile*/) {}
  // Effects between updates on arrays the scheme keeps (Tile::advance). Default: none.
  virtual void advance(double /*batches*/, double /*seconds*/) {}
  // Re-keys the scheme's own random streams for Tile::fork(k). Default: none.
  virtual void fork_streams(uint32_t /*k*/) {}
  // Adds what the scheme's own arrays contribute to a read of the tile, W += ... (Tiki-Taka's
  // γ·A, read in the same pass as the tile's devices). Default: nothing. A scheme with a read
  // part writes its tile by apply_pulses only: Tile::write_delta programs weights() + ΔW.
  virtual void add_read_part(Matrix& /*w*/) const {}
};

// The clone() every scheme writes the same way.
template <class Derived>
class ClonableScheme : public UpdateScheme {
 public:
  std::unique_ptr<UpdateScheme> clone() const override {
    return std::make_unique<Derived>(static_cast<const Derived&>(*this));
  }
};

// An owned scheme that copies by cloning, so that a Tile holding one stays a value type with
// the default copy.
class OwnedScheme {
 public:
  OwnedScheme(std::unique_ptr<UpdateScheme> s = nullptr) : s_(std::move(s)) {}
  OwnedScheme(const OwnedScheme& o) : s_(o.s_ ? o.s_->clone() : nullptr) {}
  OwnedScheme& operator=(const OwnedScheme& o) {
    if (this != &o) s_ = o.s_ ? o.s_->clone() : nullptr;
    return *this;
  }
  OwnedScheme(OwnedScheme&&) = default;
  OwnedScheme& operator=(OwnedScheme&&) = default;

  explicit operator bool() const { return s_ != nullptr; }
  UpdateScheme& operator*() const { return *s_; }
  UpdateScheme* operator->() const { return s_.get(); }

 private:
  std::unique_ptr<UpdateScheme> s_;
};

using SchemeRegistry = Registry<UpdateScheme>;
const SchemeRegistry& scheme_registry();

// The dense intended ΔW of a request: *dw, or −lr·D·Xᵀ from the factors.
inline Matrix dense_delta(const UpdateRequest& r) {
  if (r.dw) return *r.dw;
  Matrix dw;
  dw.noalias() = Scalar(-r.lr) * (*r.d) * r.x->transpose();
  return dw;
}

}  // namespace xb::hw
