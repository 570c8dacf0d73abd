// SPDX-License-Identifier: MIT
// Parameters of timed mode (`timing:`), of the pulse/energy ledger (`energy:`) and of the VCD
// trace (`trace:`). All three sections are read for every run so that a config means the same
// in functional and timed mode; functional mode uses only `energy:` (the ledger is a count).
//
// The timing model is latency_model.h (a pure function of an operation's reported cost and
// `timing:`); the energy model is the ledger's (energy_ledger.h).
//
// Energy model (per-operation energies, NeuroSim-style bookkeeping after Chen et al. 2018,
// "NeuroSim: a circuit-level macro model for benchmarking neuro-inspired architectures"):
//   write pulse  e_pulse = Vw²·G·t = (2 V)²·5 µS·10 ns = 200 fJ (MLP+NeuroSim IdealDevice:
//                Vw = 2 V, G_max = 5 µS, 10 ns write pulse; an upper bound at G_max)
//   cell read    e_cell_read = Vr²·G·t = (0.5 V)²·5 µS·10 ns = 12.5 fJ per cell per pass
//                (IdealDevice Vr = 0.5 V, integration t_integrate = 10 ns, at G_max)
//   DAC / ADC    e_dac = 0.1 pJ, e_adc = 2 pJ per conversion: assumed order-of-magnitude values
//                for a 5-bit converter, not taken from a publication; set them from your
//                circuit.
#pragma once

#include <string>
#include <vector>

#include "hw_models/core/params.h"

namespace xb::timing {

// The longest simulated time a timed run may reach. SystemC counts time in 64-bit steps of
// 1 ps (it ends at 1.8e7 s) and trace times in ps must fit a signed 64-bit integer (9.2e6 s);
// 1e6 s stays clear of both and is still 11 days of hardware time.
constexpr double kMaxSimulatedSeconds = 1e6;

struct TimingParams {
  double clock = 1e-9;
  double t_dac = 2e-9;
  double t_integrate = 10e-9;
  double t_adc = 1e-9;
  int adc_share = 8;
  double t_pulse = 10e-9;
  std::string schedule = "sequential";

  template <class F>
  void bind(F&& f) {
    f("clock", clock, "s",
      "controller clock period, 1 ps to 1 ms in whole picoseconds (SystemC's time step); "
      "every latency is rounded up to whole cycles");
    f("t_dac", t_dac, "s", "DAC settle time at the start of each read pass; one clock to 1 s");
    f("t_integrate", t_integrate, "s",
      "integration (read pulse) time of each read pass; one clock to 1 s");
    f("t_adc", t_adc, "s",
      "one ADC conversion; adc_share columns share one ADC; one clock to 1 s");
    f("adc_share", adc_share, "", "output columns sharing one ADC (converted one after another)");
    f("t_pulse", t_pulse, "s",
      "one bit-line slot of a pulsed update (write pulse + gap); one clock to 1 s");
    f("schedule", schedule, "",
      "which tile operations overlap (schedule.h): sequential (one tile at a time) | "
      "tile_parallel (tiles without a data dependency at once: the updates of a step) | "
      "layer_pipelined (tile_parallel, and the layers of a read chain work on different "
      "samples of the batch at once); only times change, never the weights");
  }
  void validate(const Scope& s) const;
};

struct EnergyParams {
  double e_pulse = 2e-13;
  double e_cell_read = 1.25e-14;
  double e_dac = 1e-13;
  double e_adc = 2e-12;

  template <class F>
  void bind(F&& f) {
    f("e_pulse", e_pulse, "J",
      "one write pulse, Vw²·G·t = (2 V)²·5 µS·10 ns (MLP+NeuroSim IdealDevice); 0 to 1 mJ");
    f("e_cell_read", e_cell_read, "J",
      "one cell in one read pass, Vr²·G·t = (0.5 V)²·5 µS·10 ns (NeuroSim IdealDevice Vr); "
      "0 to 1 mJ");
    f("e_dac", e_dac, "J",
      "one DAC conversion (one input line, one pass); assumed figure; 0 to 1 mJ");
    f("e_adc", e_adc, "J",
      "one ADC conversion (one output line, one pass); assumed figure; 0 to 1 mJ");
  }
  void validate(const Scope& s) const;
};

// The standard per-tile and run-level signals; `signals` selects a subset.
inline const std::vector<std::string>& trace_signal_names() {
  static const std::vector<std::string> names = {
      "phase", "busy_cycles", "pulses_up", "pulses_down", "adc_sat", "g_mean",
      "g_min", "g_max",       "cells",     "loss",        "rule_phase"};
  return names;
}

struct TraceParams {
  std::string time_unit = "ns";
  double start = 0.0;
  double stop = 0.0;
  std::vector<std::string> signals = trace_signal_names();
  std::vector<int> cells = {0, 4, 0, 4};
  std::vector<int> lines;
  double g_min = 1e-7;
  double g_max = 5e-6;

  template <class F>
  void bind(F&& f) {
    f("time_unit", time_unit, "", "VCD time unit: ps | ns | us | ms");
    f("start", start, "s", "simulated time at which tracing starts; 0 to 1e6 s");
    f("stop", stop, "s",
      "simulated time at which tracing stops (0: the end of the run); up to 1e6 s");
    f("signals", signals, "",
      "signals to write: phase, busy_cycles, pulses_up, pulses_down, adc_sat, g_mean, g_min, "
      "g_max, cells, loss, rule_phase");
    f("cells", cells, "",
      "window of traced cells [row0, row1, col0, col1) per tile: weight and conductance of "
      "each device ([] for none)");
    f("lines", lines, "",
      "pulse-level window [row0, row1, col0, col1) per tile: the pulse trains of its rows and "
      "columns slot by slot, the coincidences and pulses of its cells, the DAC and ADC codes "
      "of its lines per read pass ([]: none, the default)");
    f("g_min", g_min, "S",
      "conductance of a device at its nominal w_min, for the traced conductances (100 nS: "
      "MLP+NeuroSim IdealDevice)");
    f("g_max", g_max, "S",
      "conductance of a device at its nominal w_max (5 µS: MLP+NeuroSim IdealDevice, as "
      "energy.e_pulse)");
  }
  void validate(const Scope& s) const;
  bool has(const std::string& signal) const;
  double unit_seconds() const;
  // A device state w in S, mapped linearly from the device's nominal [w_min, w_max].
  double conductance(double w, double w_min, double w_max) const {
    return g_min + (w - w_min) / (w_max - w_min) * (g_max - g_min);
  }
};

}  // namespace xb::timing
