// SPDX-License-Identifier: MIT
// A network layer on a crossbar tile (hw::Tile, written through the tile's own update scheme):
// the adapter between the network's double, sample-per-row matrices and the tile's float,
// sample-per-column batches. Biases stay digital (they live in the periphery).
#pragma once

#include "hw_models/crossbar/tile.h"
#include "learning_rules/network.h"

namespace xb::rules {

class TileLayer : public AnalogLayer {
 public:
  explicit TileLayer(hw::Tile tile) : tile_(std::move(tile)) {}
  MatrixD forward(const MatrixD& x) override;
  MatrixD backward(const MatrixD& d) override;
  MatrixD weights() const override;
  void set_weights(const MatrixD& w) override;
  MatrixD update(const MatrixD& dw, const MatrixD& x, const MatrixD& d, double lr,
                 double& pulses) override;
  hw::Tile& tile() { return tile_; }

 private:
  hw::Tile tile_;
};

}  // namespace xb::rules
