// SPDX-License-Identifier: MIT
// Conformance of every registered update scheme (hw::scheme_registry(); a new scheme is tested
// as soon as it has its line in SCHEMES.def): the scheme belongs to its tile (a tile copy
// carries an independent copy of the scheme's state), forks are reproducible, results do not
// depend on the thread count, the reported cost is consistent with what was written, nothing
// is written for a zero request, and on a noise-free device every scheme realises a change of
// whole device steps without bias.
#include <gtest/gtest.h>

#include <cmath>

#include "hw_models/core/parallel.h"
#include "hw_models/update/update_scheme.h"
#include "tests/hw_models/crossbar/tile_test_util.h"

namespace xb {
namespace {

using hw::Tile;
using hw::UpdateReport;
using hw::UpdateRequest;

// 2^-6: whole steps are exact in float, so the deterministic schemes' step counts are exact.
constexpr double kDwMin = 0.015625;

Tile make_tile(const std::string& scheme, Index rows = 6, Index cols = 9) {
  Config cfg = Config::from_string("scheme: {type: " + scheme + "}\n", "test");
  // A noisy device, so that every source of randomness is exercised.
  auto dev = test::device_from_yaml("constant_step", "dw_min: 0.015625");
  if (!dev) dev = test::ideal_device(kDwMin);
  Tile t(hw::TileParams{}, test::perfect(), dev, rows, cols, 5, 0,
         hw::scheme_registry().create(Scope(cfg, "scheme")));
  t.set_weights(test::random_matrix(rows, cols, 1, 0.2));
  return t;
}

// A rank-1 batch request, ΔW = −lr·D·Xᵀ, of a few device steps per weight.
struct Request {
  BatchMatrix x = test::random_batch(9, 3, 2), d = test::random_batch(6, 3, 3);
  UpdateRequest get() const {
    UpdateRequest r;
    r.x = &x;
    r.d = &d;
    r.lr = 0.05;
    return r;
  }
};

class EveryScheme : public ::testing::TestWithParam<std::string> {};

TEST_P(EveryScheme, TileCopiesOwnIndependentSchemeState) {
  const Request q;
  Tile a = make_tile(GetParam());
  a.update(q.get());  // the scheme may now hold state (an accumulator, counters)
  Tile b = a;         // a copy: same devices, same streams, its own copy of the scheme
  const UpdateReport ra = a.update(q.get());
  a.update(q.get());  // moves a further; b must not see it
  const UpdateReport rb = b.update(q.get());
  EXPECT_EQ(ra.realised, rb.realised);
  EXPECT_EQ(ra.pulses_up, rb.pulses_up);
  EXPECT_EQ(ra.pulses_down, rb.pulses_down);
  EXPECT_EQ(ra.write_slots, rb.write_slots);
  EXPECT_NE(&a.scheme(), &b.scheme());
}

TEST_P(EveryScheme, ForksAreReproducible) {
  const Request q;
  const Tile base = make_tile(GetParam());
  Tile f1 = base.fork(3), f2 = base.fork(3);
  EXPECT_EQ(f1.update(q.get()).realised, f2.update(q.get()).realised);
  EXPECT_EQ(base.weights(), make_tile(GetParam()).weights());  // the parent is untouched
}

TEST_P(EveryScheme, SameResultOnOneAndTwoThreads) {
  const Request q;
  auto run = [&](int threads) {
    set_threads(threads);
    Tile t = make_tile(GetParam(), 300, 9);  // enough rows for several row blocks
    BatchMatrix d = test::random_batch(300, 3, 4);
    UpdateRequest r = q.get();
    r.d = &d;
    const UpdateReport rep = t.update(r);
    set_threads(1);
    return std::make_pair(rep.realised, rep.pulses_up + rep.pulses_down);
  };
  EXPECT_EQ(run(1), run(2));
}

TEST_P(EveryScheme, CostMatchesWhatWasWritten) {
  const Request q;
  Tile t = make_tile(GetParam());
  const UpdateReport rep = t.update(q.get());
  EXPECT_EQ(rep.intended.rows(), 6);
  EXPECT_EQ(rep.realised.cols(), 9);
  EXPECT_TRUE(rep.realised.allFinite());
  if (rep.pulses_up + rep.pulses_down > 0) {
    EXPECT_GT(rep.write_slots, 0u);
  } else {
    // Only a scheme that reprograms instead of pulsing may change weights without pulses.
    EXPECT_TRUE(rep.write_slots > 0 || rep.realised.isZero());
  }
}

TEST_P(EveryScheme, ZeroRequestWritesNothing) {
  Tile t = make_tile(GetParam());
  const Matrix before = t.weights();
  const Matrix zero = Matrix::Zero(6, 9);
  UpdateRequest r;
  r.dw = &zero;
  const UpdateReport rep = t.update(r);
  EXPECT_EQ(rep.pulses_up + rep.pulses_down, 0u);
  EXPECT_EQ(t.weights(), before);
}

// On a noise-free constant-step device a change of whole steps is realised without bias:
// the mean over forks is within 5 standard errors of the intended change (exactly equal for
// deterministic schemes). A transfer scheme writes its fast array exactly (fast_update: ideal)
// and reads all of it at the first transfer, so its first update carries the whole change.
TEST_P(EveryScheme, WholeStepsAreRealisedWithoutBias) {
  const bool transfer = GetParam().find("transfer") != std::string::npos;
  Config cfg = Config::from_string(
      "scheme: {type: " + GetParam() +
          (transfer ? ", fast_update: ideal, n_reads_per_transfer: 4" : "") + "}\n",
      "test");
  auto dev = test::device_from_yaml("constant_step",
                                    "dw_min: 0.015625, dw_min_dtod: 0, dw_min_std: 0, up_down: 0, "
                                    "up_down_dtod: 0, w_min: -1, w_max: 1, w_min_dtod: 0, "
                                    "w_max_dtod: 0");
  if (!dev) dev = test::ideal_device(kDwMin);
  const Tile base(hw::TileParams{}, test::perfect(), dev, 3, 4, 5, 0,
                  hw::scheme_registry().create(Scope(cfg, "scheme")));
  Matrix dw(3, 4);
  dw << 1, -2, 3, 0, -1, 4, -3, 2, 0, 1, -1, 5;
  dw *= Scalar(kDwMin);
  UpdateRequest r;
  r.dw = &dw;
  const int forks = 200;
  MatrixD sum = MatrixD::Zero(3, 4), sq = sum;
  for (int k = 0; k < forks; ++k) {
    Tile f = base.fork(uint32_t(k));
    const MatrixD real = f.update(r).realised.cast<double>();
    sum += real;
    sq += real.cwiseProduct(real);
  }
  const MatrixD mean = sum / forks;
  for (Index i = 0; i < 3; ++i)
    for (Index j = 0; j < 4; ++j) {
      const double var = std::max(0.0, sq(i, j) / forks - mean(i, j) * mean(i, j));
      const double se = std::sqrt(var / forks) + 1e-6;
      EXPECT_NEAR(mean(i, j), dw(i, j), 5 * se) << GetParam() << " (" << i << "," << j << ")";
    }
}

INSTANTIATE_TEST_SUITE_P(Schemes, EveryScheme, ::testing::ValuesIn(hw::scheme_registry().names()),
                         [](const ::testing::TestParamInfo<std::string>& i) { return i.param; });

}  // namespace
}  // namespace xb
