// SPDX-License-Identifier: MIT
// The schedule (schedule.h) against hand-computed timelines: sequential adds latencies up,
// tile_parallel overlaps the updates of different tiles, layer_pipelined overlaps a read chain
// pass by pass (a two-stage pipeline: τ1 + τ2 + (B − 1)·max(τ1, τ2)).
#include <gtest/gtest.h>

#include "hw_models/timing/schedule.h"

#include <map>

namespace xb::timing {
namespace {

using hw::TileOp;

// One training step of a two-layer network: forward 0, 1; backward 1; updates 1, 0. Reads of
// B passes at tau0 / tau1 cycles per pass, updates of u0 / u1 cycles. Returns the makespan.
uint64_t step(Schedule& s, uint64_t B, uint64_t tau0, uint64_t tau1, uint64_t u0, uint64_t u1) {
  s.place(0, -1, TileOp::forward, B * tau0, B);
  s.place(1, -1, TileOp::forward, B * tau1, B);
  s.place(1, -1, TileOp::backward, B * tau1, B);
  s.place(1, -1, TileOp::update, u1, 0);
  s.place(0, -1, TileOp::update, u0, 0);
  return s.makespan();
}

TEST(Schedule, SequentialAddsEveryLatency) {
  Schedule s(ScheduleKind::sequential);
  EXPECT_EQ(step(s, 8, 15, 13, 400, 300), 8 * 15 + 2 * 8 * 13 + 700);
  const Slot last = s.place(1, -1, TileOp::forward, 10, 1);
  EXPECT_EQ(last.start, 8u * 15 + 2 * 8 * 13 + 700);
  EXPECT_EQ(last.end, last.start + 10);
}

TEST(Schedule, TileParallelOverlapsTheUpdatesOfDifferentTiles) {
  Schedule s(ScheduleKind::tile_parallel);
  const uint64_t reads = 8 * 15 + 2 * 8 * 13;
  EXPECT_EQ(step(s, 8, 15, 13, 400, 300), reads + 400);
  // The next step's first read waits for its own tile's update only (tile 0: reads + 400) and
  // for the last read; tile 1's forward then waits for tile 0's.
  const Slot f0 = s.place(0, -1, TileOp::forward, 8 * 15, 8);
  EXPECT_EQ(f0.start, reads + 400);
  // A refresh of tile 1 waits for its tile only (the update ended at reads + 300) but issues in
  // program order, so not before f0.
  const Slot r1 = s.place(1, -1, TileOp::refresh, 50, 0);
  EXPECT_EQ(r1.start, f0.start);
}

TEST(Schedule, LayerPipelinedOverlapsAReadChainPassByPass) {
  for (const auto& [tau0, tau1] : {std::pair<uint64_t, uint64_t>{15, 13}, {13, 15}, {7, 7}}) {
    Schedule s(ScheduleKind::layer_pipelined);
    const uint64_t B = 8;
    const Slot a = s.place(0, -1, TileOp::forward, B * tau0, B);
    const Slot b = s.place(1, -1, TileOp::forward, B * tau1, B);
    EXPECT_EQ(a.end, B * tau0);
    EXPECT_EQ(b.start, tau0);  // after the first sample of layer 0
    EXPECT_EQ(b.end, tau0 + tau1 + (B - 1) * std::max(tau0, tau1)) << tau0 << " " << tau1;
    // The saving against the sequential schedule: (B − 1)·min(τ0, τ1).
    EXPECT_EQ(B * (tau0 + tau1) - b.end, (B - 1) * std::min(tau0, tau1));
    // A read of the same tile (the top layer's backward) waits for the whole forward.
    const Slot c = s.place(1, -1, TileOp::backward, B * tau1, B);
    EXPECT_EQ(c.start, b.end);
    // A chain of different pass counts (another batch) is not pipelined.
    const Slot d = s.place(0, -1, TileOp::backward, 3 * tau0, 3);
    EXPECT_EQ(d.start, c.end);
  }
}

// A layer split over two arrays (tiles 0 and 1, group 0) feeding a layer of one (tile 2,
// group 1): the split read's tiles work at once, and the next layer waits for both.
TEST(Schedule, TilesOfASplitLayerReadAtOnce) {
  std::map<ScheduleKind, uint64_t> end;
  for (ScheduleKind k : {ScheduleKind::sequential, ScheduleKind::tile_parallel,
                         ScheduleKind::layer_pipelined}) {
    Schedule s(k);
    const Slot a = s.place(0, 0, TileOp::forward, 8 * 15, 8);
    const Slot b = s.place(1, 0, TileOp::forward, 8 * 15, 8);
    const Slot c = s.place(2, 1, TileOp::forward, 8 * 13, 8);
    if (k != ScheduleKind::sequential) EXPECT_EQ(b.start, a.start);
    end[k] = c.end;
    // The top layer's backward read (the same tile, the other kind) starts a new group and
    // waits for the whole forward; the split layer's backward reads then read at once again.
    const Slot d = s.place(2, 1, TileOp::backward, 8 * 13, 8);
    EXPECT_EQ(d.start, c.end);
    const Slot e = s.place(0, 0, TileOp::backward, 8 * 15, 8);
    const Slot f = s.place(1, 0, TileOp::backward, 8 * 15, 8);
    if (k != ScheduleKind::sequential) EXPECT_EQ(e.start, f.start);
  }
  EXPECT_EQ(end[ScheduleKind::sequential], 2u * 120 + 104);
  EXPECT_EQ(end[ScheduleKind::tile_parallel], 120u + 104);
  EXPECT_EQ(end[ScheduleKind::layer_pipelined], 15u + 13 + 7 * 15);
}

TEST(Schedule, SchedulesNeverStartBeforeTheOperationIssuedBefore) {
  for (ScheduleKind k : {ScheduleKind::sequential, ScheduleKind::tile_parallel,
                         ScheduleKind::layer_pipelined}) {
    Schedule s(k);
    uint64_t last = 0;
    for (int i = 0; i < 50; ++i) {
      const TileOp op = i % 5 == 4 ? TileOp::update : (i % 2 ? TileOp::forward : TileOp::backward);
      const Slot sl = s.place(std::size_t(i % 3), -1, op, uint64_t(5 + i % 7), op == TileOp::update ? 0 : 4);
      EXPECT_GE(sl.start, last);
      EXPECT_EQ(sl.end - sl.start >= uint64_t(5 + i % 7), true);
      EXPECT_LE(sl.end, s.makespan());
      last = sl.start;
    }
  }
}

}  // namespace
}  // namespace xb::timing
