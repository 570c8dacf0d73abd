// SPDX-License-Identifier: MIT
// The transfer family against closed forms: Tiki-Taka v1 with ideal devices reads every line
// at every update and gives C_T = C_0 + transfer_lr·Σ_t A_t, A_t = fast_lr·Σ_{s≤t} ΔW_s; the
// choppers of c-TTv2 cancel a constant offset of A in expectation, E[H] = lr·s·(1 − (1 −
// 2p)^T)/(2p), where TTv1 writes T·lr·s; AGAD's reference cancels it exactly after a line's
// first flip. Every scheme is bit-identical across thread counts, and forks draw A's noise
// independently.
#include <gtest/gtest.h>

#include <cmath>

#include "hw_models/core/parallel.h"
#include "hw_models/update/chopped_transfer.h"
#include "hw_models/update/dynamic_transfer.h"
#include "hw_models/update/transfer.h"
#include "tests/hw_models/crossbar/tile_test_util.h"

namespace xb {
namespace {

using hw::Tile;
using hw::TileParams;

using test::scheme;

// Applies the dense ΔW.
void add(Tile& t, const Matrix& dw) {
  hw::UpdateRequest req;
  req.dw = &dw;
  t.update(req);
}

TEST(Transfer, TikiTakaV1WithIdealDevicesIsADoubleIntegrator) {
  const Index out = 5, in = 7;
  const double fast_lr = 0.5, transfer_lr = 0.3;
  Tile t(TileParams{}, test::perfect(), test::ideal_device(1e-5, -10, 10), out, in, 1, 0,
         scheme("{type: transfer, fast_update: ideal, fast_lr: 0.5, transfer_lr: 0.3, "
                "n_reads_per_transfer: 7, transfer_bl: 65536}"));
  const Matrix c0 = test::random_matrix(out, in, 1, 0.5);
  t.set_weights(c0);
  MatrixD a = MatrixD::Zero(out, in), c = c0.cast<double>();
  for (int k = 0; k < 6; ++k) {
    const Matrix dw = test::random_matrix(out, in, 10 + uint64_t(k), 0.02);
    add(t, dw);
    a += fast_lr * dw.cast<double>();
    c += transfer_lr * a;
  }
  const auto& s = dynamic_cast<const hw::TransferScheme&>(t.scheme());
  EXPECT_LT((s.fast().weights().cast<double>() - a).cwiseAbs().maxCoeff(), 1e-6);
  // Six stochastically rounded writes of at most one step (1e-5) each.
  EXPECT_LT((t.weights().cast<double>() - c).cwiseAbs().maxCoeff(), 6e-5);
}

// A holds s on every device (one update of s, then none): TTv1 writes it at every read,
// c-TTv2's choppers average it out, AGAD's reference removes it.
TEST(Transfer, ChoppersCancelAConstantOffsetOfTheFastArray) {
  const Index in = 2000;
  const int reads = 20;
  const double s = 0.01, p = 0.1;
  const Matrix offset = Matrix::Constant(1, in, Scalar(s)), zero = Matrix::Zero(1, in);
  auto run = [&](const std::string& type, double chop) {
    auto t = std::make_unique<Tile>(
        TileParams{}, test::perfect(), test::ideal_device(1e-4, -10, 10), 1, in, 3, 0,
        scheme("{type: " + type + ", fast_update: ideal, n_reads_per_transfer: 2000" +
               (type == "transfer" ? ", transfer_bl: 1000" : ", thres_scale: 1000000, in_chop_prob: " +
                                              std::to_string(chop)) +
               "}"));
    t->set_weights(zero);
    add(*t, offset);
    for (int k = 1; k < reads; ++k) add(*t, zero);
    return t;
  };
  // TTv1: C gains s at each of the reads (stochastic rounding to 1e-4 steps).
  const auto tt = run("transfer", 0);
  EXPECT_NEAR(tt->weights().mean(), reads * s, 1e-4);
  // c-TTv2: nothing written (θ huge); the buffer holds lr·s·Σ_t c_t.
  const auto ch = run("chopped_transfer", p);
  const Matrix& h = dynamic_cast<const hw::BufferedTransferScheme&>(ch->scheme()).buffer();
  const double expect = s * (1 - std::pow(1 - 2 * p, reads)) / (2 * p);
  // Σ_t c_t has a variance below reads²; the mean over 2000 lines is within 4 standard errors.
  EXPECT_NEAR(h.mean(), expect, 4 * s * reads / std::sqrt(double(in)));
  EXPECT_LT(h.mean(), 0.3 * reads * s);
  EXPECT_EQ(ch->weights().cwiseAbs().maxCoeff(), 0.0f);
  // AGAD flipping after every read: the first read enters, then the reference equals s.
  const auto ag = run("dynamic_transfer", 1.0);
  const Matrix& ha = dynamic_cast<const hw::BufferedTransferScheme&>(ag->scheme()).buffer();
  EXPECT_LT((ha.array() - Scalar(s)).abs().maxCoeff(), 1e-7f);
}

const char* kSchemes[] = {"transfer", "buffered_transfer", "chopped_transfer",
                          "dynamic_transfer"};

void train(Tile& t, int steps) {
  for (int k = 0; k < steps; ++k) {
    const BatchMatrix x = test::random_batch(t.in_size(), 3, 5 + 2 * uint64_t(k));
    const BatchMatrix d = test::random_batch(t.out_size(), 3, 6 + 2 * uint64_t(k));
    hw::UpdateRequest req;
    req.x = &x;
    req.d = &d;
    req.lr = 0.5;
    t.update(req);
  }
}

TEST(Transfer, EverySchemeIsBitIdenticalAcrossThreadsAndForksDiffer) {
  const auto dev = test::device_from_yaml("soft_bounds", "dw_min: 0.01, up_down: 0.2");
  for (const char* type : kSchemes) {
    const std::string yaml = std::string("{type: ") + type + ", n_reads_per_transfer: 8, " +
                             "transfer_lr: 5}";
    Matrix w[2];
    for (int threads : {1, 2}) {
      set_threads(threads);
      Tile t(TileParams{}, test::perfect(), dev, 70, 40, 7, 1, scheme(yaml));
      t.set_weights(test::random_matrix(70, 40, 2, 0.3));
      train(t, 8);
      w[threads - 1] = t.weights();
    }
    set_threads(1);
    EXPECT_TRUE((w[0].array() == w[1].array()).all()) << type;
    Tile t(TileParams{}, test::perfect(), dev, 30, 20, 7, 1, scheme(yaml));
    Tile f1 = t.fork(1), f2 = t.fork(2);
    train(f1, 6);
    train(f2, 6);
    const auto& a1 = dynamic_cast<const hw::TransferScheme&>(f1.scheme()).fast().weights();
    const auto& a2 = dynamic_cast<const hw::TransferScheme&>(f2.scheme()).fast().weights();
    EXPECT_FALSE((a1.array() == a2.array()).all()) << type << ": forks share A's noise";
  }
}

}  // namespace
}  // namespace xb
