// SPDX-License-Identifier: MIT
// When each tile operation runs: the `timing.schedule` of a run, as whole clock cycles from its
// start. A pure function of the operations in program order and their latencies
// (latency_model.h), shared by both modes: functional mode ages the devices by it and timed mode
// (hw_models/sc/) makes every tile process wait exactly these intervals, so the weights never
// depend on the schedule, only the times do.
//
// The kernels always run in program order (the functional order); a schedule only says which
// of them a chip would overlap. Tiles belong to groups (a network layer: one tile, or the tiles
// of a layer split over several arrays, learning_rules/tile_layer.h); consecutive reads of one
// kind by tiles of one group are its split read, whose partial sums are added digitally. What
// an operation waits for:
//   sequential       the operation before it (one tile works at a time).
//   tile_parallel    its own tile, and its inputs: a read for the reads of the group read
//                    before it (its input is their output, or digital work on it), a write for
//                    the last read (the x and d it writes come from the reads). So the tiles of
//                    a split read work at once, the updates of a step overlap, and the next
//                    step's first read starts as soon as its tile has finished writing.
//   layer_pipelined  tile_parallel, and a read that follows the read of another group with as
//                    many passes (the next layer of a forward or backward chain) starts its pass
//                    k as soon as that group has finished pass k: the layers work on different
//                    samples of the batch at the same time (a pipeline; the passes of one
//                    operation take equal shares of its latency).
// Operations issue in program order: none starts before the one issued before it.
//
// Not modelled: bus or buffer contention, and digital work between reads (it takes no time).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "hw_models/crossbar/timing_hook.h"

namespace xb::timing {

enum class ScheduleKind { sequential, tile_parallel, layer_pipelined };

ScheduleKind schedule_kind(const std::string& name);  // name validated by TimingParams

struct Slot {
  uint64_t start = 0, end = 0;  // cycles from the start of the run; end - start >= the latency
};

class Schedule {
 public:
  explicit Schedule(ScheduleKind kind) : kind_(kind) {}
  // Places one operation of tile `tile` (its ledger index) of group `group` (-1: a group of its
  // own) that lasts `cycles` and reads `passes` samples (0 for a pure write).
  Slot place(std::size_t tile, int group, hw::TileOp op, uint64_t cycles, uint64_t passes);
  // The end of the last operation to finish: the run's length so far.
  uint64_t makespan() const { return makespan_; }

 private:
  // The reads of one group: its tiles, the ends of its passes (the latest over its tiles) and
  // its end.
  struct ReadGroup {
    int group = -1;
    hw::TileOp op = hw::TileOp::forward;
    std::vector<std::size_t> tiles;
    std::vector<double> pass_end;
    uint64_t end = 0;
    uint64_t after = 0;  // when its inputs are ready (not pipelined)
  };
  ScheduleKind kind_;
  std::vector<uint64_t> tile_free_;  // per tile, the end of its last operation
  uint64_t makespan_ = 0;
  uint64_t issued_ = 0;         // start of the operation issued last
  uint64_t last_read_end_ = 0;  // end of the last read (what a write's x and d wait for)
  bool prev_read_ = false;      // the operation issued last was a read
  ReadGroup current_;           // the read group being placed (when prev_read_)
  ReadGroup before_;            // the read group it depends on (empty: none)
};

}  // namespace xb::timing
