// SPDX-License-Identifier: MIT
// The machinery every pulsed device model shares (aihwkit PulsedDevice semantics,
// docs/devices.md), so that a new step law is one small file pair:
//
//   fabrication (device-to-device, drawn once):
//     g_ij   = 1 + dw_min_dtod·ξ          (or exp(dw_min_dtod·ξ) with dw_min_dtod_log_normal)
//     β_ij   = up_down + up_down_dtod·ξ
//     dw_up  = dw_min·|g_ij + β_ij|,  dw_down = dw_min·|g_ij − β_ij|
//              (Δw^d = d·dw_min·(1 + d·β + σ_d2d ξ); the absolute value is aihwkit's
//               enforce_consistency: a step never reverses its direction)
//     b_max  = w_max·(1 + w_max_dtod·ξ), b_min = w_min·(1 + w_min_dtod·ξ), signs enforced
//   one pulse in direction d on device (i,j), at weight w:
//     w ← clip(w + Δ_d(w) + a(w, Δ_d)·ξ_c2c, b_min, b_max)
//     Δ_d(w) = the model's step law (signed mean step, e.g. d·dw_d·f_d(w)),
//     a = dw_min_std·Δ_d (mult_noise, i.e. Δ·(1 + σξ)) or dw_min_std·dw_min (additive).
//   ξ_c2c is Gaussian, unit-variance Student-t (c2c_nu) or S_α(1, θ, 0) (S1 parametrisation,
//   docs/corrections.md C17).
//
// Beyond the peers: stuck-at faults, conductance quantization, power-law drift and read
// noise, all applied on read; lifetime decay and diffusion per mini-batch in advance().
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "hw_models/core/params.h"
#include "hw_models/devices/device_model.h"

namespace xb::hw {

// One row of a device array.
using RowArray = Eigen::Array<Scalar, 1, Eigen::Dynamic>;

struct PulsedParams {
  double dw_min = 0.001;
  double dw_min_dtod = 0.3;
  bool dw_min_dtod_log_normal = false;
  double dw_min_std = 0.3;
  bool mult_noise = true;
  double up_down = 0.0;
  double up_down_dtod = 0.01;
  double w_min = -0.6;
  double w_max = 0.6;
  double w_min_dtod = 0.3;
  double w_max_dtod = 0.3;
  double write_noise_std = 0.0;
  double reset = 0.0;
  double reset_dtod = 0.0;
  double reset_std = 0.01;
  double lifetime = 0.0;
  double lifetime_dtod = 0.0;
  double diffusion = 0.0;
  double diffusion_dtod = 0.0;
  std::string c2c_noise = "gaussian";
  double c2c_nu = 4.0;
  double c2c_alpha = 1.5;
  double c2c_theta = 0.0;
  double stuck_fraction = 0.0;
  std::string stuck_at = "random";
  int n_levels = 0;
  double drift_nu = 0.0;
  double drift_nu_dtod = 0.0;
  double drift_t0 = 20.0;
  std::string read_noise = "additive";
  double read_noise_std = 0.0;
  bool summed_pulses = true;
  // Not a key: models that derive dw_min, up_down, w_min and w_max from other parameters
  // (soft_bounds_pmax) set this to false so the four are neither read nor shown.
  bool bind_range = true;

