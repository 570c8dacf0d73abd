// SPDX-License-Identifier: MIT
#include "hw_models/timing/latency_model.h"

#include <cmath>
#include <sstream>

#include "hw_models/core/errors.h"

namespace xb::timing {

double op_seconds(const hw::OpCost& c, const TimingParams& t) {
  const double write = double(c.write_slots) * t.t_pulse;
  if (c.op == hw::TileOp::update) return write;
  const double conversions = std::ceil(double(c.lines_out) / double(t.adc_share));
  const double read = double(c.read_passes) * (t.t_dac + t.t_integrate + conversions * t.t_adc);
  // A refresh or a transfer reads, then writes.
  const bool both = c.op == hw::TileOp::refresh || c.op == hw::TileOp::transfer;
  return both ? read + write : read;
}

uint64_t op_cycles(const hw::OpCost& c, const TimingParams& t) {
  const double seconds = op_seconds(c, t);
  // Refused before the conversion: past 2^64 cycles it would wrap (undefined, in practice 2^63).
  if (!(seconds <= kMaxSimulatedSeconds)) {
    const bool update = c.op == hw::TileOp::update;
    std::ostringstream os;
    os << "timing." << (update ? "t_pulse" : "t_integrate") << " = "
       << (update ? t.t_pulse : t.t_integrate) << ": one tile "
       << (update ? "update" : "read") << " would last " << seconds
       << " s, more than the 1e6 s a timed run may simulate; shorten the latencies of timing:";
    throw ConfigError(os.str());
  }
  // The 1e-9 absorbs the representation error of seconds / clock.
  return uint64_t(std::ceil(seconds / t.clock - 1e-9));
}

}  // namespace xb::timing
