// SPDX-License-Identifier: MIT
// A small VCD writer for the timed-mode trace. SystemC's own sc_trace_file cannot be paused or
// started late, so a start/stop window (Verilator's advice for large traces: only write inside
// the window) and a per-signal selection are easier with our own writer; it also
// writes only value changes, at the times a tile process publishes them.
//
// Names are dotted ("top.layer0.tile.pulses_up") and become nested $scope modules. Integers
// are 64-bit wires, bits 1-bit wires (a line's pulses), doubles `real` (GTKWave draws them as
// analog). The time unit is explicit.
#pragma once

#include <cstdint>
#include <fstream>
#include <string>
#include <vector>

namespace xb::sc {

class VcdWriter {
 public:
  // `unit` is the time unit ("ns"); times passed to sample() are counts of it. Only changes at
  // times in [start, stop) are written (stop = 0: no end); values at `start` are dumped in full.
  VcdWriter(std::string path, std::string unit, uint64_t start, uint64_t stop);
  ~VcdWriter();

  // Declarations (before the first sample). Returns the signal's handle.
  int add_integer(const std::string& dotted_name);
  int add_real(const std::string& dotted_name);
  int add_bit(const std::string& dotted_name);  // set(id, 0 or 1)

  void set(int id, uint64_t v);
  void set(int id, double v);
  // Publishes the values set since the last call as of time t (non-decreasing).
  void sample(uint64_t t);
  // Whether time t is inside the window (callers skip costly values outside it).
  bool active(uint64_t t) const { return t >= start_ && (stop_ == 0 || t < stop_); }
  void comment(const std::string& text) { comments_.push_back(text); }
  void close();

 private:
  struct Var {
    std::string name, code;
    bool real = false;
    bool bit = false;
    uint64_t iv = 0;
    double rv = 0;
    bool dirty = true;
  };
  void write_header();
  void write_value(const Var& v);
  void check_stream();

  std::string path_, unit_;
  uint64_t start_, stop_;
  std::ofstream out_;
  std::vector<Var> vars_;
  std::vector<std::string> comments_;
  bool header_ = false, dumped_ = false, closed_ = false;
  uint64_t last_t_ = 0;
  bool have_t_ = false;
};

}  // namespace xb::sc
