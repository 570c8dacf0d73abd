// SPDX-License-Identifier: MIT
// Silicon area of a tile (`area:`), bottom-up from its array and periphery counts as NeuroSim
// and ISAAC estimate it: cells of cell_f2·F² per device, one ADC per adc_share output lines,
// one DAC per input line, a sample-and-hold per output line and a pulse driver per line. A
// tile that is read both ways (forward and backward) has converters on both sides; one only
// read forward has them on one.
//
// Defaults, and where they come from:
//   feature_size  32 nm: the node of ISAAC (Shafiee et al., ISCA 2016) and MLP+NeuroSim V3.0.
//   cell_f2       16 F²: an analog 1T1R cell of 4F x 4F (MLP+NeuroSim V3.0, Cell.cpp); a
//                 passive crossbar cell is 4 F² (NeuroSim manual).
//   adc           1200 µm²: ISAAC's 8-bit 1.28 GS/s SAR ADC at 32 nm (Table I: 8 ADCs,
//                 0.0096 mm²). The default periphery quantises outputs to 9 bits, so this is
//                 an underestimate there; set it from your converter.
//   dac           0.166 µm²: ISAAC's 1-bit DAC (Table I: 8 x 128 DACs, 0.00017 mm²), which
//                 feeds inputs bit-serially. A multi-bit DAC is larger: an assumption.
//   sample_hold   0.039 µm²: ISAAC's sample-and-hold (Table I: 8 x 128, 0.00004 mm²).
//   driver        5.7 µm²: assumed; one line's pulse driver as NeuroSim builds its switch
//                 matrices (a D flip-flop and a transmission gate, about 26 minimum
//                 transistors) with a minimum transistor of 28F x 7.6F = 212.8 F² (NeuroSim's
//                 standard-cell height and gate pitch) at 32 nm.
// Not counted: buffers, shift-and-add, routing and the digital parts of a chip.
#pragma once

#include <nlohmann/json.hpp>

#include "hw_models/core/params.h"
#include "hw_models/core/types.h"

namespace xb::timing {

struct AreaParams {
  double feature_size = 32e-9;
  double cell_f2 = 16.0;
  double adc = 1200e-12;
  double dac = 0.166e-12;
  double sample_hold = 0.039e-12;
  double driver = 5.7e-12;

  template <class F>
  void bind(F&& f) {
    f("feature_size", feature_size, "m", "technology node F (32 nm: ISAAC, MLP+NeuroSim)");
    f("cell_f2", cell_f2, "F²",
      "area of one device of a cell (16: analog 1T1R 4F x 4F, MLP+NeuroSim; 4: crossbar)");
    f("adc", adc, "m²", "one ADC (1200 µm²: ISAAC's 8-bit SAR at 32 nm)");
    f("dac", dac, "m²", "one input line's DAC (0.166 µm²: ISAAC's 1-bit DAC)");
    f("sample_hold", sample_hold, "m²", "one output line's sample-and-hold (ISAAC: 0.039 µm²)");
    f("driver", driver, "m²",
      "one line's pulse driver (5.7 µm², assumed: 26 minimum transistors at 32 nm)");
  }
  void validate(const Scope& s) const;
};

// One tile's area in m², by part.
struct TileArea {
  double array = 0, adc = 0, dac = 0, sample_hold = 0, drivers = 0;
  double total() const { return array + adc + dac + sample_hold + drivers; }
  nlohmann::ordered_json to_json_um2() const;
};

// rows x cols cross-points of `devices` devices each; `backward`: read both ways; adc_share
// output lines per ADC.
TileArea tile_area(Index rows, Index cols, int devices, bool backward, int adc_share,
                   const AreaParams& p);

}  // namespace xb::timing
