// SPDX-License-Identifier: MIT
// `xbarsim fit`: a piecewise_step device fitted to a measured pulse-response trace, emitted as a
// config section (users of the peer simulators ask for measured device data instead of fitted
// presets: aihwkit issues #237, #734; CrossSim issue #28).
//
// Trace: a CSV file with a header naming either `pulse` and `w` (pulse = +1 or -1 for the pulse
// that led to this row's w, 0 for a row without a pulse, e.g. the initial state) or
// `direction` and `w_mean` (up/down, as in the metrics.csv of the device_response experiment;
// the first row only sets the starting point). Other columns are ignored but must be well formed.
// The reader is strict, because a silently misread trace gives a plausible but wrong device:
// a regular file of at most 256 MiB of plain comma-separated text (a leading UTF-8 byte order
// mark is skipped), "\n" or "\r\n" line ends, lines of at most 65536 bytes; no quoted
// fields, no control characters other than tab (so no NUL bytes), no empty or repeated column
// names, every row with exactly as many cells as the header, empty lines only at the end; pulse
// one of 1, +1, -1, 0 (direction up or down); w a finite decimal number.
//
// Fit: each pulse gives a step Δ_k = w_k − w_{k−1} at w_{k−1}. The range [w_min, w_max] is the
// observed one. For each direction the node values v of the piecewise-linear step factor of
// piecewise_step (hw_models/devices/piecewise_step.h) solve the least-squares problem
//   min Σ_k (|Δ_k| − Σ_j h_j(w_{k−1}) v_j)² + λ Σ_j (v_{j+1} − v_j)²
// (h_j the hat functions of the m equally spaced nodes; the small smoothness term λ keeps
// nodes without data determined by their neighbours). dw_min is the mean of the fitted up and
// down steps at w = 0 (or at the middle of the range if 0 is outside it) and the nodes are
// divided by it; dw_min_std is the RMS relative residual (multiplicative cycle-to-cycle noise).
// A single trace cannot separate device-to-device spreads: every *_dtod is set to 0.
#pragma once

#include <string>
#include <vector>

namespace xb::sim {

struct PulseTrace {
  std::vector<int> pulse;  // +1, -1 or 0 per row
  std::vector<double> w;
};

// Throws ConfigError naming the file, the line and the rule.
PulseTrace read_pulse_trace(const std::string& path);

struct DeviceFit {
  double dw_min = 0, w_min = 0, w_max = 0, dw_min_std = 0;
  std::vector<double> piecewise_up, piecewise_down;
  int n_up = 0, n_down = 0;
};

// Throws ConfigError when a direction has fewer than 2 pulses or the range is empty.
DeviceFit fit_piecewise_step(const PulseTrace& trace, int nodes, const std::string& source);

// The `device:` section, with a comment naming the source and the fit statistics.
std::string device_fit_yaml(const DeviceFit& fit, const std::string& source);

struct FitArgs {
  std::string trace;
  std::string out;  // empty: standard output
  int nodes = 16;
};
int command_fit(const FitArgs& args);

}  // namespace xb::sim
