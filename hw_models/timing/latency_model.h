// SPDX-License-Identifier: MIT
// Latency of one tile operation in controller clock cycles, from the cost the tile reported
// (OpCost, hw_models/crossbar/timing_hook.h) and the `timing:` section. A pure function: the
// SystemC shell only waits for what it returns, and tests check it without SystemC.
//
//   read (forward or backward), per pass:  t_dac + t_integrate + ceil(lines_out / adc_share)·t_adc
//     adc_share output lines share one ADC and are converted in turn; passes (samples and
//     bound-management re-reads) run one after the other.
//   update:  write_slots · t_pulse; the scheme states its slots (stochastic_pulse: BL per
//     sample, one coincidence train; pulse_count, mixed_precision: rows in turn with the
//     columns of a row in parallel; ideal: one programming slot per row).
// The total is rounded up to whole cycles, so every time is a multiple of `clock`.
#pragma once

#include <cstdint>

#include "hw_models/crossbar/timing_hook.h"
#include "hw_models/timing/timing_params.h"

namespace xb::timing {

// Seconds one operation takes, before rounding to cycles.
double op_seconds(const hw::OpCost& cost, const TimingParams& t);
// Whole clock cycles one operation takes.
uint64_t op_cycles(const hw::OpCost& cost, const TimingParams& t);

}  // namespace xb::timing
