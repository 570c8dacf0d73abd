// SPDX-License-Identifier: MIT
// Standard normals for hot paths (read noise on every output of every read): Box–Muller on
// 32-bit Philox outputs, with log, sqrt, sin and cos evaluated as Eigen array expressions, so
// they run in SIMD registers (Rng::fill_normal calls the scalar libm functions per pair).
// Counter-based like every draw here: the numbers depend only on the Rng's key and position.
#pragma once

#include "hw_models/core/rng.h"
#include "hw_models/core/types.h"

namespace xb {

void fill_normal_fast(Rng& rng, Scalar* out, Index n);

// n normals for each of `count` lanes of one event: out[k·n .. k·n + n) holds exactly what
// fill_normal_fast(base.at(event, lanes[k]), ·, n) gives. Short lanes (a read's outputs per
// sample) share Philox kernel calls and SIMD packets, instead of padding each lane's own.
void fill_normal_lanes(const Rng& base, uint64_t event, const uint32_t* lanes, Index count,
                       Index n, Scalar* out);

}  // namespace xb
