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
// Saturation: a device held at a bound does not move however many pulses it receives, and a
// pulse that would cross the bound is cut short. Such steps say nothing about the step factor
// or the noise, so they are set aside. A bound (the observed w_max or w_min) counts as reached
// when w takes exactly that value in more than one row: a clipped device returns the same value,
// while a trace that only turns round near its bound touches its extreme once. A pulse towards
// a reached bound (up towards w_max, down towards w_min) is saturated when it starts or ends at
// that bound. Zero steps elsewhere are kept: a read-out coarser than the step produces them as
// part of the response. With noise, the pulses kept next to a clip are those whose noise did
// not carry them to the bound, so dw_min_std comes out somewhat low for a clipped device.
//
// Fit: each remaining pulse gives a step Δ_k = w_k − w_{k−1} at w_{k−1}. The range
// [w_min, w_max] is the observed one. For each direction the node values v of the
// piecewise-linear step factor of piecewise_step (hw_models/devices/piecewise_step.h) solve the
// least-squares problem
//   min Σ_k (|Δ_k| − Σ_j h_j(w_{k−1}) v_j)² + λ Σ_j (v_{j+1} − v_j)²
// (h_j the hat functions of the m equally spaced nodes; the small smoothness term λ keeps
// nodes without data determined by their neighbours). dw_min is the mean of the fitted up and
// down steps at w = 0 (or at the middle of the range if 0 is outside it) and the nodes are
// divided by it. dw_min_std (multiplicative cycle-to-cycle noise, Δ = m·(1 + σξ) for the fitted
// step m) is σ = sqrt(Σ_k (Δ_k − m_k)² / Σ_k m_k²): weighting by the step size keeps the tiny
// steps next to a soft bound, whose relative error is all rounding and fit error, from
// dominating the estimate.
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
  int n_up = 0, n_down = 0;  // pulses fitted
  int n_saturated = 0;       // pulses set aside at a reached bound
};

// Throws ConfigError when w never changes or a direction has fewer than 2 unsaturated pulses.
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
