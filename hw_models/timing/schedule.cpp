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

Slot Schedule::place(std::size_t tile, int group, hw::TileOp op, uint64_t cycles,
                     uint64_t passes) {
  if (tile >= tile_free_.size()) tile_free_.resize(tile + 1, 0);
  const bool read = op == hw::TileOp::forward || op == hw::TileOp::backward;
  const double tau = passes ? double(cycles) / double(passes) : 0.0;
  const bool pipelining = kind_ == ScheduleKind::layer_pipelined;
  Slot s;
  std::vector<double> pass_end;
  if (kind_ == ScheduleKind::sequential) {
    s.start = makespan_;
  } else if (read) {
    // A read of the same kind by another tile of the current group is part of its split read
    // and depends on what the group depends on; any other read starts a new group after it.
    const bool sibling = prev_read_ && group >= 0 && group == current_.group &&
                         op == current_.op &&
                         std::find(current_.tiles.begin(), current_.tiles.end(), tile) ==
                             current_.tiles.end();
    if (!sibling) {
      before_ = prev_read_ ? std::move(current_) : ReadGroup{};
      const uint64_t after = before_.tiles.empty() ? last_read_end_ : before_.end;
      current_ = ReadGroup{group, op, {}, {}, 0, after};
    }
    uint64_t ready = std::max(tile_free_[tile], issued_);
    const bool pipelined = pipelining && passes > 0 &&
                           before_.pass_end.size() == std::size_t(passes) &&
                           std::find(before_.tiles.begin(), before_.tiles.end(), tile) ==
                               before_.tiles.end();
    if (pipelined) {
      // Pass k starts when this tile has finished pass k − 1 and the group before pass k.
      s.start = std::max(ready, uint64_t(std::ceil(before_.pass_end[0] - 1e-9)));
      double f = double(s.start);
      for (uint64_t k = 0; k < passes; ++k) {
        f = std::max(f, before_.pass_end[k]) + tau;
        pass_end.push_back(f);
      }
      s.end = std::max(s.start + cycles, uint64_t(std::ceil(f - 1e-9)));
    } else {
      s.start = std::max(ready, current_.after);
    }
  } else {
    // A write waits for the last read (its x and d); a refresh or a transfer only for its tile.
    s.start = std::max(tile_free_[tile], issued_);
    if (op == hw::TileOp::update) s.start = std::max(s.start, last_read_end_);
  }
  if (pass_end.empty()) {
    s.end = s.start + cycles;
    if (pipelining && read)  // what a pipelined read after this group needs
      for (uint64_t k = 0; k < passes; ++k)
        pass_end.push_back(double(s.start) + tau * double(k + 1));
  }
  if (read && kind_ != ScheduleKind::sequential) {
    current_.tiles.push_back(tile);
    current_.end = std::max(current_.end, s.end);
    if (current_.tiles.size() == 1)
      current_.pass_end = std::move(pass_end);
    else if (current_.pass_end.size() == pass_end.size())
      for (std::size_t k = 0; k < pass_end.size(); ++k)
        current_.pass_end[k] = std::max(current_.pass_end[k], pass_end[k]);
    else
      current_.pass_end.clear();  // siblings of different pass counts: no pipelining after them
  }
  tile_free_[tile] = s.end;
  makespan_ = std::max(makespan_, s.end);
  issued_ = s.start;
  if (read) last_read_end_ = std::max(last_read_end_, s.end);
  prev_read_ = read;
  return s;
}

}  // namespace xb::timing
