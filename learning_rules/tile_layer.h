// SPDX-License-Identifier: MIT
// A network layer on crossbar tiles (hw::Tile, each written through its own update scheme):
// the adapter between the network's double, sample-per-row matrices and the tiles' float,
// sample-per-column batches. Biases stay digital (they live in the periphery).
//
// A layer larger than one physical array (`tile.max_rows` x `tile.max_cols`, aihwkit's
// max_output_size x max_input_size) is split over a grid of tiles: tile (i, j) holds rows
// [i·max_rows, ...) and columns [j·max_cols, ...) of W, with its own devices, periphery and
// streams, its own ledger row, SystemC process and trace scope ("layer0.t1_0"). A forward read
// adds the row blocks' partial sums over the column blocks digitally, in double after each
// tile's ADC, so every partial sum carries its own output noise, quantisation and saturation;
// a backward read adds them over the row blocks. An update writes each tile its own slices of
// x and d (or its block of ΔW). With one tile (the default: no limit) nothing is split.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "hw_models/crossbar/tile.h"
#include "learning_rules/network.h"

namespace xb::rules {

class TileLayer : public AnalogLayer {
 public:
  // Builds tile k of the grid (k = i·grid_cols + j) for `rows` x `cols` cross-points.
  using TileFactory = std::function<hw::Tile(Index rows, Index cols, uint32_t k)>;
  // An out x in layer on tiles of at most max_rows x max_cols (0: no limit).
  TileLayer(Index out, Index in, Index max_rows, Index max_cols, const TileFactory& make);
  explicit TileLayer(hw::Tile tile);  // the whole layer on one tile

  MatrixD forward(const MatrixD& x) override;
  MatrixD backward(const MatrixD& d) override;
  MatrixD weights() const override;
  void set_weights(const MatrixD& w) override;
  MatrixD update(const MatrixD& dw, const MatrixD& x, const MatrixD& d, double lr,
                 double& pulses) override;

  // The grid, row-major: tiles()[i·grid_cols() + j].
  std::vector<hw::Tile>& tiles() { return tiles_; }
  const std::vector<hw::Tile>& tiles() const { return tiles_; }
  Index grid_rows() const { return Index(row0_.size()) - 1; }
  Index grid_cols() const { return Index(col0_.size()) - 1; }
  // Tile k's name under the layer's ("layer0" for a single tile, "layer0.t1_0" in a grid).
  std::string tile_name(const std::string& layer, std::size_t k) const;
  // Device k's states of every tile, assembled into the layer's out x in shape.
  Array device_states(int k) const;
  void advance(double batches, double seconds);
  void set_eval_reads(bool eval, uint64_t key = 0);
  void save_state(StateMap& s, const std::string& prefix) const;
  void load_state(const StateMap& s, const std::string& prefix);

 private:
  std::string grid_position(std::size_t k) const;  // "t1_0": tile k's row and column block
  std::vector<hw::Tile> tiles_;
  std::vector<Index> row0_, col0_;  // block boundaries: block i is [row0_[i], row0_[i + 1])
};

}  // namespace xb::rules
