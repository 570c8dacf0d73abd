// SPDX-License-Identifier: MIT
#include "hw_models/timing/timing_params.h"

#include <algorithm>
#include <cmath>

namespace xb::timing {

namespace {
void require_time(const Scope& s, const char* key, double v) {
  s.require(std::isfinite(v) && v > 0, key, v, "must be a finite time > 0 s");
}
void require_energy(const Scope& s, const char* key, double v) {
  s.require(std::isfinite(v) && v >= 0, key, v, "must be a finite energy >= 0 J");
}
}  // namespace

void TimingParams::validate(const Scope& s) const {
  require_time(s, "clock", clock);
  require_time(s, "t_dac", t_dac);
  require_time(s, "t_integrate", t_integrate);
  require_time(s, "t_adc", t_adc);
  require_time(s, "t_pulse", t_pulse);
  s.require_in("adc_share", adc_share, 1, 1 << 20);
}

void EnergyParams::validate(const Scope& s) const {
  require_energy(s, "e_pulse", e_pulse);
  require_energy(s, "e_cell_read", e_cell_read);
  require_energy(s, "e_dac", e_dac);
  require_energy(s, "e_adc", e_adc);
}

void TraceParams::validate(const Scope& s) const {
  s.require_one_of("time_unit", time_unit, {"ps", "ns", "us", "ms"});
  s.require(std::isfinite(start) && start >= 0, "start", start, "must be >= 0 s");
  s.require(std::isfinite(stop) && (stop == 0 || stop > start), "stop", stop,
            "must be 0 (the end) or > start");
  const auto& known = trace_signal_names();
  for (const auto& sig : signals)
    s.require(std::find(known.begin(), known.end(), sig) != known.end(), "signals", sig,
              "unknown signal; one of phase, pulses_up, pulses_down, adc_sat, g_mean, g_min, "
              "g_max, cells, loss, rule_phase");
  s.require(cells.empty() || cells.size() == 4, "cells", cells.size(),
            "must be [] or [row0, row1, col0, col1]");
  if (cells.size() == 4)
    s.require(cells[0] >= 0 && cells[2] >= 0 && cells[1] > cells[0] && cells[3] > cells[2],
              "cells", cells[0], "needs 0 <= row0 < row1 and 0 <= col0 < col1");
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
