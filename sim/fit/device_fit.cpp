// SPDX-License-Identifier: MIT
#include "sim/fit/device_fit.h"

#include <Eigen/Cholesky>
#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "hw_models/core/config.h"
#include "hw_models/core/errors.h"
#include "hw_models/core/types.h"
#include "hw_models/devices/device_model.h"
#include "sim/run_folder.h"

namespace xb::sim {

namespace {

constexpr std::uintmax_t kMaxTraceBytes = std::uintmax_t(256) << 20;
constexpr std::size_t kMaxLineBytes = 65536;

[[noreturn]] void fail(const std::string& where, const std::string& what) {
  throw ConfigError(where + ": " + what);
}

// A cell as quoted in a message: a runaway cell must not flood the terminal.
std::string quoted(const std::string& cell) {
  return "'" + (cell.size() <= 40 ? cell : cell.substr(0, 40) + "...") + "'";
}

// Refuses what the reader does not interpret (see the header): the byte column names the spot.
void check_characters(const std::string& line, const std::string& where) {
  if (line.size() > kMaxLineBytes)
    fail(where, "line of " + std::to_string(line.size()) + " bytes, longer than the " +
                    std::to_string(kMaxLineBytes) + " a trace row may have");
  for (std::size_t i = 0; i < line.size(); ++i) {
    const auto c = static_cast<unsigned char>(line[i]);
    const std::string at = where + ":" + std::to_string(i + 1);
    if (c == '"') fail(at, "quoted fields are not supported: write plain comma-separated values");
    if ((c < 0x20 && c != '\t') || c == 0x7f) {
      char code[8];
      std::snprintf(code, sizeof code, "0x%02x", unsigned(c));
      fail(at, std::string(c == 0 ? "NUL byte" : "control character ") + (c == 0 ? "" : code) +
                   ": a trace is plain text");
    }
  }
}

// Every cell, empty ones included (a trailing comma makes one more cell), spaces trimmed.
std::vector<std::string> split_csv(const std::string& line) {
  std::vector<std::string> cells;
  std::size_t start = 0;
  while (true) {
    const std::size_t comma = std::min(line.find(',', start), line.size());
    const std::string cell = line.substr(start, comma - start);
    const auto b = cell.find_first_not_of(" \t"), e = cell.find_last_not_of(" \t");
    cells.push_back(b == std::string::npos ? "" : cell.substr(b, e - b + 1));
    if (comma == line.size()) return cells;
    start = comma + 1;
  }
}

// A finite decimal number: strtod alone would also take hex, "inf", "nan" and "infinity".
double parse_number(const std::string& cell, const std::string& where, const std::string& key,
                    const std::string& column) {
  const bool decimal =
      !cell.empty() && cell.find_first_not_of("0123456789+-.eE") == std::string::npos;
  errno = 0;
  char* end = nullptr;
  const double v = std::strtod(cell.c_str(), &end);
  if (!decimal || *end != '\0' || errno == ERANGE || !std::isfinite(v))
    fail(where, key + " = " + quoted(cell) + column + ": must be a finite decimal number");
  return v;
}

// Hat-function weights of w on m equally spaced nodes over [lo, hi] (as piecewise_factor).
void hats(double w, double lo, double hi, int m, int& k, double& frac) {
  const double t = std::clamp((w - lo) / (hi - lo), 0.0, 1.0) * (m - 1);
  k = std::min(int(std::floor(t)), m - 2);
  frac = t - k;
}

double interpolate(const std::vector<double>& v, double w, double lo, double hi) {
  if (v.size() == 1) return v[0];
  int k;
  double frac;
  hats(w, lo, hi, int(v.size()), k, frac);
  return v[std::size_t(k)] + frac * (v[std::size_t(k) + 1] - v[std::size_t(k)]);
}

// Least-squares node values of one direction's step magnitude (see the header).
std::vector<double> fit_nodes(const std::vector<double>& at, const std::vector<double>& step,
                              double lo, double hi, int m) {
  MatrixD normal = MatrixD::Zero(m, m);
  VectorD rhs = VectorD::Zero(m);
  for (std::size_t i = 0; i < at.size(); ++i) {
    if (m == 1) {
      normal(0, 0) += 1;
      rhs(0) += step[i];
      continue;
    }
    int k;
    double f;
    hats(at[i], lo, hi, m, k, f);
    const double a = 1 - f, b = f;
    normal(k, k) += a * a, normal(k, k + 1) += a * b;
    normal(k + 1, k) += a * b, normal(k + 1, k + 1) += b * b;
    rhs(k) += a * step[i], rhs(k + 1) += b * step[i];
  }
  // Smoothness: λ Σ (v_{j+1} − v_j)², λ = 1e-6 of the mean data weight per node.
  const double lambda = 1e-6 * std::max(normal.trace(), 1.0) / m;
  for (int j = 0; j + 1 < m; ++j) {
    normal(j, j) += lambda, normal(j + 1, j + 1) += lambda;
    normal(j, j + 1) -= lambda, normal(j + 1, j) -= lambda;
  }
  const VectorD v = normal.ldlt().solve(rhs);
  std::vector<double> out(static_cast<std::size_t>(m));
  for (int j = 0; j < m; ++j) out[std::size_t(j)] = std::max(v(j), 0.0);
  return out;
}

std::string list(const std::vector<double>& v) {
  std::string s = "[";
  for (std::size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + format_number(v[i]);
  return s + "]";
}

}  // namespace

PulseTrace read_pulse_trace(const std::string& path) {
  std::error_code ec;
  const auto status = std::filesystem::status(path, ec);
  if (ec) fail(path, "cannot read the trace file (" + ec.message() + ")");
  if (std::filesystem::is_directory(status)) fail(path, "is a directory, not a trace file");
  if (!std::filesystem::is_regular_file(status)) fail(path, "not a regular file");
  const auto size = std::filesystem::file_size(path, ec);
  if (ec) fail(path, "cannot read the trace file (" + ec.message() + ")");
  if (size > kMaxTraceBytes) fail(path, "trace file larger than 256 MiB");
  std::ifstream in(path, std::ios::binary);
  if (!in) fail(path, "cannot open the trace file");
  std::string line;
  // One line: the "\r" of "\r\n" dropped, the characters checked.
  auto next_line = [&](int n) {
    if (!std::getline(in, line)) return false;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    check_characters(line, path + ":" + std::to_string(n));
    return true;
  };
  if (!next_line(1)) fail(path, "empty file: expected a CSV header");
  // A spreadsheet export may start with the UTF-8 byte order mark.
  if (line.compare(0, 3, "\xEF\xBB\xBF") == 0) line.erase(0, 3);
  const auto header = split_csv(line);
  for (std::size_t i = 0; i < header.size(); ++i) {
    const std::string col = "column " + std::to_string(i + 1);
    if (header[i].empty()) fail(path + ":1", col + " has no name");
    const auto first = std::find(header.begin(), header.begin() + long(i), header[i]);
    if (first != header.begin() + long(i))
      fail(path + ":1", col + " repeats the name " + quoted(header[i]) + " of column " +
                            std::to_string(first - header.begin() + 1));
  }
  auto column = [&](const char* name) {
    const auto it = std::find(header.begin(), header.end(), name);
    return it == header.end() ? -1 : int(it - header.begin());
  };
  int c_pulse = column("pulse"), c_w = column("w");
  const bool response = c_w < 0 && column("direction") >= 0 && column("w_mean") >= 0;
  if (response) c_pulse = column("direction"), c_w = column("w_mean");
  if (c_pulse < 0 || c_w < 0)
    fail(path + ":1", "the header must name columns pulse and w (or direction and w_mean)");
  auto named = [&](int c) { return " (column " + std::to_string(c + 1) + ")"; };
  PulseTrace t;
  int blank = 0;  // the first empty line, allowed only at the end
  for (int n = 2; next_line(n); ++n) {
    const std::string where = path + ":" + std::to_string(n);
    if (line.find_first_not_of(" \t") == std::string::npos) {
      blank = blank ? blank : n;
      continue;
    }
    if (blank) fail(path + ":" + std::to_string(blank), "empty line inside the data");
    const auto cells = split_csv(line);
    if (cells.size() != header.size())
      fail(where, "has " + std::to_string(cells.size()) + " cells, the header has " +
                      std::to_string(header.size()));
    const std::string& p = cells[std::size_t(c_pulse)];
    int pulse = 0;
    if (response) {
      if (p != "up" && p != "down")
        fail(where, "direction = " + quoted(p) + named(c_pulse) + ": must be up or down");
      pulse = t.w.empty() ? 0 : (p == "up" ? 1 : -1);  // the first row is the starting point
    } else {
      if (p != "1" && p != "+1" && p != "-1" && p != "0")
        fail(where, "pulse = " + quoted(p) + named(c_pulse) + ": must be +1, -1 or 0");
      pulse = p == "0" ? 0 : (p == "-1" ? -1 : 1);
    }
    t.pulse.push_back(pulse);
    t.w.push_back(
        parse_number(cells[std::size_t(c_w)], where, response ? "w_mean" : "w", named(c_w)));
  }
  if (in.bad()) fail(path, "read error");
  return t;
}

DeviceFit fit_piecewise_step(const PulseTrace& t, int nodes, const std::string& source) {
  if (nodes < 1 || nodes > 1000) fail("--nodes", std::to_string(nodes) + ": must be in 1..1000");
  if (t.w.size() < 2 || t.pulse.size() != t.w.size())
    fail(source, "needs at least 2 rows of data (has " + std::to_string(t.w.size()) + ")");
  DeviceFit fit;
  fit.w_min = *std::min_element(t.w.begin(), t.w.end());
  fit.w_max = *std::max_element(t.w.begin(), t.w.end());
  if (!(fit.w_max > fit.w_min))
    fail(source, "w never changes (every row has w = " + format_number(fit.w_min) +
                     "): nothing to fit");
  if (!std::isfinite(fit.w_max - fit.w_min))
    fail(source, "the range of w overflows double arithmetic: rescale the trace");
  // A bound is reached when w sits on it in more than one row (see the header).
  const bool reached_max = std::count(t.w.begin(), t.w.end(), fit.w_max) > 1;
  const bool reached_min = std::count(t.w.begin(), t.w.end(), fit.w_min) > 1;
  std::vector<double> at[2], step[2];  // [0] up, [1] down (magnitudes, signed by direction)
  for (std::size_t k = 1; k < t.w.size(); ++k) {
    if (t.pulse[k] == 0) continue;
    const bool up = t.pulse[k] > 0;
    const double bound = up ? fit.w_max : fit.w_min;
    if ((up ? reached_max : reached_min) && (t.w[k - 1] == bound || t.w[k] == bound)) {
      ++fit.n_saturated;
      continue;
    }
    at[up ? 0 : 1].push_back(t.w[k - 1]);
    step[up ? 0 : 1].push_back(t.pulse[k] * (t.w[k] - t.w[k - 1]));
  }
  fit.n_up = int(at[0].size());
  fit.n_down = int(at[1].size());
  if (fit.n_up < 2 || fit.n_down < 2)
    fail(source, "needs at least 2 up and 2 down pulses away from a reached bound (has " +
                     std::to_string(fit.n_up) + " up, " + std::to_string(fit.n_down) + " down, " +
                     std::to_string(fit.n_saturated) + " saturated)");
  std::vector<double> v[2];
  for (int d = 0; d < 2; ++d) v[d] = fit_nodes(at[d], step[d], fit.w_min, fit.w_max, nodes);
  const double ref = (fit.w_min <= 0 && fit.w_max >= 0) ? 0.0 : 0.5 * (fit.w_min + fit.w_max);
  fit.dw_min = 0.5 * (interpolate(v[0], ref, fit.w_min, fit.w_max) +
                      interpolate(v[1], ref, fit.w_min, fit.w_max));
  if (!(fit.dw_min > 0)) fail(source, "the fitted steps at w = " + format_number(ref) + " are zero");
  // σ² = Σ (Δ − m)² / Σ m², in units of dw_min so that tiny steps cannot underflow.
  double residual = 0, model = 0;
  for (int d = 0; d < 2; ++d) {
    for (std::size_t i = 0; i < at[d].size(); ++i) {
      const double m = interpolate(v[d], at[d][i], fit.w_min, fit.w_max) / fit.dw_min;
      residual += std::pow(step[d][i] / fit.dw_min - m, 2);
      model += m * m;
    }
    for (double& x : v[d]) x /= fit.dw_min;
  }
  if (!(model > 0)) fail(source, "the fitted steps are zero wherever the trace has pulses");
  fit.dw_min_std = std::sqrt(residual / model);
  fit.piecewise_up = v[0];
  fit.piecewise_down = v[1];
  bool finite = std::isfinite(fit.dw_min) && std::isfinite(fit.dw_min_std);
  for (const auto* nodes : {&fit.piecewise_up, &fit.piecewise_down})
    for (double x : *nodes) finite = finite && std::isfinite(x);
  if (!finite) fail(source, "the fit is not finite (steps too large for double arithmetic?)");
  return fit;
}

std::string device_fit_yaml(const DeviceFit& f, const std::string& source) {
  std::ostringstream y;
  y << "# piecewise_step fitted by `xbarsim fit` to " << source << " (" << f.n_up << " up, "
    << f.n_down << " down pulses, " << f.piecewise_up.size() << " nodes; " << f.n_saturated
    << " saturated pulses at a bound set aside).\n"
    << "# One trace cannot separate device-to-device spreads: every *_dtod is 0; set them from\n"
    << "# several devices' traces.\n"
    << "device:\n"
    << "  type: piecewise_step\n"
    << "  dw_min: " << format_number(f.dw_min) << "\n"
    << "  dw_min_std: " << format_number(f.dw_min_std) << "\n"
    << "  mult_noise: true\n"
    << "  up_down: 0\n"
    << "  w_min: " << format_number(f.w_min) << "\n"
    << "  w_max: " << format_number(f.w_max) << "\n"
    << "  dw_min_dtod: 0\n  up_down_dtod: 0\n  w_min_dtod: 0\n  w_max_dtod: 0\n"
    << "  piecewise_up: " << list(f.piecewise_up) << "\n"
    << "  piecewise_down: " << list(f.piecewise_down) << "\n";
  return y.str();
}

int command_fit(const FitArgs& args) {
  const DeviceFit fit = fit_piecewise_step(read_pulse_trace(args.trace), args.nodes, args.trace);
  const std::string yaml = device_fit_yaml(fit, args.trace);
  // Emit only what a run accepts: the section goes through the device's own validation.
  try {
    Config cfg = Config::from_string(yaml, "fitted device");
    hw::device_registry().create(Scope(cfg, "device"));
  } catch (const ConfigError& e) {
    fail(args.trace, std::string("the fitted device is not valid: ") + e.what());
  }
  if (!args.out.empty()) {
    write_file_atomic(args.out, yaml);
    return 0;
  }
  // A full disk or a closed pipe shows only in the stream state, after the flush.
  errno = 0;
  std::cout << yaml;
  std::cout.flush();
  if (!std::cout) {
    const std::string why = errno ? std::strerror(errno) : "the stream failed";
    fail("standard output", "write failed (" + why + ")");
  }
  return 0;
}

}  // namespace xb::sim
