// SPDX-License-Identifier: MIT
// The transfer family against closed forms: Tiki-Taka v1 with ideal devices reads every line
// at every update and gives C_T = C_0 + transfer_lr·Σ_t A_t, A_t = fast_lr·Σ_{s≤t} ΔW_s; the
// choppers of c-TTv2 cancel a constant offset of A in expectation, E[H] = lr·s·(1 − (1 −
// 2p)^T)/(2p), where TTv1 writes T·lr·s; AGAD's reference cancels it exactly after a line's
// first flip. Reads see C + gamma·A; transfer_read, step, auto_scale, auto_granularity, the
// output choppers and AGAD's tail-weighted reference against their closed forms. Every scheme
// is bit-identical across thread counts, and forks draw A's noise independently.
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

// Reads see W = C + gamma·A: weights() and a perfect read both (transfers not yet due).
TEST(Transfer, ReadsSeeTheSlowArrayPlusGammaTimesTheFastOne) {
  const Index out = 4, in = 6;
  Tile t(TileParams{}, test::perfect(), test::ideal_device(1e-5, -10, 10), out, in, 1, 0,
         scheme("{type: transfer, fast_update: ideal, gamma: 0.5, transfer_every: 100}"));
  const Matrix c0 = test::random_matrix(out, in, 1, 0.5);
  t.set_weights(c0);
  EXPECT_EQ(t.weights(), c0);  // A starts at zero
  const Matrix dw = test::random_matrix(out, in, 2, 0.1);
  add(t, dw);
  const Matrix a = dynamic_cast<const hw::TransferScheme&>(t.scheme()).fast().weights();
  EXPECT_LT((a - dw).cwiseAbs().maxCoeff(), 1e-6f);
  EXPECT_LT((t.weights() - (c0 + 0.5f * a)).cwiseAbs().maxCoeff(), 1e-6f);
  const BatchMatrix x = test::random_batch(in, 3, 4);
  BatchMatrix y;
  t.forward(x, y);
  EXPECT_LT((y - (c0 + 0.5f * a) * x).cwiseAbs().maxCoeff(), 1e-5f);
}

// A's reads through a noisy periphery spoil the double integrator of TTv1; `transfer_read:
// perfect` restores it, and `unmanaged` switches noise and bound management off.
TEST(Transfer, TransferReadChoosesThePeripheryOfTheFastArray) {
  hw::PeripheryParams noisy = test::perfect();
  noisy.is_perfect = false;
  noisy.out_noise = 0.2;
  auto run = [&](const std::string& read) {
    Tile t(TileParams{}, noisy, test::ideal_device(1e-5, -10, 10), 3, 4, 1, 0,
           scheme("{type: transfer, fast_update: ideal, n_reads_per_transfer: 4, "
                  "transfer_bl: 65536, transfer_read: " + read + "}"));
    t.set_weights(Matrix::Zero(3, 4));
    const Matrix dw = test::random_matrix(3, 4, 5, 0.05);
    add(t, dw);
    return std::pair{Matrix(t.weights()), dw};
  };
  const auto [exact, dw] = run("perfect");
  EXPECT_LT((exact - dw).cwiseAbs().maxCoeff(), 2e-5f);
  EXPECT_GT((run("tile").first - dw).cwiseAbs().maxCoeff(), 1e-2f);
  Tile u(TileParams{}, noisy, test::ideal_device(), 3, 4, 1, 0,
         scheme("{type: transfer, transfer_read: unmanaged}"));
  const auto& io = dynamic_cast<const hw::TransferScheme&>(u.scheme()).fast().periphery().params();
  EXPECT_EQ(io.noise_management, "none");
  EXPECT_EQ(io.bound_management, "none");
  EXPECT_EQ(io.out_noise, 0.2);
}

// A buffered line holding 5.5 thresholds writes 5 whole steps of `step` pulses each; a
// fractional step is rounded stochastically with the right mean.
TEST(Transfer, EachWholeStepOfTheBufferWritesStepPulses) {
  const Index in = 4000;
  const double dw = 1e-3;
  auto run = [&](double step) {
    Tile t(TileParams{}, test::perfect(), test::ideal_device(dw, -10, 10), 1, in, 1, 0,
           scheme("{type: buffered_transfer, fast_update: ideal, n_reads_per_transfer: 4000, "
                  "step: " + std::to_string(step) + "}"));
    t.set_weights(Matrix::Zero(1, in));
    add(t, Matrix::Constant(1, in, Scalar(5.5 * dw)));
    return Matrix(t.weights());
  };
  EXPECT_LT((run(1).array() - Scalar(5 * dw)).abs().maxCoeff(), 1e-7f);
  EXPECT_LT((run(2).array() - Scalar(10 * dw)).abs().maxCoeff(), 1e-7f);
  // 5 × 1.5 = 7.5 pulses: 7 or 8, mean 7.5 (standard error 0.5 / sqrt(4000)).
  const Matrix w = run(1.5);
  EXPECT_TRUE(((w.array() - Scalar(7 * dw)).abs() < 1e-7f ||
               (w.array() - Scalar(8 * dw)).abs() < 1e-7f).all());
  EXPECT_NEAR(w.mean() / dw, 7.5, 4 * 0.5 / std::sqrt(double(in)));
}

