// SPDX-License-Identifier: MIT
// A pulsed device model acts on a whole rows x cols array of devices at once (whole-array
// Eigen kernels, no per-device calls): the model is stateless and registered by name; all
// per-device state lives in a copyable DeviceState value, so a tile can be forked to draw
// independent realisations of the same update (same fabrication, independent cycle noise).
//
// Common step law of every pulsed model (aihwkit PulsedDevice semantics; docs/devices.md):
//   one pulse in direction d = ±1 moves w by  d · dw_d(i,j) · f_d(w) · (1 + dw_min_std ξ)
//   (multiplicative c2c noise; additive variant adds dw_min·dw_min_std·ξ), then w is clipped
//   to the device's own bounds [w_min(i,j), w_max(i,j)].
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "hw_models/core/params.h"
#include "hw_models/core/registry.h"
#include "hw_models/core/rng.h"
#include "hw_models/core/types.h"

namespace xb::hw {

// Per-device state of an array. Fabrication arrays are drawn once from the fabrication
// stream; `w` evolves with pulses. Models that need more per-device quantities keep them in
// `extra` (documented by the model).
struct DeviceState {
  Array w;           // persistent (hidden) weight of each device
  Array w_apparent;  // weight seen by reads when write noise is on; empty otherwise
  Array dw_up;       // step size of one up pulse at the reference point (d2d spread included)
  Array dw_down;     // magnitude of one down pulse at the reference point
  Array w_min;       // per-device lower bound
  Array w_max;       // per-device upper bound
  std::vector<Array> extra;
  // Optional per-device arrays of the common pulsed-device machinery (pulsed_device.h); each
  // is empty when its effect is off.
  Array reference;    // static reference weight subtracted on read (SoftBoundsReference)
  Array drift_nu;     // power-law drift exponent ν of each device
  Array decay;        // per-mini-batch retention factor 1 − 1/lifetime_ij
  Array diffusion;    // per-mini-batch random-walk std of each device
  Array reset_bias;   // mean weight a reset() programs each device to
  Eigen::Array<uint8_t, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> stuck;  // 1 = faulty
  Array stuck_value;   // weight a stuck device reads as
  double age_s = 0.0;  // seconds since programming, for drift

  Index rows() const { return w.rows(); }
  Index cols() const { return w.cols(); }
};

class DeviceModel {
 public:
  virtual ~DeviceModel() = default;

  // Draws every device-to-device quantity of a rows x cols array from `fab`, and sets each
  // device's weight to w0 (clipped to its bounds).
  virtual DeviceState fabricate(Index rows, Index cols, double w0, Rng& fab) const = 0;

  // Applies signed pulses to the devices of rows [row0, row0 + n.rows()): n(i, j) pulses, one
  // after another, to device (row0 + i, j), each pulse with its own cycle-to-cycle noise. n is
  // a block of rows, so a caller can build the counts block by block in a small buffer. The
  // noise of row r is drawn from cycle.at(event, r), so the result does not depend on how
  // rows are split among threads.
  virtual void apply_pulses(DeviceState& s, const Eigen::Ref<const PulseArray>& n,
                            const Rng& cycle, uint64_t event, Index row0) const = 0;

  // Effects between updates, per mini-batch (aihwkit `lifetime` decay, `diffusion`) and in
  // time (`age_s` for drift). Default: nothing.
  virtual void advance(DeviceState& s, double batches, double seconds, const Rng& cycle,
                       uint64_t event) const;

  // The weights a read sees (apparent weight, faults, quantization, drift), before read noise.
  virtual void read_weights(const DeviceState& s, Array& out) const;

  // Whether add_read_noise() does anything (a read then costs a pass over the array).
  virtual bool has_read_noise() const { return false; }
  // Adds read noise to weights `w` returned by read_weights(); row r draws from
  // read.at(event, r). Default: none.
  virtual void add_read_noise(const DeviceState& s, Array& w, const Rng& read,
                              uint64_t event) const;

  // Resets the devices of rows [row0, row1) (only those with mask(i,j) != 0 when a mask is
  // given) to their reset weight, with reset noise from cycle.at(event, r). Default: w = 0.
  virtual void reset(DeviceState& s, const Rng& cycle, uint64_t event, Index row0, Index row1,
                     const PulseArray* mask = nullptr) const;

  // Nominal granularity: the mean step of one pulse at the symmetry point, used by update
  // schemes to convert ΔW into pulse counts and probabilities.
  virtual double granularity() const = 0;
  // Nominal weight range of a device (mean bounds).
  virtual double nominal_w_min() const = 0;
  virtual double nominal_w_max() const = 0;
  // The mean weight reset() programs (before device-to-device spread).
  virtual double nominal_reset() const { return 0.0; }
};

using DeviceRegistry = Registry<DeviceModel>;

// Every registered device model (DEVICES.def).
const DeviceRegistry& device_registry();

// Checks every device's range keys share: w_max > w_min, dw_min > 0, and all three within
// ±1e6 weight units (device states are single precision: beyond that every step is lost to
// rounding, and near 3e38 the state overflows).
void validate_weight_range(const Scope& s, double w_min, double w_max, double dw_min);

}  // namespace xb::hw
