// SPDX-License-Identifier: MIT
// Array aliases shared by every kernel. Tile state is float (as in hardware and the peers);
// the theory harness uses double explicitly.
#pragma once

#include <Eigen/Core>
#include <cstdint>

namespace xb {

using Scalar = float;
using Index = Eigen::Index;

// Row-major so that one row of a tile is contiguous: rows are the unit of multithreading.
using Array = Eigen::Array<Scalar, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using ArrayD = Eigen::Array<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using Matrix = Eigen::Matrix<Scalar, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using MatrixD = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using Vector = Eigen::Matrix<Scalar, Eigen::Dynamic, 1>;
using VectorD = Eigen::VectorXd;

// Column-per-sample batches of tile reads and updates: X is in_size x B (column-major, so one
// sample is contiguous).
using BatchMatrix = Eigen::Matrix<Scalar, Eigen::Dynamic, Eigen::Dynamic>;

// Signed pulse counts per device: positive = up (potentiation), negative = down.
using PulseArray = Eigen::Array<int32_t, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

}  // namespace xb
