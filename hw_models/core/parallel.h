// SPDX-License-Identifier: MIT
// Row-parallel helper. One global thread count (set from `--threads`); work is split into
// fixed row blocks that the threads claim one at a time. Kernels that use it draw the noise of
// row r from rng.at(event, r) (or draw it serially before the parallel section), so results
// are bit-identical for any thread count: threads change only who computes a row, never what.
#pragma once

#include <functional>

#include "hw_models/core/types.h"

namespace xb {

// Number of threads used by parallel_rows (>= 1). Default 1.
void set_threads(int n);
int threads();

// Calls f(row0, row1) once per block [k·block, min((k+1)·block, n)) covering [0, n); the threads
// claim blocks one at a time until none is left (dynamic balance). The blocks do not depend on the thread count, so even a
// kernel whose floating-point summation order depends on its block shape (Eigen's GEMM
// blocking) gives bit-identical results on any number of threads. f must only write the rows
// it was given.
void parallel_rows(Index n, const std::function<void(Index, Index)>& f, Index block = 64);

}  // namespace xb