// auto_scale: A's learning rate is fast_lr·31·dw_min/(m_x·m_d) with running maxima m (first
// value as it is, then τ = (1 − auto_momentum)/batch), and the rule's rate scales the buffer.
TEST(Transfer, AutoScaleFollowsTheRunningMaximaOfXAndD) {
  const Index out = 3, in = 5;
  const double dw = 1e-3, fast_lr = 0.5, mom = 0.9, lr = 0.2;
  Tile t(TileParams{}, test::perfect(), test::ideal_device(dw, -10, 10), out, in, 1, 0,
         scheme("{type: chopped_transfer, fast_update: ideal, in_chop_prob: 0, auto_scale: true, "
                "fast_lr: 0.5, auto_momentum: 0.9, transfer_every: 2, n_reads_per_transfer: 5, "
                "thres_scale: 1000000}"));
  t.set_weights(Matrix::Zero(out, in));
  MatrixD a = MatrixD::Zero(out, in);
  double mx = 0, md = 0;
  for (int k = 0; k < 2; ++k) {
    const BatchMatrix x = test::random_batch(in, 2, 20 + uint64_t(k));
    const BatchMatrix d = test::random_batch(out, 2, 30 + uint64_t(k), 0.1 * (k + 1));
    hw::UpdateRequest req;
    req.x = &x;
    req.d = &d;
    req.lr = lr;
    t.update(req);
    const double nx = x.cwiseAbs().maxCoeff(), nd = d.cwiseAbs().maxCoeff(), tau = (1 - mom) / 2;
    mx = k == 0 ? nx : (1 - tau) * mx + tau * nx;
    md = k == 0 ? nd : (1 - tau) * md + tau * nd;
    a -= fast_lr * 31 * dw / (mx * md) * (d * x.transpose()).cast<double>();
  }
  const auto& s = dynamic_cast<const hw::BufferedTransferScheme&>(t.scheme());
  EXPECT_LT((s.fast().weights().cast<double>() - a).cwiseAbs().maxCoeff(), 1e-6);
  // One transfer (after the second update) read every column once: H = transfer_lr·lr·A.
  EXPECT_LT((s.buffer().cast<double>() - lr * a).cwiseAbs().maxCoeff(), 1e-6);
}

// auto_granularity g: θ = thres_scale·dw·g/(lines·transfer_every), here 2·dw, so a column of A
// holding 5·dw writes trunc(5/2) = 2 pulses (transfer_lr 1, no chopping).
TEST(Transfer, AutoGranularitySetsTheBufferThreshold) {
  const Index in = 10;
  const double dw = 1e-3;
  Tile t(TileParams{}, test::perfect(), test::ideal_device(dw, -10, 10), 2, in, 1, 0,
         scheme("{type: chopped_transfer, fast_update: ideal, in_chop_prob: 0, "
                "auto_granularity: 20, n_reads_per_transfer: 10}"));
  t.set_weights(Matrix::Zero(2, in));
  add(t, Matrix::Constant(2, in, Scalar(5 * dw)));
  EXPECT_LT((t.weights().array() - Scalar(2 * dw)).abs().maxCoeff(), 1e-7f);
}

// Output choppers flipping after every full pass: a constant offset s of A enters the buffer
// with alternating signs, H = s after an odd number of passes and 0 after an even one.
TEST(Transfer, OutputChoppersCancelAConstantOffsetPassByPass) {
  const Index out = 3, in = 4;
  const double s = 0.01;
  Tile t(TileParams{}, test::perfect(), test::ideal_device(1e-4, -10, 10), out, in, 1, 0,
         scheme("{type: chopped_transfer, fast_update: ideal, in_chop_prob: 0, out_chop_prob: 1,"
                " n_reads_per_transfer: 4, thres_scale: 1000000}"));
  t.set_weights(Matrix::Zero(out, in));
  add(t, Matrix::Constant(out, in, Scalar(s)));
  const auto& sch = dynamic_cast<const hw::ChoppedTransferScheme&>(t.scheme());
  EXPECT_LT((sch.buffer().array() - Scalar(s)).abs().maxCoeff(), 1e-7f);
  EXPECT_TRUE((sch.out_choppers().array() == -1).all());
  add(t, Matrix::Zero(out, in));
  EXPECT_LT(sch.buffer().cwiseAbs().maxCoeff(), 1e-7f);
  add(t, Matrix::Zero(out, in));
  EXPECT_LT((sch.buffer().array() - Scalar(s)).abs().maxCoeff(), 1e-7f);
}

// AGAD's reference is a running mean with α = min(tail_weightening / max(⌈1/p⌉, 2), 1): with
// p = 1 (a flip after every read) and tail_weightening 1, α = 1/2, the reference before read k
// is s(1 − 2^{1−k}) and the buffer after T reads is s·Σ_{k<T} (−1/2)^k = s(1 − (−1/2)^T)/1.5.
TEST(Transfer, DynamicReferenceIsTheTailWeightedRunningMean) {
  const double s = 0.01;
  Tile t(TileParams{}, test::perfect(), test::ideal_device(1e-4, -10, 10), 2, 3, 1, 0,
         scheme("{type: dynamic_transfer, fast_update: ideal, in_chop_prob: 1, "
                "tail_weightening: 1, n_reads_per_transfer: 3, thres_scale: 1000000}"));
  t.set_weights(Matrix::Zero(2, 3));
  add(t, Matrix::Constant(2, 3, Scalar(s)));
  for (int k = 1; k < 6; ++k) add(t, Matrix::Zero(2, 3));
  const auto& sch = dynamic_cast<const hw::DynamicTransferScheme&>(t.scheme());
  const double expect = s * (1 - std::pow(-0.5, 6)) / 1.5;
  EXPECT_LT((sch.buffer().array() - Scalar(expect)).abs().maxCoeff(), 1e-7f);
  EXPECT_LT((sch.reference().array() - Scalar(s * (1 - std::pow(0.5, 6)))).abs().maxCoeff(),
            1e-7f);
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
