// SPDX-License-Identifier: MIT
// The train experiment end to end through the registry: required summary keys, determinism,
// analog training on a pulsed device, the quadratic task, and NaN → NumericalError naming
// the step with the rows recorded so far kept.
#include <gtest/gtest.h>


#include "hw_models/core/config.h"
#include "hw_models/core/errors.h"
#include "hw_models/core/fast_normal.h"
#include "sim/experiment.h"
#include "tests/sim/theory/theory_util.h"

namespace xb::sim {
namespace {

using test::run_experiment;

const char* kDigital =
    "task: {type: student_teacher, inputs: 6, outputs: 2, teacher_hidden: [6], samples: 64, "
    "test_samples: 64}\n"
    "network: {hidden: [8], activation: relu, analog: false}\n"
    "rule: {type: backprop}\n"
    "experiment: {type: train, steps: 400, batch: 8, lr: 0.05, eval_every: 100}\n";

TEST(Train, DigitalBackpropLearnsAndIsDeterministic) {
  RunFolder* f = nullptr;
  const auto s = run_experiment(kDigital, &f);
  for (const char* k : {"final_train_loss", "final_test_loss", "total_pulses", "steps",
                        "weights_sha256"})
    EXPECT_TRUE(s.contains(k)) << k;
  EXPECT_EQ(s["steps"].get<int>(), 400);
  EXPECT_EQ(f->metrics().rows(), 5u);  // step 0 and every 100 steps
  const auto again = run_experiment(kDigital);
  EXPECT_EQ(s["weights_sha256"], again["weights_sha256"]);
  const auto other = run_experiment(kDigital, nullptr, 2);
  EXPECT_NE(s["weights_sha256"], other["weights_sha256"]);
}

TEST(Train, AnalogStochasticPulseTrains) {
  const std::string yaml = std::string(kDigital) +
                           "device: {type: ideal, dw_min: 0.001}\nscheme: {type: stochastic_pulse}\n";
  const auto digital = run_experiment(kDigital);
  auto analog_yaml = yaml;
  analog_yaml.replace(analog_yaml.find("analog: false"), 13, "analog: true");
  const auto s = run_experiment(analog_yaml);
  EXPECT_GT(s["total_pulses"].get<double>(), 0.0);
  // Trains (below the initial loss), though not as well as exact digital steps.
  EXPECT_LT(s["final_train_loss"].get<double>(), 0.5);
  EXPECT_GT(digital["final_train_loss"].get<double>(), 0.0);
}

TEST(Train, QuadraticWithSyntheticRule) {
  const auto s = run_experiment(
      "task: {type: quadratic, hessian_diag: [1.0, 0.5], w_star: [0, 0], w0: [1, -2]}\n"
      "rule: {type: synthetic, b: 0, sigma: 0}\n"
      "experiment: {type: train, steps: 200, lr: 0.1}\n");
  // Exact gradient descent: w_i(t) = w0_i (1 - lr h_i)^t.
  const double w1 = std::pow(0.9, 200), w2 = -2 * std::pow(0.95, 200);
  EXPECT_NEAR(s["final_train_loss"].get<double>(), 0.5 * (w1 * w1 + 0.5 * w2 * w2), 1e-12);
}

TEST(Train, DivergenceIsANumericalErrorNamingTheStep) {
  RunFolder* f = nullptr;
  std::string yaml = kDigital;
  yaml.replace(yaml.find("lr: 0.05"), 8, "lr: 1e30");
  try {
    run_experiment(yaml, &f);
    FAIL() << "no NumericalError";
  } catch (const NumericalError& e) {
    EXPECT_NE(std::string(e.what()).find("step "), std::string::npos) << e.what();
  }
  EXPECT_GE(f->metrics().rows(), 1u);  // the step-0 row was recorded
}

TEST(Train, BadKeysAreConfigErrors) {
  std::string yaml = kDigital;
  yaml.replace(yaml.find("activation: relu"), 16, "activation: relux");
  EXPECT_THROW(run_experiment(yaml), ConfigError);
}

// An analog run with every source of read noise on: periphery (default), the device's own.
std::string analog(const std::string& device_keys, const std::string& experiment_keys = "") {
  std::string y = kDigital;
  y.replace(y.find("analog: false"), 13, "analog: true");
  y.replace(y.find("eval_every: 100"), 15, "eval_every: 100" + experiment_keys);
  return y + "device: {type: constant_step, dw_min: 0.002" + device_keys +
         "}\nscheme: {type: stochastic_pulse}\n";
}

TEST(Train, EvaluationNeverChangesTraining) {
  std::string every_step = analog(", read_noise_std: 0.02");
  every_step.replace(every_step.find("eval_every: 100"), 15, "eval_every: 1");
  const auto often = run_experiment(every_step);
  const auto rarely = run_experiment(analog(", read_noise_std: 0.02"));
  EXPECT_EQ(often["weights_sha256"], rarely["weights_sha256"]);
  // The last evaluation (step 400) draws the same read noise whatever came before it.
  EXPECT_EQ(often["final_test_loss"], rarely["final_test_loss"]);
}

TEST(Train, EveryDeviceTimeParameterActs) {
  const auto base = run_experiment(analog(""));
  for (const char* keys : {", lifetime: 50", ", diffusion: 0.002", ", read_noise_std: 0.02",
                           ", drift_nu: 0.1"}) {
    const auto s = run_experiment(analog(keys, ", seconds_per_batch: 1"));
    EXPECT_NE(s["weights_sha256"], base["weights_sha256"]) << keys;
  }
  // Time alone changes nothing on a device without drift; it is reported.
  const auto s = run_experiment(analog("", ", seconds_per_batch: 1"));
  EXPECT_EQ(s["weights_sha256"], base["weights_sha256"]);
  EXPECT_DOUBLE_EQ(s["device_time_s"].get<double>(), 400.0);
}

TEST(Train, ADeviceSectionOnANetworkLeftDigitalIsRefused) {
  std::string implicit = kDigital;
  implicit.replace(implicit.find(", analog: false"), 15, "");
  try {
    run_experiment(implicit + "device: {type: ideal}\n");
    FAIL() << "accepted";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("network.analog"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("`device:`"), std::string::npos) << e.what();
  }
  // Said on purpose: the digital baseline of a device study.
  EXPECT_NO_THROW(run_experiment(std::string(kDigital) + "device: {type: ideal}\n"));
}

TEST(Train, WeightNoiseTakesTheEstimateAtPerturbedWeightsAndUpdatesTheCleanOnes) {
  // One exact gradient step on 0.5 wᵀHw: w1 = w0 − lr H (w0 + s max|w0| ξ), ξ the step's draw.
  const auto s = run_experiment(
      "task: {type: quadratic, hessian_diag: [1.0, 0.5], w_star: [0, 0], w0: [1, -2]}\n"
      "rule: {type: synthetic, b: 0, sigma: 0}\n"
      "experiment: {type: train, steps: 1, lr: 0.1, weight_noise: 0.2}\n");
  Rng rng = Rng(1, Stream::estimator, 0x48574E).at(0);
  Vector xi(2);
  fill_normal_fast(rng, xi.data(), 2);
  const double p0 = 1 + 0.2 * 2 * double(xi(0)), p1 = -2 + 0.2 * 2 * double(xi(1));
  const double w0 = 1 - 0.1 * 1.0 * p0, w1 = -2 - 0.1 * 0.5 * p1;
  EXPECT_NEAR(s["final_train_loss"].get<double>(), 0.5 * (w0 * w0 + 0.5 * w1 * w1), 1e-12);
  // Refused where it cannot act: analog layers take their noise from the periphery.
  EXPECT_THROW(run_experiment(analog("", ", weight_noise: 0.1")), ConfigError);
}

}  // namespace
}  // namespace xb::sim
