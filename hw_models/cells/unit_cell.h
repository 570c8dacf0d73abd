// SPDX-License-Identifier: MIT
// A unit cell: how the devices at one cross-point make one weight (aihwkit's unit cells, Rasch
// et al. 2021; the `cell:` section). A tile holds K device arrays of the same law (one per
// device of the cell, DeviceState each) and asks its cell
//   - what W the devices' read conductances g_0 .. g_{K−1} make       (combine),
//   - how to program a target W onto the devices                      (program),
//   - which devices a block of signed pulse counts goes to            (route),
//   - what one pulse changes W by, for the update schemes             (dw_min),
//   - and, for cells that refresh, when and where to refresh          (refresh_due, refresh_plan).
// The cell model is stateless and registered by name (CELLS.def); everything that changes
// lives in a CellState value, so tiles with cells stay copyable and forkable. A cell never
// draws device noise itself: the tile applies what the cell routes through the device model
// on the tile's streams, so every cell works with every device law and update scheme.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "hw_models/core/params.h"
#include "hw_models/core/registry.h"
#include "hw_models/core/rng.h"
#include "hw_models/core/state_map.h"
#include "hw_models/core/types.h"
#include "hw_models/devices/device_model.h"

namespace xb::hw {

// Largest number of devices per cross-point (stream keys reserve three bits for the index).
inline constexpr int kMaxCellDevices = 8;

struct CellState {
  std::vector<DeviceState> dev;  // dev[k]: device k of every cross-point
  Array reference;               // `reference` cell: each reference device's programmed value
  double since_refresh = 0;      // updates (or samples) since the last refresh check
  uint64_t refreshes = 0;        // refresh checks done (their stream event)
  int next = 0;                  // `vector` cell: the device the next update goes to
};

// What a refresh does to the array: which cross-points to refresh (mask != 0) and the pulses
// that write each refreshed cross-point's weight back, per device, after the reset.
struct RefreshPlan {
  PulseArray mask;
  std::vector<PulseArray> pulses;  // pulses[k] for device k (empty: none)
};

class UnitCell {
 public:
  virtual ~UnitCell() = default;

  // Devices per cross-point, K.
  virtual int devices() const = 0;
  // The weight each device is fabricated at (device units), before any programming.
  virtual double fabricated_weight(int k, const DeviceModel& d, double w_init) const = 0;
  // Extra per-tile state set once after fabrication (the `reference` cell's reference),
  // with any draws from `fab` (the tile's fabrication stream).
  virtual void prepare(CellState& /*s*/, const DeviceModel& /*d*/, Rng& /*fab*/) const {}

  // W of every cross-point from the devices' read weights g[k] (read_weights + read noise).
  virtual void combine(const std::vector<Array>& g, const DeviceModel& d, Array& w) const = 0;
  // W that one pulse changes when it reaches the device(s) the next update goes to (for the
  // schemes' pulse counts and probabilities); g = the device law's granularity.
  virtual double dw_min(const CellState& s, const DeviceModel& d) const = 0;

  // Whether programming starts from a device reset (the pairs: the device that holds no weight
  // keeps its reset conductance, reset noise included). Default: cells of several devices.
  virtual bool resets_on_program() const { return devices() > 1; }
  // Programs target W onto the devices (exactly, clipped to their bounds); every device has
  // just been reset when resets_on_program().
  virtual void program(CellState& s, const Array& w, const DeviceModel& d) const = 0;

  // The counts n of a block of rows (row0 ..) for each device: out[k] (resized by the cell;
  // left with zero rows when device k gets no pulses).
  virtual void route(const CellState& s, const PulseArray& n, std::vector<PulseArray>& out) const = 0;
  // True when every count goes unchanged to device 0 (the tile then skips route).
  virtual bool routes_unchanged() const { return false; }
  // After each update of `samples` samples: advance the cell's own counters; `choice` draws the
  // next device of a random update policy.
  virtual void after_update(CellState& /*s*/, uint64_t /*samples*/, Rng& /*choice*/) const {}

  // Refresh (pair cells): whether a refresh check is due now (after after_update), and, from
  // the devices' conductances as the refresh read saw them, which cross-points to refresh and
  // the pulses that rewrite them.
  virtual bool refresh_due(const CellState& /*s*/) const { return false; }
  virtual void refresh_plan(const std::vector<Array>& /*g*/, const DeviceModel& /*d*/,
                            RefreshPlan& /*plan*/) const {}

  // The cell's own counters in a checkpoint.
  void save_state(const CellState& s, StateMap& m, const std::string& prefix) const;
  void load_state(CellState& s, const StateMap& m, const std::string& prefix) const;
};

using CellRegistry = Registry<UnitCell>;

// Every registered unit cell (CELLS.def).
const CellRegistry& cell_registry();

}  // namespace xb::hw
