// SPDX-License-Identifier: MIT
// The contract between a tile and an update scheme (the "update engine" of aihwkit's
// device / periphery / update split, architecture.md §1.1). The tile owns the devices; a
// scheme turns an intended weight change into pulses and applies them through the tile's
// pulse hooks. Implementations live in learning_rules/ (SCHEMES.def, registry
// xb::rules::scheme_registry()); this header only fixes the types both sides use.
#pragma once

#include <cstdint>
#include <memory>

#include "hw_models/core/registry.h"
#include "hw_models/core/types.h"

namespace xb::hw {

// Column-per-sample batches: X is in_size x B, D is out_size x B (column-major, so one sample
// is contiguous).
using BatchMatrix = Eigen::Matrix<Scalar, Eigen::Dynamic, Eigen::Dynamic>;

// What the learning rule wants written. Sign convention: W <- W + ΔW.
//  * dw: the intended ΔW (out_size x in_size), dense. Used by `ideal` and `pulse_count`, and
//    by `stochastic_pulse` only when no factors are given.
//  * x, d, lr: rank-1 factors, ΔW = −lr · D · Xᵀ = −lr · Σ_b d_b x_bᵀ (aihwkit convention:
//    d is the error/gradient at the outputs, so lr > 0 descends). `stochastic_pulse` uses
//    them to build row/column pulse trains (one rank-1 update per sample b, in order); the
//    other schemes form the dense product themselves.
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

// What happened (the bias/variance harness compares intended and realised).
struct UpdateReport {
  uint64_t pulses_up = 0;    // pulses (coincidences) that increase the weight
  uint64_t pulses_down = 0;  // pulses that decrease it
  Matrix intended;           // ΔW asked for (empty unless report_dw)
  Matrix realised;           // W_after − W_before as read without read noise (empty unless report_dw)
  int bl = 0;                // bit length used by stochastic_pulse (last sample), else 0
  uint64_t prob_clipped = 0; // pulse probabilities clipped at 1 (stochastic_pulse)
  bool programmed = false;   // written by reprogramming, not by pulses (ideal)
};

class Tile;

class UpdateScheme {
 public:
  virtual ~UpdateScheme() = default;
  // Applies the request through tile's pulse hooks and fills pulses_up/down, bl,
  // prob_clipped. Tile::update adds intended/realised around this call.
  virtual void apply(Tile& tile, const UpdateRequest& request, UpdateReport& report) const = 0;
};

}  // namespace xb::hw
