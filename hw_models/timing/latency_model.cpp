// SPDX-License-Identifier: MIT
#include "hw_models/timing/latency_model.h"

#include <cmath>

namespace xb::timing {

double op_seconds(const hw::OpCost& c, const TimingParams& t) {
  if (c.op == hw::TileOp::update) return double(c.write_slots) * t.t_pulse;
  const double conversions = std::ceil(double(c.lines_out) / double(t.adc_share));
  return double(c.read_passes) * (t.t_dac + t.t_integrate + conversions * t.t_adc);
}

uint64_t op_cycles(const hw::OpCost& c, const TimingParams& t) {
  // The 1e-9 absorbs the representation error of seconds / clock.
  return uint64_t(std::ceil(op_seconds(c, t) / t.clock - 1e-9));
}

}  // namespace xb::timing
