// SPDX-License-Identifier: MIT
#include "hw_models/timing/schedule.h"

#include <algorithm>
#include <cmath>

namespace xb::timing {

ScheduleKind schedule_kind(const std::string& name) {
  if (name == "tile_parallel") return ScheduleKind::tile_parallel;
  if (name == "layer_pipelined") return ScheduleKind::layer_pipelined;
  return ScheduleKind::sequential;
}

Slot Schedule::place(std::size_t tile, hw::TileOp op, uint64_t cycles, uint64_t passes) {
  if (tile >= tile_free_.size()) tile_free_.resize(tile + 1, 0);
  const bool read = op == hw::TileOp::forward || op == hw::TileOp::backward;
  const double tau = passes ? double(cycles) / double(passes) : 0.0;
  Slot s;
  std::vector<double> pass_end;
  if (kind_ == ScheduleKind::sequential) {
    s.start = makespan_;
  } else {
    uint64_t ready = std::max(tile_free_[tile], issued_);
    const bool pipelined = kind_ == ScheduleKind::layer_pipelined && read && prev_read_ &&
                           prev_tile_ != tile && passes > 0 &&
                           prev_pass_end_.size() == std::size_t(passes);
    if (pipelined) {
      // Pass k starts when this tile has finished pass k − 1 and the previous tile pass k.
      s.start = std::max(ready, uint64_t(std::ceil(prev_pass_end_[0] - 1e-9)));
      double f = double(s.start);
      for (uint64_t k = 0; k < passes; ++k) {
        f = std::max(f, prev_pass_end_[k]) + tau;
        pass_end.push_back(f);
      }
      s.end = std::max(s.start + cycles, uint64_t(std::ceil(f - 1e-9)));
    } else {
      // Reads and writes wait for the last read (their inputs); a refresh or a transfer only
      // for its own tile.
      if (read || op == hw::TileOp::update) ready = std::max(ready, last_read_end_);
      s.start = ready;
    }
  }
  if (pass_end.empty()) {
    s.end = s.start + cycles;
    if (kind_ == ScheduleKind::layer_pipelined)  // what a pipelined read after this one needs
      for (uint64_t k = 0; read && k < passes; ++k)
        pass_end.push_back(double(s.start) + tau * double(k + 1));
  }
  tile_free_[tile] = s.end;
  makespan_ = std::max(makespan_, s.end);
  issued_ = s.start;
  if (read) last_read_end_ = std::max(last_read_end_, s.end);
  prev_read_ = read;
  prev_tile_ = tile;
  prev_pass_end_ = std::move(pass_end);
  return s;
}

}  // namespace xb::timing
