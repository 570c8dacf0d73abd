// SPDX-License-Identifier: MIT
// The seam between the tile kernels and anything that watches them: the pulse/energy ledger of
// functional mode (hw_models/timing/) and the SystemC timing shell of timed mode
// (hw_models/sc/). No SystemC here.
//
// A Tile with a hook calls hook->run(tile, op, kernel) from forward/backward/update instead of
// running the kernel itself; the hook runs the kernel exactly once, in the order it was called,
// and accounts for the cost the kernel reports (counts for the ledger, latency for the shell,
// signals for the trace). Because the kernels run in the same order on the same streams,
// results are bit-identical with and without a hook. A null hook (the default) costs one branch.
//
// Learning rules and the training loop publish what they are doing (the rule phase: estimate,
// free/nudged phases, perturbation passes, update, eval) and the loss through
// current_instrument(), which is null outside an instrumented run.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "hw_models/core/types.h"

namespace xb::hw {

class Tile;

// What a tile is asked to do; the values are the trace's `phase` codes (0 = idle).
enum class TileOp : int { forward = 1, backward = 2, update = 3, refresh = 4, transfer = 5 };

// The cost of one tile operation as the tile itself reports it: plain data from which the
// latency model (hw_models/timing/latency_model.h) and the energy ledger work, so neither has
// to know how a read or a scheme works.
struct OpCost {
  TileOp op = TileOp::forward;
  // Reads: every pass drives lines_in DAC inputs, reads every cell once and converts lines_out
  // outputs. Passes = samples + bound-management re-reads.
  uint64_t read_passes = 0;
  Index lines_in = 0, lines_out = 0;
  uint64_t adc_saturations = 0;  // outputs saturated on their final read
  // Updates: pulses applied and the time slots the scheme needed to apply them.
  uint64_t pulses_up = 0, pulses_down = 0;
  uint64_t write_slots = 0;
  // Refresh (a unit cell's, hw_models/cells/pair_cell.h) and transfer (a transfer scheme's,
  // hw_models/update/transfer.h) both read and write: their reads are the read fields above,
  // their pulses the pulse fields; a refresh rewrote this many cross-points.
  uint64_t refreshed = 0;
};

class TimingHook {
 public:
  virtual ~TimingHook() = default;
  // Runs `kernel` once (it performs `op` on `tile` and returns its cost) and accounts for it.
  // Exceptions of the kernel propagate to the caller.
  virtual void run(const Tile& tile, TileOp op, const std::function<OpCost()>& kernel) = 0;
};

// The per-run instrument: hands out one hook per tile and receives the rule phase and loss.
class RunInstrument {
 public:
  virtual ~RunInstrument() = default;
  // A hook for `tile`, named hierarchically in traces (`name` like "layer0", or
  // "layer0.t0_1" for a tile of a split layer); valid for the run. `group` is its network
  // layer (-1: a group of its own): the tiles of one layer read at the same time under the
  // concurrent schedules (hw_models/timing/schedule.h). A timed trace with a pulse-level window
  // also sets the tile's line probe (Tile::set_line_probe).
  virtual TimingHook* attach(Tile& tile, const std::string& name, int group = -1) = 0;
  // The learning-rule phase now starting ("estimate", "free", "nudged", "perturb", "update",
  // "eval", ...); any label is accepted.
  virtual void rule_phase(const std::string& label) = 0;
  virtual void loss(double value) = 0;
  // The chip's time so far, in seconds: the latencies of every tile operation outside the
  // "eval" phase, added up (whole cycles x timing.clock). Under the sequential schedule this
  // is the timed run's SystemC time less its evaluations, and functional mode counts the same
  // cycles, so devices age identically in both modes and evaluations never age them.
  virtual double device_seconds() const = 0;
  // The same clock in whole cycles; a resumed run starts it where its checkpoint stopped.
  virtual uint64_t device_cycles() const = 0;
  virtual void set_device_cycles(uint64_t cycles) = 0;
};

namespace detail {
inline thread_local RunInstrument* current_instrument = nullptr;
}

// The instrument of the run executing on this thread, or null (plain functional use, tests).
inline RunInstrument* current_instrument() { return detail::current_instrument; }

// Convenience for rules: publishes a phase label when a run is instrumented, else nothing.
inline void publish_rule_phase(const std::string& label) {
  if (RunInstrument* r = current_instrument()) r->rule_phase(label);
}

// Makes `r` the current instrument of this thread for the scope's lifetime.
class InstrumentScope {
 public:
  explicit InstrumentScope(RunInstrument* r) : prev_(detail::current_instrument) {
    detail::current_instrument = r;
  }
  ~InstrumentScope() { detail::current_instrument = prev_; }
  InstrumentScope(const InstrumentScope&) = delete;
  InstrumentScope& operator=(const InstrumentScope&) = delete;

 private:
  RunInstrument* prev_;
};

}  // namespace xb::hw
