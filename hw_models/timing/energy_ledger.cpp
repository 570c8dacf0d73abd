// SPDX-License-Identifier: MIT
#include "hw_models/timing/energy_ledger.h"

#include "hw_models/core/errors.h"
#include "hw_models/timing/latency_model.h"

namespace xb::timing {

TileCounts& EnergyLedger::add(const Tile& tile, const std::string& name, int group) {
  TileCounts c;
  c.name = name;
  c.group = group;
  c.rows = tile.out_size();
  c.cols = tile.in_size();
  c.devices = tile.devices();
  c.index = tiles_.size();
  tiles_.push_back(c);
  eval_tiles_.push_back(c);
  return tiles_.back();
}

namespace {

// The ledger's counts are reported, never wrapped: a count past 2^64 ends the run.
void refuse_overflow(bool overflowed, const TileCounts& c, const char* what) {
  if (overflowed)
    throw NumericalError("energy ledger: tile " + c.name + ": the count of " + what +
                         " passes 2^64");
}

// `total` keeps its last true value when refused (the summary of the stopped run shows it).
void add_count(uint64_t& total, uint64_t n, const TileCounts& c, const char* what) {
  uint64_t sum = 0;
  refuse_overflow(__builtin_add_overflow(total, n, &sum), c, what);
  total = sum;
}

uint64_t count_product(uint64_t a, uint64_t b, const TileCounts& c, const char* what) {
  uint64_t product = 0;
  refuse_overflow(__builtin_mul_overflow(a, b, &product), c, what);
  return product;
}

}  // namespace

Placement EnergyLedger::record(const TileCounts& row, const OpCost& cost) {
  TileCounts& c = (eval_ ? eval_tiles_ : tiles_)[row.index];
  count(c, cost);
  Placement p;
  p.cycles = op_cycles(cost, t_);
  add_count(c.busy_cycles, p.cycles, c, "busy cycles");
  const uint64_t before = schedule_.makespan();
  const bool read = cost.op == TileOp::forward || cost.op == TileOp::backward;
  p.slot = schedule_.place(row.index, row.group, cost.op, p.cycles, read ? cost.read_passes : 0);
  p.grew = schedule_.makespan() - before;
  elapsed_[eval_ ? 1 : 0] += p.grew;
  return p;
}

void EnergyLedger::count(TileCounts& c, const OpCost& cost) {
  if (cost.op == TileOp::update || cost.op == TileOp::refresh || cost.op == TileOp::transfer) {
    add_count(cost.op == TileOp::update    ? c.updates
              : cost.op == TileOp::refresh ? c.refreshes
                                           : c.transfers,
              1, c, "updates");
    add_count(c.pulses_up, cost.pulses_up, c, "pulses up");
    add_count(c.pulses_down, cost.pulses_down, c, "pulses down");
    add_count(c.refreshed_cells, cost.refreshed, c, "refreshed cells");
    if (cost.op == TileOp::update) return;
  }
  add_count(cost.op == TileOp::forward    ? c.forward_passes
            : cost.op == TileOp::backward ? c.backward_passes
            : cost.op == TileOp::refresh  ? c.refresh_passes
                                          : c.transfer_passes,
            cost.read_passes, c, "read passes");
  add_count(c.adc_saturations, cost.adc_saturations, c, "ADC saturations");
  const uint64_t dac =
      count_product(cost.read_passes, uint64_t(cost.lines_in), c, "DAC conversions");
  const uint64_t adc =
      count_product(cost.read_passes, uint64_t(cost.lines_out), c, "ADC conversions");
  add_count(c.dac_conversions, dac, c, "DAC conversions");
  add_count(c.adc_conversions, adc, c, "ADC conversions");
  add_count(c.cell_reads, count_product(dac, uint64_t(cost.lines_out), c, "cell reads"), c,
            "cell reads");
}

uint64_t EnergyLedger::total_pulses() const {
  uint64_t n = 0;
  for (const auto& t : tiles_) n += t.pulses_up + t.pulses_down;
  return n;
}

namespace {

// Totals, energies and per-tile rows of one phase; returns its energy in J.
double phase_summary(const std::deque<TileCounts>& tiles, const EnergyParams& p,
                     const TimingParams& tp, uint64_t elapsed, nlohmann::ordered_json& l) {
  nlohmann::ordered_json per;
  uint64_t busy = 0;
  for (const auto& c : tiles) busy += c.busy_cycles;
  uint64_t up = 0, down = 0, passes = 0, sat = 0, dac = 0, adc = 0, cells = 0;
  double e_write = 0, e_read = 0;
  for (const auto& t : tiles) {
    nlohmann::ordered_json j;
    j["rows"] = t.rows;
    j["cols"] = t.cols;
    j["forward_passes"] = t.forward_passes;
    j["backward_passes"] = t.backward_passes;
    j["adc_saturations"] = t.adc_saturations;
    j["updates"] = t.updates;
    j["pulses_up"] = t.pulses_up;
    j["pulses_down"] = t.pulses_down;
    if (t.refreshes) {
      j["refreshes"] = t.refreshes;
      j["refresh_read_passes"] = t.refresh_passes;
      j["refreshed_cells"] = t.refreshed_cells;
    }
    if (t.transfers) {
      j["transfers"] = t.transfers;
      j["transfer_read_passes"] = t.transfer_passes;
    }
    j["write_energy_J"] = t.write_energy(p);
    j["read_energy_J"] = t.read_energy(p);
    j["busy_cycles"] = t.busy_cycles;
    j["busy_s"] = double(t.busy_cycles) * tp.clock;
    j["utilisation"] = elapsed ? double(t.busy_cycles) / double(elapsed) : 0.0;
    per[t.name] = j;
    up += t.pulses_up;
    down += t.pulses_down;
    passes += t.forward_passes + t.backward_passes + t.refresh_passes + t.transfer_passes;
    sat += t.adc_saturations;
    dac += t.dac_conversions;
    adc += t.adc_conversions;
    cells += t.cell_reads;
    e_write += t.write_energy(p);
    e_read += t.read_energy(p);
  }
  l["pulses_up"] = up;
  l["pulses_down"] = down;
  l["pulses"] = up + down;
  l["read_passes"] = passes;
  l["adc_saturations"] = sat;
  l["dac_conversions"] = dac;
  l["adc_conversions"] = adc;
  l["cell_reads"] = cells;
  // Finite by construction: every per-operation energy is at most 1e-3 J (EnergyParams) and
  // every count below 2^64, so no total reaches 1e17 J.
  l["write_energy_J"] = e_write;
  l["read_energy_J"] = e_read;
  l["busy_cycles"] = busy;
  l["elapsed_cycles"] = elapsed;
  l["tiles"] = tiles.empty() ? nlohmann::ordered_json::object() : per;
  return e_write + e_read;
}

}  // namespace

void EnergyLedger::write_summary(nlohmann::ordered_json& s) const {
  nlohmann::ordered_json train, eval;
  s["energy_total_J"] = phase_summary(tiles_, p_, t_, elapsed_[0], train);
  // Area belongs to the tile, not a phase: a tile ever read backward has converters on both
  // sides.
  double area = 0;
  for (std::size_t i = 0; i < tiles_.size(); ++i) {
    const TileCounts& c = tiles_[i];
    const bool backward = c.backward_passes + eval_tiles_[i].backward_passes > 0;
    const TileArea a = tile_area(c.rows, c.cols, c.devices, backward, t_.adc_share, a_);
    train["tiles"][c.name]["area_um2"] = a.to_json_um2();
    area += a.total();
  }
  s["area_mm2"] = area * 1e6;
  s["ledger"] = train;
  s["eval_energy_J"] = phase_summary(eval_tiles_, p_, t_, elapsed_[1], eval);
  s["ledger_eval"] = eval;
}

void CountingHook::run(const Tile&, TileOp, const std::function<OpCost()>& kernel) {
  const OpCost cost = kernel();
  const Placement p = l_.record(c_, cost);
  if (!l_.eval()) cycles_ += p.grew;
}

}  // namespace xb::timing
