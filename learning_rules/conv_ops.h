// SPDX-License-Identifier: MIT
// The data movement of convolutional layers (layout in layer_plan.h): im2col and its adjoint,
// and max / average pooling forward and backward. All are linear maps of their input (max
// pooling once its window winners are fixed), which is what the R-operator needs
// (sim/theory/hessian.cpp): the same calls carry values, errors and directions.
#pragma once

#include <vector>

#include "learning_rules/layer_plan.h"

namespace xb::rules {

// The winners of a max pooling: for every sample and output element, the input column that
// was largest (row-major, batch x out.size()).
using PoolWinners = std::vector<int32_t>;

// Input tensor (batch x in.size()) to patch rows (batch·positions x fan_in), row b·P + p.
// Padding reads as zero.
MatrixD im2col(const LayerGeometry& g, const MatrixD& x);
// The adjoint: patch-row errors back to an input tensor, overlapping patches summed.
MatrixD col2im(const LayerGeometry& g, const MatrixD& cols);

// Pools a tensor (batch x p.in.size()). Max pooling records its winners in `winners` when
// `reuse` is false, else applies the winners given (the R-operator's linearisation).
MatrixD pool_forward(const Pooling& p, const MatrixD& x, PoolWinners& winners, bool reuse);
// The adjoint: output errors back to the input tensor (to the winners, or spread evenly).
MatrixD pool_backward(const Pooling& p, const MatrixD& dy, const PoolWinners& winners);

// Reshapes rows x cols into another shape with the same elements in the same (row-major)
// order: conv output rows (b·P + p) x C are the tensor rows b x (P·C). No copy.
MatrixD reshaped(MatrixD m, Index rows, Index cols);

}  // namespace xb::rules
