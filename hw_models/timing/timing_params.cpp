// SPDX-License-Identifier: MIT
#include "hw_models/timing/timing_params.h"

#include <algorithm>
#include <cmath>

namespace xb::timing {

namespace {
// A latency takes at least one cycle (a shorter one would round to a cycle it does not fill,
// or to none), and at most 1 s so that one operation's cycle count stays far from 2^64.
void require_latency(const Scope& s, const char* key, double v, double clock) {
  s.require(std::isfinite(v) && v >= clock && v <= 1.0, key, v,
            "must be a time from one clock period (" + Scope::fmt(clock) + " s) to 1 s");
}
// 1 mJ per operation is far above any circuit (pJ) yet keeps every total finite: 2^64
// operations of 1 mJ are 1.8e16 J.
void require_energy(const Scope& s, const char* key, double v) {
  s.require(std::isfinite(v) && v >= 0 && v <= 1e-3, key, v,
            "must be an energy from 0 to 1e-3 J per operation");
}
}  // namespace

void TimingParams::validate(const Scope& s) const {
  // SystemC counts time in whole picoseconds: a shorter clock becomes 0 s, a fractional one
  // would wait a rounded period while cycles count the exact one.
  const double picoseconds = clock * 1e12;
  s.require(std::isfinite(clock) && clock >= 1e-12 && clock <= 1e-3 &&
                std::abs(picoseconds - std::round(picoseconds)) <= 1e-6 * picoseconds,
            "clock", clock, "must be a whole number of picoseconds from 1e-12 s to 1e-3 s");
  require_latency(s, "t_dac", t_dac, clock);
  require_latency(s, "t_integrate", t_integrate, clock);
  require_latency(s, "t_adc", t_adc, clock);
  require_latency(s, "t_pulse", t_pulse, clock);
  s.require_in("adc_share", adc_share, 1, 1 << 20);
  s.require_one_of("schedule", schedule, {"sequential", "tile_parallel", "layer_pipelined"});
}

void EnergyParams::validate(const Scope& s) const {
  require_energy(s, "e_pulse", e_pulse);
  require_energy(s, "e_cell_read", e_cell_read);
  require_energy(s, "e_dac", e_dac);
  require_energy(s, "e_adc", e_adc);
}

void TraceParams::validate(const Scope& s) const {
  s.require_one_of("time_unit", time_unit, {"ps", "ns", "us", "ms"});
  // Trace times are whole trace units in 64 bits; the run itself ends by kMaxSimulatedSeconds.
  s.require(std::isfinite(start) && start >= 0 && start <= kMaxSimulatedSeconds, "start", start,
            "must be from 0 to 1e6 s");
  s.require(std::isfinite(stop) && (stop == 0 || stop > start) && stop <= kMaxSimulatedSeconds,
            "stop", stop, "must be 0 (the end) or > start, at most 1e6 s");
  const auto& known = trace_signal_names();
  for (const auto& sig : signals)
    s.require(std::find(known.begin(), known.end(), sig) != known.end(), "signals", sig,
              "unknown signal; one of phase, busy_cycles, pulses_up, pulses_down, adc_sat, "
              "g_mean, g_min, g_max, cells, loss, rule_phase");
  s.require(cells.empty() || cells.size() == 4, "cells", cells.size(),
            "must be [] or [row0, row1, col0, col1]");
  if (cells.size() == 4)
    s.require(cells[0] >= 0 && cells[2] >= 0 && cells[1] > cells[0] && cells[3] > cells[2],
              "cells", cells[0], "needs 0 <= row0 < row1 and 0 <= col0 < col1");
  s.require(lines.empty() || lines.size() == 4, "lines", lines.size(),
            "must be [] or [row0, row1, col0, col1] with (row1 - row0)·(col1 - col0) <= 1024");
  if (lines.size() == 4) {
    s.require(lines[0] >= 0 && lines[2] >= 0 && lines[1] > lines[0] && lines[3] > lines[2],
              "lines", lines[0], "needs 0 <= row0 < row1 and 0 <= col0 < col1");
    // Every traced cell is a few signals and every slot an event: a window is for looking at.
    s.require(int64_t(lines[1] - lines[0]) * (lines[3] - lines[2]) <= 1024, "lines",
              (lines[1] - lines[0]) * (lines[3] - lines[2]),
              "cells in the window must be at most 1024 (a window to look at in GTKWave)");
  }
  s.require(std::isfinite(g_min) && g_min >= 0 && g_min < 1, "g_min", g_min,
            "must be a conductance from 0 to 1 S");
  s.require(std::isfinite(g_max) && g_max > g_min && g_max <= 1, "g_max", g_max,
            "must be a conductance above g_min, at most 1 S");
}

bool TraceParams::has(const std::string& signal) const {
  return std::find(signals.begin(), signals.end(), signal) != signals.end();
}

double TraceParams::unit_seconds() const {
  if (time_unit == "ps") return 1e-12;
  if (time_unit == "us") return 1e-6;
  if (time_unit == "ms") return 1e-3;
  return 1e-9;
}

}  // namespace xb::timing
