// SPDX-License-Identifier: MIT
// What a window of a tile's lines saw during one operation, for the timed trace's pulse-level
// view (`trace.lines`): the pulse trains the window's rows and columns carried in a stochastic
// update, the signed pulses each window cell received, and the converter values of each read
// pass. The tile, its scheme and its periphery fill it only while a probe is set
// (Tile::set_line_probe), and only for the window, so the cost scales with the window, not the
// array; without a probe nothing of this runs.
#pragma once

#include <cstdint>
#include <vector>

#include "hw_models/core/types.h"

namespace xb::hw {

// Rows [r0, r1) and columns [c0, c1) of a tile, clipped to its size.
struct LineWindow {
  Index r0 = 0, r1 = 0, c0 = 0, c1 = 0;
  Index rows() const { return r1 - r0; }
  Index cols() const { return c1 - c0; }
};

// One rank-1 stochastic update (one sample, stochastic_pulse.h): BL slots; a bit per slot and
// line, 1 where the line carries a pulse. A pulse on row i meets one on column j in the same
// slot (a coincidence) and moves the cell by one step of sign row_sign[i]·col_sign[j] (+1
// raises W).
struct PulseTrains {
  int bl = 0;
  std::vector<uint8_t> row_bits;  // rows() x bl, row-major
  std::vector<uint8_t> col_bits;  // cols() x bl
  std::vector<int8_t> row_sign, col_sign;
};

// One read pass (a sample, or a bound-management re-read of it): the window's input lines as
// the DAC drove them and its output lines as the ADC returned them, in LSB codes where the
// converter quantises and as analog values where it does not (perfect periphery, res <= 0).
// The read's output for that sample is adc · LSB · scale (scale: noise and bound management).
struct ConversionPass {
  uint32_t sample = 0;
  double scale = 1;
  std::vector<double> dac, adc;
};

struct LineProbe {
  LineWindow window;
  // The last operation's record; the tile clears it when an operation starts.
  std::vector<PulseTrains> trains;      // stochastic updates, one per sample, in order
  std::vector<int32_t> pulses;          // rows() x cols(): signed pulses per cell, summed
  std::vector<ConversionPass> passes;   // reads, in the order the passes ran
  bool transposed = false;              // a backward read: inputs are rows, outputs columns

  void clear() {
    trains.clear();
    passes.clear();
    pulses.assign(std::size_t(window.rows() * window.cols()), 0);
  }
};

}  // namespace xb::hw
