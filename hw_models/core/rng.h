// SPDX-License-Identifier: MIT
// Counter-based random numbers (Philox4x32-10, Random123). A stream is keyed by
// (master seed, stream kind, unit) and positioned by (event, lane): the numbers for row r of
// tile t at update k are a pure function of (seed, cycle, t, k, r), so results depend neither
// on the thread count nor on the order in which tiles or rows are processed, and a copied
// (forked) tile replays exactly unless it is given another unit or event.
//
// Rng satisfies the uniform random bit generator interface, so Boost.Random distributions
// draw from it: their algorithms are Boost's own, so they give the same numbers with every
// standard library, unlike std:: distributions (not necessarily across Boost versions).
#pragma once

#include <Random123/philox.h>

#include <cstdint>
#include <limits>

#include "hw_models/core/types.h"

namespace xb {

// SplitMix64 finaliser (Steele et al. 2014): a bijective hash of a 64-bit counter, used to
// spread (seed, stream, unit) over the Philox key and to derive fork seeds.
uint64_t mix64(uint64_t x);

// Independent stream kinds derived from one master seed (docs/cli.md, random streams).
enum class Stream : uint32_t {
  fabrication = 1,  // device-to-device variation, drawn once
  cycle = 2,        // cycle-to-cycle update noise
  data = 3,         // datasets, shuffling, minibatches
  estimator = 4,    // learning-rule noise (synthetic noise, perturbations)
  read = 5,         // read noise in the periphery
  init = 6,         // network initialisation
  fork = 7,         // re-keying of forked realisations
  eval_read = 8,    // read noise of evaluation reads (kept apart from training's reads)
};

class Rng {
 public:
  using result_type = uint32_t;
  using Philox = r123::Philox4x32;

  Rng(uint64_t seed, Stream stream, uint32_t unit = 0, uint64_t event = 0, uint32_t lane = 0);

  // Same key, another position: the stream of `lane` (e.g. a row) at `event` (e.g. an update).
  Rng at(uint64_t event, uint32_t lane = 0) const;
  // Another unit under the same seed and stream (e.g. tile id, or fork index).
  Rng unit(uint32_t u) const;

  static constexpr result_type min() { return 0; }
  static constexpr result_type max() { return std::numeric_limits<uint32_t>::max(); }
  result_type operator()();

  double uniform();  // in (0, 1)
  double normal();   // standard normal (Box–Muller on the Philox block)

  // n raw 32-bit outputs, exactly the numbers n calls of operator() would return (same state
  // afterwards); whole Philox blocks are computed four at a time in SIMD registers.
  void fill_bits(uint32_t* out, Index n);
  // The first per_lane raw outputs of each of `count` lanes at `event` (lane k's at
  // out[k·per_lane]), exactly what at(event, lanes[k]).fill_bits would give; with AVX-512 the
  // blocks of several short lanes share one SIMD kernel call.
  void fill_bits_lanes(uint64_t event, const uint32_t* lanes, Index count, Index per_lane,
                       uint32_t* out) const;
  void fill_uniform(Scalar* out, Index n);  // (0, 1)
  void fill_normal(Scalar* out, Index n);
  void fill_normal(double* out, Index n);

  uint64_t seed() const { return seed_; }

 private:
  void refill();
#if defined(__AVX512F__)
  // fill_bits_lanes for lanes shorter than one of fill_bits' kernel calls (128 words): the
  // blocks of several lanes share a call.
  void fill_short_lanes(uint64_t event, const uint32_t* lanes, Index count, Index per_lane,
                        uint32_t* out) const;
#endif
  uint64_t seed_;
  uint32_t stream_, unit_;
  uint64_t event_;
  uint32_t lane_;
  Philox::key_type key_;
  Philox::ctr_type ctr_;
  Philox::ctr_type block_;
  int used_ = 4;  // numbers of block_ already consumed
  bool has_spare_normal_ = false;
  double spare_normal_ = 0.0;
};

}  // namespace xb
