// SPDX-License-Identifier: MIT
// stochastic_pulse: the fully parallel rank-1 update of Gokmen & Vlasov (Front. Neurosci. 2016),
// with the semantics of aihwkit's pulsed UpdateParameters (Rasch et al. 2021; docs/
// periphery-and-schemes.md).
//
// For one sample (x, d) and ΔW = −lr·d·xᵀ, each column j (input) sends a train of BL bits, each
// 1 with probability p_j = min(1, A·|x_j|), and each row i (output) a train with
// q_i = min(1, B·|d_i|). Where a row bit and a column bit coincide, device (i, j) receives one
// pulse of sign −sign(d_i)·sign(x_j); every pulse has its own cycle-to-cycle noise (the device
// applies the count n_ij, which all have the same sign, in one call). With unclipped
// probabilities E[n_ij] = BL·A·B·|x_j||d_i|, so E[ΔW_ij] = dw_min·BL·A·B·|x||d| = lr·|x||d|:
//   fixed BL (fixed_bl: true):   BL = desired_bl,                           A = B = sqrt(lr / (dw_min·BL))
//   BL management (fixed_bl: false, update_bl_management: true):
//                                BL = min(ceil(lr·max|x|·max|d| / dw_min), desired_bl), same A, B
//   update management (update_management: true) rebalances A and B, keeping A·B:
//                                A' = sqrt(A·B·α·max|d| / max|x|), B' = A·B / A',  α = um_grad_scale
//                                (α = 1 makes the largest row and column probabilities equal).
// Biases by construction (reported, and checked by the tests):
//   * probability clipping: where A'|x_j| > 1 or B'|d_i| > 1 the realised mean is
//     dw_min·BL·min(1, A'|x_j|)·min(1, B'|d_i|) < lr·|x_j||d_i| (counted by
//     probabilities_clipped());
//   * BL quantisation: at most BL pulses per device per sample, the step is dw_min;
//   * device asymmetry (up_down ≠ 0) and bounds act on each pulse.
// A batch X, D (B columns) is B rank-1 updates applied one after another, as in aihwkit.
//
// Dense ΔW without rank-1 factors: a crossbar cannot write an arbitrary matrix in one parallel
// step (a general matrix has no rank-1 pulse-train factorisation). This scheme then falls back
// to per-device stochastic rounding, n_ij = floor(|ΔW_ij|/dw_min) + Bernoulli(frac), capped at
// desired_bl per device: unbiased below the cap, but it models a serial (row-by-row)
// programming, not the parallel update. Learning rules that have factors should pass them.
//
// Implementation: trains of up to 32 bits are uint32 masks (longer ones several words), one per
// row and column, drawn from 32-bit uniforms compared with p·2^32; counts are AND + popcount.
#pragma once

#include "hw_models/update/update_scheme.h"

namespace xb::hw {

struct StochasticPulseParams {
  int desired_bl = 31;
  bool fixed_bl = true;
  bool update_bl_management = true;
  bool update_management = true;
  double um_grad_scale = 1.0;
  template <class F>
  void bind(F&& f) {
    f("desired_bl", desired_bl, "", "bit length of the pulse trains (maximum, with BL management)");
    f("fixed_bl", fixed_bl, "", "always use desired_bl (true) or manage BL (false)");
    f("update_bl_management", update_bl_management, "",
      "with fixed_bl false: BL = min(ceil(lr·max|x|·max|d|/dw_min), desired_bl)");
    f("update_management", update_management, "",
      "rebalance row/column probabilities by sqrt(um_grad_scale·max|d|/max|x|)");
    f("um_grad_scale", um_grad_scale, "1", "α of update management");
  }
  void validate(const Scope& s) const {
    s.require_in("desired_bl", desired_bl, 1, 1024);
    s.require_gt("um_grad_scale", um_grad_scale, 0.0);
  }
};

class StochasticPulseScheme : public ClonableScheme<StochasticPulseScheme> {
 public:
  explicit StochasticPulseScheme(const StochasticPulseParams& p) : p_(p) {}
  void apply(Tile& tile, const UpdateRequest& r, UpdateReport& rep) override;
  // Pulse probabilities clipped at 1 since construction (a bias of the realised update).
  uint64_t probabilities_clipped() const { return prob_clipped_; }
  void save_state(StateMap& s, const std::string& prefix) const override {
    s.numbers[prefix + "probabilities_clipped"] = double(prob_clipped_);
  }
  void load_state(const StateMap& s, const std::string& prefix) override {
    prob_clipped_ = uint64_t(s.number(prefix + "probabilities_clipped"));
  }

  // The bit length and amplitudes used for one sample (exposed for the tests).
  struct Plan {
    int bl = 0;
    double a = 0, b = 0;  // column (x) and row (d) amplitudes
  };
  Plan plan(double lr, double dw_min, double x_max, double d_max) const;

 private:
  void apply_rank1(Tile& tile, const Scalar* x, const Scalar* d, double lr,
                   UpdateReport& rep);
  void apply_dense(Tile& tile, const Matrix& dw, UpdateReport& rep) const;
  StochasticPulseParams p_;
  uint64_t prob_clipped_ = 0;
};

}  // namespace xb::hw
