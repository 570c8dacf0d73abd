// SPDX-License-Identifier: MIT
// The pulse and energy ledger: per tile, how many read passes, converter operations, cell reads
// and write pulses a run used, turned into energy with the per-operation energies of
// `energy:` (timing_params.h states the figures and their sources). It adds up the OpCost each
// tile operation reports, so it is kept in functional mode too (through CountingHook) and is
// identical in both modes.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <deque>
#include <memory>
#include <string>

#include "hw_models/crossbar/tile.h"
#include "hw_models/crossbar/timing_hook.h"
#include "hw_models/timing/timing_params.h"

namespace xb::timing {

using hw::OpCost;
using hw::Tile;
using hw::TileOp;
using hw::TimingHook;

struct TileCounts {
  std::string name;
  Index rows = 0, cols = 0;                            // out_size x in_size
  uint64_t forward_passes = 0, backward_passes = 0;    // one pass = one sample read (re-reads too)
  uint64_t adc_saturations = 0;                        // outputs saturated on their final read
  uint64_t dac_conversions = 0, adc_conversions = 0, cell_reads = 0;
  uint64_t updates = 0, pulses_up = 0, pulses_down = 0;

  double write_energy(const EnergyParams& e) const { return e.e_pulse * double(pulses_up + pulses_down); }
  double read_energy(const EnergyParams& e) const {
    return e.e_cell_read * double(cell_reads) + e.e_dac * double(dac_conversions) +
           e.e_adc * double(adc_conversions);
  }
};

class EnergyLedger {
 public:
  explicit EnergyLedger(const EnergyParams& p) : p_(p) {}
  // A new row for `tile`; the reference stays valid for the ledger's lifetime.
  TileCounts& add(const Tile& tile, const std::string& name);
  // Adds one operation's cost to a tile's row.
  static void record(TileCounts& c, const OpCost& cost);
  uint64_t total_pulses() const;
  // "ledger" object (totals, energies in J, per tile) and top-level energy_total_J.
  void write_summary(nlohmann::ordered_json& s) const;
  const std::deque<TileCounts>& tiles() const { return tiles_; }
  const EnergyParams& params() const { return p_; }

 private:
  EnergyParams p_;
  std::deque<TileCounts> tiles_;  // deque: add() keeps earlier references valid
};

// The functional-mode hook: runs the kernel inline and counts.
class CountingHook : public TimingHook {
 public:
  explicit CountingHook(TileCounts& c) : c_(c) {}
  void run(const Tile& tile, TileOp op, const std::function<OpCost()>& kernel) override;

 private:
  TileCounts& c_;
};

}  // namespace xb::timing
