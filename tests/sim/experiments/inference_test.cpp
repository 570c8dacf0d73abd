// SPDX-License-Identifier: MIT
// The inference experiment against closed forms and an independent Monte Carlo of its model:
// one-shot and program-and-verify programming noise, the drift power law with every other
// noise off, global drift compensation's calibration identity, and exactness with all noise
// off. One 64 x 64 layer (a linear student) gives 4096 device pairs per chip.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <random>

#include "hw_models/core/errors.h"
#include "sim/npz.h"
#include "sim/run_folder.h"
#include "tests/sim/theory/theory_util.h"

namespace xb::sim {
namespace {

using test::run_experiment;
namespace fs = std::filesystem;

constexpr Index kN = 64;

// A weights.npz with W0 = w (64 x 64) and b0 = 0, and the config that programs it.
std::string setup(const MatrixD& w, const std::string& keys) {
  static int count = 0;
  const fs::path dir = fs::temp_directory_path() /
                       ("xb_inference_" + std::to_string(::getpid()) + "_" + std::to_string(count++));
  fs::create_directories(dir);
  Npz z;
  z.add("W0", w);
  z.add("b0", VectorD(VectorD::Zero(kN)));
  write_file_atomic((dir / "weights.npz").string(), z.serialize());
  return "task: {type: student_teacher, inputs: 64, outputs: 64, samples: 16, test_samples: 16}\n"
         "network: {hidden: [], analog: false}\n"
         "experiment: {type: inference, repeats: 1, save_weights: true, weights: " +
         (dir / "weights.npz").string() + ", " + keys + "}\n";
}

Npz read_weights(RunFolder* f) { return Npz::load(f->file("read_weights.npz")); }

struct Moments {
  double mean, var;
};
template <class A>
Moments moments(const A& a) {
  const double m = a.mean();
  return {m, (a - m).square().sum() / double(a.size() - 1)};
}

// σ_p(g) of the PCM programming-noise fit, relative to g_max (Joshi et al. 2020 polynomial).
double sigma_prog(double g) { return (0.26348 + 1.9650 * g - 1.1731 * g * g) / 25.0; }

TEST(Inference, OneShotProgrammingNoiseMatchesItsModel) {
  // W = 0.5 everywhere: g+ = 1 (w_max = 0.5), g− = 0 (clipped at 0 after the noise).
  RunFolder* f = nullptr;
  run_experiment(setup(MatrixD::Constant(kN, kN, 0.5),
                       "times: [1], drift_scale: 0, read_noise_scale: 0"),
                 &f);
  const ArrayD d = (read_weights(f).matrix("t0_W0").array() - 0.5) / 0.5;  // in units of g_max
  const double s1 = sigma_prog(1), s0 = sigma_prog(0);
  // d = ε+ − max(ε−, 0): mean −s0/√(2π), variance s1² + s0²(1/2 − 1/(2π)).
  const Moments m = moments(d);
  const double var = s1 * s1 + s0 * s0 * (0.5 - 1 / (2 * M_PI));
  EXPECT_NEAR(m.mean, -s0 / std::sqrt(2 * M_PI), 5 * std::sqrt(var / double(d.size())));
  EXPECT_NEAR(m.var, var, 5 * var * std::sqrt(2.0 / double(d.size())));
}

TEST(Inference, ProgramAndVerifyMatchesAnIndependentMonteCarlo) {
  const double tol = 0.01;
  const int n = 3;
  RunFolder* f = nullptr;
  run_experiment(setup(MatrixD::Constant(kN, kN, 0.5),
                       "times: [1], drift_scale: 0, read_noise_scale: 0, programming: verify, "
                       "n_iterations: 3, tolerance: 0.01"),
                 &f);
  const ArrayD d = (read_weights(f).matrix("t0_W0").array() - 0.5) / 0.5;
  // The model, written again: up to n writes, the first within tol kept; then clipped at 0.
  std::mt19937_64 gen(7);
  std::normal_distribution<double> normal;
  auto program = [&](double target) {
    double g = target;
    for (int k = 0; k < n; ++k) {
      g = target + sigma_prog(target) * normal(gen);
      if (std::abs(g - target) <= tol) break;
    }
    return std::max(g, 0.0) - target;
  };
  Eigen::ArrayXd ref(400000);
  for (Index i = 0; i < ref.size(); ++i) ref(i) = program(1.0) - program(0.0);
  const Moments m = moments(d), r = moments(ref);
  EXPECT_NEAR(m.mean, r.mean, 5 * std::sqrt(r.var / double(d.size())));
  // Verification narrows the spread of one write (σ_p(1) = 4.2 % of g_max).
  EXPECT_LT(std::sqrt(m.var), 0.9 * sigma_prog(1));
  // Variance of a variance estimate of a non-Gaussian sample: (μ4 − σ⁴)/n, from the reference.
  const double mu4 = (ref - r.mean).pow(4).mean();
  EXPECT_NEAR(m.var, r.var, 5 * std::sqrt((mu4 - r.var * r.var) / double(d.size())));
}

TEST(Inference, DriftFollowsThePowerLawExactlyWithTheOtherNoiseOff) {
  RunFolder* f = nullptr;
  run_experiment(setup(MatrixD::Constant(kN, kN, 0.5),
                       "times: [10, 100, 1.0e6], prog_noise_scale: 0, read_noise_scale: 0"),
                 &f);
  const Npz z = read_weights(f);
  const ArrayD w10 = z.matrix("t0_W0").array(), w100 = z.matrix("t1_W0").array(),
               w1e6 = z.matrix("t2_W0").array();
  EXPECT_TRUE((w10 == 0.5).all()) << "no drift before t0 = 20 s";
  // ν of each device from t = 100 s, then the whole law at 1e6 s.
  const ArrayD nu = -(w100 / 0.5).log() / std::log(100.0 / 20.0);
  const ArrayD expect = 0.5 * (-nu * std::log(1e6 / 20.0)).exp();
  EXPECT_LT(((w1e6 - expect) / expect).abs().maxCoeff(), 1e-12);
  // g = g_max: ν ~ |N(μ, σ)| with μ = 0.049 and σ = 0.008 (the clamps of the fit).
  const Moments m = moments(nu);
  EXPECT_NEAR(m.mean, 0.049, 5 * 0.008 / kN);
  EXPECT_NEAR(std::sqrt(m.var), 0.008, 0.1 * 0.008);
}

TEST(Inference, DriftCompensationRestoresTheCalibrationRead) {
  RunFolder* f = nullptr;
  run_experiment(setup(test::gaussian(kN, kN, 3), "times: [60, 3.0e7], prog_noise_scale: 0"),
                 &f);
  const Npz z = read_weights(f);
  const MatrixD w = test::gaussian(kN, kN, 3);
  auto calibration = [](const MatrixD& m) { return m.rowwise().sum().cwiseAbs().sum(); };
  for (const char* t : {"t0", "t1"}) {
    const MatrixD raw = z.matrix(std::string(t) + "_W0"), gdc = z.matrix(std::string(t) + "_W0_gdc");
    // Without programming noise the reference read is the trained W's; compensation scales the
    // drifted, noisy read back to it exactly on the calibration input.
    EXPECT_NEAR(calibration(gdc), calibration(w), 1e-9 * calibration(w)) << t;
    EXPECT_LT(calibration(raw), calibration(w)) << t << ": drift lowers the conductances";
  }
}

TEST(Inference, AllNoiseOffEqualsTheTrainedNetworkAtEveryTime) {
  RunFolder* f = nullptr;
  const auto s = run_experiment(
      setup(test::gaussian(kN, kN, 4),
            "prog_noise_scale: 0, drift_scale: 0, read_noise_scale: 0, times: [1, 1.0e8]"),
      &f);
  for (const auto& row : test::csv_rows(f->metrics())) {
    EXPECT_EQ(test::num(row, "test_loss"), s["trained_test_loss"].get<double>());
    EXPECT_EQ(test::num(row, "test_loss_gdc"), s["trained_test_loss"].get<double>());
  }
}

// With a `periphery:` section every read goes through it: a perfect periphery gives the
// exact reads' losses to single precision, an 4-bit ADC changes them, and drift compensation's
// calibration read goes through the same periphery.
TEST(Inference, ReadsGoThroughTheConfiguredPeriphery) {
  const std::string noise_off =
      "prog_noise_scale: 0, drift_scale: 0, read_noise_scale: 0, times: [1]";
  const MatrixD w = test::gaussian(kN, kN, 4) * 0.1;
  const auto exact = run_experiment(setup(w, noise_off));
  const auto perfect =
      run_experiment(setup(w, noise_off) + "periphery: {is_perfect: true}\n");
  const double trained = exact["trained_test_loss"].get<double>();
  EXPECT_NEAR(perfect["trained_test_loss"].get<double>(), trained, 0.0);
  RunFolder* f = nullptr;
  run_experiment(setup(w, noise_off) + "periphery: {is_perfect: true}\n", &f);
  for (const auto& row : test::csv_rows(f->metrics())) {
    EXPECT_NEAR(test::num(row, "test_loss"), trained, 1e-5 * trained);
    EXPECT_NEAR(test::num(row, "test_loss_gdc"), trained, 1e-5 * trained);
  }
  run_experiment(setup(w, noise_off) +
                     "periphery: {out_res: 0.0625, out_noise: 0, inp_res: 0, out_bound: 2}\n",
                 &f);
  for (const auto& row : test::csv_rows(f->metrics()))
    EXPECT_GT(std::abs(test::num(row, "test_loss") - trained), 1e-3 * trained);
}

TEST(Inference, TrainsInPlaceWithATrainingSection) {
  const std::string net =
      "task: {type: student_teacher, inputs: 8, outputs: 2, teacher_hidden: [8], samples: 64, "
      "test_samples: 64}\n"
      "network: {hidden: [6], analog: false}\n";
  const auto trained = run_experiment(net + "experiment: {type: train, steps: 60, lr: 0.05}\n");
  const auto s = run_experiment(net +
                                "training: {type: train, steps: 60, lr: 0.05}\n"
                                "experiment: {type: inference, repeats: 2, times: [1, 1.0e6]}\n");
  EXPECT_EQ(s["training"]["weights_sha256"], trained["weights_sha256"]);
  EXPECT_EQ(s["trained_test_loss"].get<double>(), trained["final_test_loss"].get<double>());
  EXPECT_THROW(run_experiment(net + "experiment: {type: inference}\n"), ConfigError);
  EXPECT_THROW(run_experiment(net + "training: {type: delta_loss}\n"
                                    "experiment: {type: inference}\n"),
               ConfigError);
}

}  // namespace
}  // namespace xb::sim