  template <class F>
  void bind(F&& f) {
    if (bind_range)
      f("dw_min", dw_min, "1", "mean step of one pulse at the reference point, in weight units");
    f("dw_min_dtod", dw_min_dtod, "1", "device-to-device spread of dw_min, relative");
    f("dw_min_dtod_log_normal", dw_min_dtod_log_normal, "",
      "draw the dw_min spread log-normal (median dw_min) instead of normal");
    f("dw_min_std", dw_min_std, "1", "cycle-to-cycle step noise, relative to the step");
    f("mult_noise", mult_noise, "",
      "c2c noise multiplies the step (true) or adds dw_min·dw_min_std·ξ (false)");
    if (bind_range)
      f("up_down", up_down, "1", "up/down step asymmetry β: dw_up/down = dw_min·(1 ± β)");
    f("up_down_dtod", up_down_dtod, "1", "device-to-device spread of up_down, absolute");
    if (bind_range) {
      f("w_min", w_min, "1", "mean lower weight bound");
      f("w_max", w_max, "1", "mean upper weight bound");
    }
    f("w_min_dtod", w_min_dtod, "1", "device-to-device spread of w_min, relative");
    f("w_max_dtod", w_max_dtod, "1", "device-to-device spread of w_max, relative");
    f("write_noise_std", write_noise_std, "dw_min",
      "noise of the apparent weight after each write, in units of dw_min (hidden weight exact)");
    f("reset", reset, "1",
      "mean weight a reset programs (cells of several devices reset before programming and on "
      "refresh; lifetime decays toward it)");
    f("reset_dtod", reset_dtod, "1", "device-to-device spread of the reset weight, absolute");
    f("reset_std", reset_std, "1", "cycle-to-cycle spread of each reset, absolute");
    f("lifetime", lifetime, "batches",
      "decay time constant: w ← reset + (w − reset)(1 − 1/lifetime) per mini-batch; 0 = off");
    f("lifetime_dtod", lifetime_dtod, "1", "device-to-device spread of lifetime, relative");
    f("diffusion", diffusion, "1", "random-walk std added per mini-batch; 0 = off");
    f("diffusion_dtod", diffusion_dtod, "1", "device-to-device spread of diffusion, relative");
    f("c2c_noise", c2c_noise, "",
      "distribution of the c2c noise ξ: gaussian | student_t | alpha_stable");
    f("c2c_nu", c2c_nu, "", "Student-t degrees of freedom (> 2; scaled to unit variance)");
    f("c2c_alpha", c2c_alpha, "", "alpha-stable index α in (0, 2]; ξ ~ S_α(1, θ, 0), S1 form");
    f("c2c_theta", c2c_theta, "", "alpha-stable skewness θ in [-1, 1]");
    f("stuck_fraction", stuck_fraction, "1", "fraction of devices stuck at a fixed weight");
    f("stuck_at", stuck_at, "", "where stuck devices sit: min | max | random (uniform)");
    f("n_levels", n_levels, "",
      "conductance levels over [b_min, b_max] applied on read; 0 = continuous");
    f("drift_nu", drift_nu, "1", "power-law drift exponent ν: w·(t/t0)^−ν on read; 0 = off");
    f("drift_nu_dtod", drift_nu_dtod, "1", "device-to-device spread of ν, relative");
    f("drift_t0", drift_t0, "s", "drift reference time t0 (no drift before t0)");
    f("read_noise", read_noise, "",
      "read-noise model: additive (N(0, read_noise_std²)) | pcm (1/f PCM model, scaled by "
      "read_noise_std)");
    f("read_noise_std", read_noise_std, "1",
      "additive read-noise std in weight units, or the pcm model's scale; 0 = off");
    f("summed_pulses", summed_pulses, "",
      "Gaussian c2c noise: draw a device's n pulses as one Gaussian of their mean and variance "
      "(exact for affine laws, along the tangent within 1e-3 for exp_step and pow_step; "
      "docs/devices.md) or pulse by pulse (false)");
  }
  void validate(const Scope& s) const;
};

// The devices of one row that receive pulses in one direction, with their per-device
// constants gathered into contiguous arrays and ordered by pulse count (largest first, then by
// column), so that the devices still pulsing at pulse k are the prefix [0, active(k)). Step
// laws read their constants from here, never from the whole row: the per-pulse work is then
// proportional to the pulses that happen, not to columns × the row's largest count.
struct PulseGroup {
  bool up = true;
  RowArray w;                   // current weights
  RowArray dw;                  // dw_up (up) or dw_down (down) of each device, > 0
  RowArray lo, hi;              // the device's bounds b_min, b_max
  std::vector<RowArray> extra;  // the law's own constants (DeviceState::extra), gathered
};

// α and β of an affine step law Δ(w) = α − β·w for the devices of one row, per direction. A
// law that is affine only piecewise sets `bounded` and the interval [v_lo, v_hi] of each
// device's current piece intersected with its bounds; the summed draw is then used only
// inside it.
struct AffineRow {
  RowArray a_up, b_up, a_down, b_down;
  bool bounded = false;
  RowArray v_lo, v_hi;
};

// ε of the tangent of smooth laws (PulsedDevice::tangent): along it, each pulse's mean step and
// noise amplitude are within ε·|Δ| of the law's.
inline constexpr Scalar kTangentTolerance = 1e-3f;

// A pulsed device: the base implements fabrication, the pulse engine, write noise,
// decay/diffusion, reset and the read path; a model supplies its step law.
class PulsedDevice : public DeviceModel {
 public:
  explicit PulsedDevice(const PulsedParams& p) : p_(p) {}

