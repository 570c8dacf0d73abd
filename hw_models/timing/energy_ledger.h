// SPDX-License-Identifier: MIT
// The pulse and energy ledger: per tile, how many read passes, converter operations, cell reads
// and write pulses a run used, turned into energy with the per-operation energies of
// `energy:` (timing_params.h states the figures and their sources). It adds up the OpCost each
// tile operation reports, so it is kept in functional mode too (through CountingHook) and is
// identical in both modes. Operations in the "eval" rule phase (the training loop's
// evaluations: a measurement, not part of the chip's work) go to a separate set of rows.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <deque>
#include <memory>
#include <string>

#include "hw_models/crossbar/tile.h"
#include "hw_models/crossbar/timing_hook.h"
#include "hw_models/timing/area_model.h"
#include "hw_models/timing/schedule.h"
#include "hw_models/timing/timing_params.h"

namespace xb::timing {

using hw::OpCost;
using hw::Tile;
using hw::TileOp;
using hw::TimingHook;

struct TileCounts {
  std::string name;
  std::size_t index = 0;                               // the row's place in the ledger
  Index rows = 0, cols = 0;                            // out_size x in_size
  int devices = 1;                                     // devices per cross-point (unit cell)
  int group = -1;                                      // its network layer (schedule.h)
  uint64_t forward_passes = 0, backward_passes = 0;    // one pass = one sample read (re-reads too)
  uint64_t adc_saturations = 0;                        // outputs saturated on their final read
  uint64_t dac_conversions = 0, adc_conversions = 0, cell_reads = 0;
  uint64_t updates = 0, pulses_up = 0, pulses_down = 0;
  uint64_t refreshes = 0, refresh_passes = 0, refreshed_cells = 0;  // a unit cell's refresh
  uint64_t transfers = 0, transfer_passes = 0;  // a transfer scheme's transfers onto the tile
  uint64_t busy_cycles = 0;  // the latency (timing:) of its operations, added up

  double write_energy(const EnergyParams& e) const { return e.e_pulse * double(pulses_up + pulses_down); }
  double read_energy(const EnergyParams& e) const {
    return e.e_cell_read * double(cell_reads) + e.e_dac * double(dac_conversions) +
           e.e_adc * double(adc_conversions);
  }
};

// Where one operation went: its interval on the schedule and how much it lengthened the run.
struct Placement {
  Slot slot;
  uint64_t cycles = 0;  // its latency
  uint64_t grew = 0;    // cycles by which it moved the run's end (makespan) on
};

class EnergyLedger {
 public:
  // `t` gives each operation's latency (latency_model.h) and the schedule (schedule.h) that
  // places it; `a` the tiles' area (area_model.h).
  EnergyLedger(const EnergyParams& p, const TimingParams& t, const AreaParams& a = {})
      : p_(p), t_(t), a_(a), schedule_(schedule_kind(t.schedule)) {}
  // A new row for `tile` of schedule group `group`; the reference stays valid for the
  // ledger's lifetime.
  TileCounts& add(const Tile& tile, const std::string& name, int group = -1);
  // From now on, operations are evaluation (true) or training (false, the start) work.
  void set_eval(bool eval) { eval_ = eval; }
  bool eval() const { return eval_; }
  // Adds one operation's cost and latency to a tile's row (its evaluation twin in the eval
  // phase) and places it on the schedule.
  Placement record(const TileCounts& c, const OpCost& cost);
  // Adds one operation's cost to the counts of `c`.
  static void count(TileCounts& c, const OpCost& cost);
  uint64_t total_pulses() const;
  // The end of the last operation on the schedule: the run's length so far, in cycles.
  uint64_t makespan() const { return schedule_.makespan(); }
  // "ledger" (training: totals, energies in J, per tile), top-level energy_total_J (training)
  // and "ledger_eval" with eval_energy_J (the evaluations' reads). Per phase elapsed_cycles
  // (the cycles by which its operations moved the run's end on; with the sequential schedule
  // the sum of its busy cycles), per tile and phase busy_cycles, busy_s and utilisation
  // (busy / the phase's elapsed cycles); per tile its area (area_um2, by part) and in total
  // area_mm2.
  void write_summary(nlohmann::ordered_json& s) const;
  const std::deque<TileCounts>& tiles() const { return tiles_; }
  const std::deque<TileCounts>& eval_tiles() const { return eval_tiles_; }
  const EnergyParams& params() const { return p_; }

 private:
  EnergyParams p_;
  TimingParams t_;
  AreaParams a_;
  std::deque<TileCounts> tiles_, eval_tiles_;  // deque: add() keeps earlier references valid
  bool eval_ = false;
  Schedule schedule_;
  uint64_t elapsed_[2] = {0, 0};  // training, evaluation
};

// The functional-mode hook: runs the kernel inline, counts it and adds the cycles by which it
// lengthened the run to `cycles` outside the eval phase (RunInstrument::device_seconds).
class CountingHook : public TimingHook {
 public:
  CountingHook(EnergyLedger& l, TileCounts& c, uint64_t& cycles) : l_(l), c_(c), cycles_(cycles) {}
  void run(const Tile& tile, TileOp op, const std::function<OpCost()>& kernel) override;

 private:
  EnergyLedger& l_;
  TileCounts& c_;
  uint64_t& cycles_;
};

}  // namespace xb::timing
