// SPDX-License-Identifier: MIT
// Every validation rule of the device models: the error names the file and the key.
#include <gtest/gtest.h>

#include "tests/hw_models/devices/device_test_util.h"

namespace xb::hw::test {
namespace {

struct Bad {
  std::string type, key, value;
};

class DeviceRule : public ::testing::TestWithParam<Bad> {};

TEST_P(DeviceRule, MessageNamesTheKey) {
  const Bad& b = GetParam();
  const std::string msg = config_error("{type: " + b.type + ", " + b.key + ": " + b.value + "}");
  ASSERT_FALSE(msg.empty()) << b.type << "." << b.key << " = " << b.value << " was accepted";
  EXPECT_NE(msg.find("test.yaml"), std::string::npos) << msg;
  EXPECT_NE(msg.find("device." + b.key), std::string::npos) << msg;
}

const Bad kRules[] = {
    {"constant_step", "dw_min", "0"},
    {"constant_step", "dw_min_dtod", "-0.1"},
    {"constant_step", "dw_min_std", "-1"},
    {"constant_step", "up_down", "1"},
    {"constant_step", "up_down_dtod", "-0.1"},
    {"constant_step", "w_max", "-0.7"},
    {"constant_step", "w_min_dtod", "-1"},
    {"constant_step", "w_max_dtod", "-1"},
    {"constant_step", "write_noise_std", "-1"},
    {"constant_step", "reset_dtod", "-1"},
    {"constant_step", "reset_std", "-1"},
    {"constant_step", "lifetime", "0.5"},
    {"constant_step", "lifetime_dtod", "-1"},
    {"constant_step", "diffusion", "-1"},
    {"constant_step", "diffusion_dtod", "-1"},
    {"constant_step", "c2c_noise", "cauchy"},
    {"constant_step", "c2c_nu", "2"},
    {"constant_step", "c2c_alpha", "2.5"},
    {"constant_step", "c2c_alpha", "0"},
    {"constant_step", "c2c_theta", "1.5"},
    {"constant_step", "stuck_fraction", "1.5"},
    {"constant_step", "stuck_at", "middle"},
    {"constant_step", "n_levels", "1"},
    {"constant_step", "drift_nu", "-0.1"},
    {"constant_step", "drift_nu_dtod", "-0.1"},
    {"constant_step", "drift_t0", "0"},
    {"constant_step", "read_noise", "thermal"},
    {"constant_step", "read_noise_std", "-1"},
    {"ideal", "dw_min", "0"},
    {"ideal", "w_max", "-2"},
    {"linear_step", "gamma_up_dtod", "-1"},
    {"linear_step", "gamma_down_dtod", "-1"},
    {"linear_step", "w_min", "0.1"},
    {"soft_bounds", "w_max", "-0.1"},
    {"soft_bounds", "w_min", "0"},
    {"soft_bounds_pmax", "p_max", "0"},
    {"soft_bounds_pmax", "alpha", "0"},
    {"soft_bounds_pmax", "range_max", "-2"},
    {"soft_bounds_pmax", "range_min", "0.5"},
    {"soft_bounds_pmax, range_max: -90", "range_min", "-100"},
    {"soft_bounds_reference", "w_max", "-0.1"},
    {"soft_bounds_reference", "w_min", "0.0"},
    {"soft_bounds_reference", "slope_up_dtod", "-1"},
    {"soft_bounds_reference", "slope_down_dtod", "-1"},
    {"soft_bounds_reference", "reference_std", "-1"},
    {"exp_step", "gamma_up", "-1"},
    {"exp_step", "gamma_down", "-1"},
    {"exp_step", "dw_min_std_add", "-1"},
    {"exp_step", "dw_min_std_slope", "-1"},
    {"pow_step", "pow_gamma", "-1"},
    {"pow_step", "pow_gamma_dtod", "-1"},
    {"pow_step", "pow_up_down_dtod", "-1"},
    {"piecewise_step", "piecewise_up", "[]"},
    {"piecewise_step", "piecewise_down", "[1, -1]"},
};

INSTANTIATE_TEST_SUITE_P(Rules, DeviceRule, ::testing::ValuesIn(kRules),
                         [](const auto& info) {
                           std::string n = info.param.key + "_" +
                                           std::to_string(info.index);
                           return n;
                         });

TEST(DeviceRules, UnknownTypeSuggestsTheNearest) {
  const std::string msg = config_error("{type: soft_bound}");
  EXPECT_NE(msg.find("device.type"), std::string::npos) << msg;
  EXPECT_NE(msg.find("soft_bounds"), std::string::npos) << msg;
}

}  // namespace
}  // namespace xb::hw::test