  DeviceState fabricate(Index rows, Index cols, double w0, Rng& fab) const override;
  void apply_pulses(DeviceState& s, const Eigen::Ref<const PulseArray>& n, const Rng& cycle,
                    uint64_t event, Index row0) const override;
  void advance(DeviceState& s, double batches, double seconds, const Rng& cycle,
               uint64_t event) const override;
  void read_weights(const DeviceState& s, Array& out) const override;
  bool has_read_noise() const override { return p_.read_noise_std > 0; }
  void add_read_noise(const DeviceState& s, Array& w, const Rng& read,
                      uint64_t event) const override;
  void reset(DeviceState& s, const Rng& cycle, uint64_t event, Index row0, Index row1,
             const PulseArray* mask = nullptr) const override;
  double granularity() const override { return p_.dw_min; }
  double nominal_w_min() const override { return p_.w_min; }
  double nominal_w_max() const override { return p_.w_max; }
  double nominal_reset() const override { return p_.reset; }

  const PulsedParams& pulsed_params() const { return p_; }

 protected:
  // The step law: into dw[0, n) the signed mean step of one pulse (> 0 up, < 0 down) of the
  // first n devices of g, at their current weights g.w. Whole-array code on head(n).
  virtual void step(const PulseGroup& g, Index n, RowArray& dw) const = 0;
  // Model-specific device-to-device draws (after the common ones), into s.extra etc.
  virtual void fabricate_law(DeviceState& /*s*/, Rng& /*fab*/) const {}
  // A state-dependent amplitude a[0, n) of the c2c noise term a·ξ for the steps dw[0, n):
  // write it and return true. The default returns false, and the engine uses σ·Δ
  // (mult_noise) or σ·dw_min (see top) without an extra pass.
  virtual bool c2c_amplitude(const PulseGroup& /*g*/, Index /*n*/, const RowArray& /*dw*/,
                             RowArray& /*amp*/) const {
    return false;
  }
  // Laws whose step is affine in the weight, Δ(w) = α − β·w (constant step: β = 0; soft
  // bounds, linear step, soft bounds with reference), return true from affine() and fill α
  // and β of row r's devices for both directions in affine_step(); this enables the summed
  // draw of n pulses (pulses_summed). The affine form must hold wherever Δ has the pulse's
  // sign (up: α − βw ≥ 0).
  virtual bool affine() const { return false; }
  virtual void affine_step(const DeviceState& /*s*/, Index /*r*/, AffineRow& /*c*/) const {}
  // Smooth laws (exp_step, pow_step) offer their tangent instead: from the step d0, slope d1
  // and a bound d2 on |Δ''| at each device's weight w0 (one direction), the tangent
  // α − βw = d0 + d1·(w − w0) and the half-width h = sqrt(2ε|d0|/d2) around w0 within which
  // the law stays within ε·|d0| of it (ε = kTangentTolerance); also |d1|·h ≤ |d0|/2, so the
  // step keeps its sign. Whole-row array code.
  static void tangent(const RowArray& w0, const RowArray& d0, const RowArray& d1,
                      const RowArray& d2, RowArray& alpha, RowArray& beta, RowArray& half_width);

  // n draws of the configured c2c distribution.
  void draw_c2c(Rng& rng, Scalar* out, Index n) const;

  PulsedParams p_;

 private:
  // Pulse by pulse, on the devices of row r listed in `cols` (their counts n(r, j) ≠ 0), with
  // noise from `rng`; see the definition for the order of the draws.
  void pulses_exact(DeviceState& s, const int32_t* nrow, const int32_t* cols, Index m, Rng& rng,
                    Index r) const;
  // Affine laws with Gaussian noise: one summed draw per device away from the bounds.
  void pulses_summed(DeviceState& s, const int32_t* nrow, const int32_t* cols, Index m, Rng& rng,
                     Index r) const;
};

// A standard normal array of the given shape from `fab` (row by row, in order).
Array normal_array(Index rows, Index cols, Rng& fab);

}  // namespace xb::hw
