// SPDX-License-Identifier: MIT
// Properties every registered device model and every preset must have. Parameterised over
// device_registry().names() and preset_names(), so a new model or preset is covered without
// editing this file.
#include <gtest/gtest.h>

#include "tests/hw_models/devices/device_test_util.h"

namespace xb::hw::test {
namespace {

constexpr Index kRows = 12, kCols = 24;

PulseArray random_pulses(uint64_t k, int max_n) {
  Rng r(99, Stream::data, 0, k);
  PulseArray n(kRows, kCols);
  for (Index i = 0; i < n.size(); ++i)
    n.data()[i] = int32_t(r() % uint32_t(2 * max_n + 1)) - max_n;
  return n;
}

void expect_in_bounds(const DeviceState& s, const std::string& what) {
  ASSERT_TRUE((s.w >= s.w_min).all()) << what << ": weight below its device's w_min";
  ASSERT_TRUE((s.w <= s.w_max).all()) << what << ": weight above its device's w_max";
  ASSERT_TRUE(s.w.allFinite()) << what;
}

// Bounds under random pulse trains, and finite reads.
void check_bounds(const DeviceModel& d, const std::string& what) {
  Rng fab(3, Stream::fabrication);
  const Rng cycle(3, Stream::cycle);
  DeviceState s = d.fabricate(kRows, kCols, 0.0, fab);
  expect_in_bounds(s, what + " (fabricated)");
  Array w;
  for (int k = 0; k < 40; ++k) {
    d.apply_pulses(s, random_pulses(k, k % 2 ? 3 : 40), cycle, k, 0);
    expect_in_bounds(s, what + " after train " + std::to_string(k));
    d.read_weights(s, w);
    ASSERT_TRUE(w.allFinite()) << what;
  }
}

// Up pulses raise and down pulses lower the mean (hidden) weight, from mid-range.
void check_direction(const DeviceModel& d, const std::string& what) {
  Rng fab(4, Stream::fabrication);
  const Rng cycle(4, Stream::cycle);
  const double mid = 0.5 * (d.nominal_w_min() + d.nominal_w_max());
  const DeviceState s0 = d.fabricate(kRows, kCols, mid, fab);
  const double m0 = s0.w.cast<double>().mean();
  DeviceState up = s0, down = s0;
  for (int k = 0; k < 20; ++k) {
    d.apply_pulses(up, PulseArray::Constant(kRows, kCols, 1), cycle, k, 0);
    d.apply_pulses(down, PulseArray::Constant(kRows, kCols, -1), cycle, k, 0);
  }
  EXPECT_GT(up.w.cast<double>().mean(), m0) << what;
  EXPECT_LT(down.w.cast<double>().mean(), m0) << what;
}

class EveryDevice : public ::testing::TestWithParam<std::string> {
 protected:
  std::unique_ptr<DeviceModel> device() const { return make_device("{type: " + GetParam() + "}"); }
};

TEST_P(EveryDevice, DefaultsValidate) {
  EXPECT_NO_THROW(device());
  EXPECT_GT(device()->granularity(), 0.0);
  EXPECT_LT(device()->nominal_w_min(), device()->nominal_w_max());
}

TEST_P(EveryDevice, StaysWithinBounds) { check_bounds(*device(), GetParam()); }

TEST_P(EveryDevice, UpRaisesDownLowers) { check_direction(*device(), GetParam()); }

TEST_P(EveryDevice, ZeroPulsesChangeNothing) {
  auto d = device();
  Rng fab(5, Stream::fabrication);
  DeviceState s = d->fabricate(kRows, kCols, 0.1, fab);
  d->apply_pulses(s, random_pulses(1, 5), Rng(5, Stream::cycle), 0, 0);
  const DeviceState before = s;
  d->apply_pulses(s, PulseArray::Zero(kRows, kCols), Rng(5, Stream::cycle), 1, 0);
  EXPECT_TRUE((s.w == before.w).all());
  EXPECT_TRUE((s.w_apparent.size() == 0 || (s.w_apparent == before.w_apparent).all()));
}

TEST_P(EveryDevice, SameSeedSameResult) {
  auto d = device();
  DeviceState s[2];
  for (auto& st : s) {
    Rng fab(6, Stream::fabrication);
    st = d->fabricate(kRows, kCols, 0.0, fab);
    for (int k = 0; k < 5; ++k) d->apply_pulses(st, random_pulses(k, 6), Rng(6, Stream::cycle), k, 0);
  }
  EXPECT_TRUE((s[0].w == s[1].w).all());
  EXPECT_TRUE((s[0].dw_up == s[1].dw_up).all());
  // A different seed gives a different result (the devices are noisy by default).
  Rng fab(7, Stream::fabrication);
  DeviceState other = d->fabricate(kRows, kCols, 0.0, fab);
  for (int k = 0; k < 5; ++k) d->apply_pulses(other, random_pulses(k, 6), Rng(7, Stream::cycle), k, 0);
  if (GetParam() != "ideal") {
    EXPECT_FALSE((other.w == s[0].w).all());
  }
}

TEST_P(EveryDevice, RowSplitsDoNotMatter) {
  auto d = device();
  Rng fab(8, Stream::fabrication);
  const DeviceState s0 = d->fabricate(kRows, kCols, 0.0, fab);
  const Rng cycle(8, Stream::cycle);
  DeviceState whole = s0;
  for (int k = 0; k < 6; ++k) d->apply_pulses(whole, random_pulses(k, 8), cycle, k, 0);
  for (Index split : {Index(1), Index(5), kRows - 1}) {
    DeviceState parts = s0;
    for (int k = 0; k < 6; ++k) {
      const PulseArray n = random_pulses(k, 8);
      d->apply_pulses(parts, n.bottomRows(kRows - split), cycle, k, split);  // second half first
      d->apply_pulses(parts, n.topRows(split), cycle, k, 0);
    }
    EXPECT_TRUE((parts.w == whole.w).all()) << "split at row " << split;
    EXPECT_TRUE(parts.w_apparent.size() == 0 || (parts.w_apparent == whole.w_apparent).all());
  }
}

INSTANTIATE_TEST_SUITE_P(Devices, EveryDevice, ::testing::ValuesIn(device_registry().names()),
                         [](const auto& info) { return info.param; });

class EveryPreset : public ::testing::TestWithParam<std::string> {};

TEST_P(EveryPreset, LoadsValidatesAndBehaves) {
  std::unique_ptr<DeviceModel> d;
  ASSERT_NO_THROW(d = make_preset(GetParam()));
  check_bounds(*d, GetParam());
  check_direction(*d, GetParam());
}

TEST(Presets, AllTenArePresent) {
  const auto names = sim::preset_names();
  for (const char* p : {"reram_es", "reram_sb", "capacitor", "ecram", "ecram_mo", "idealized",
                        "gokmen_vlasov", "pcm", "reram_array_om", "reram_array_hfo2"})
    EXPECT_NE(std::find(names.begin(), names.end(), p), names.end()) << p;
}

TEST(Presets, OverridesApply) {
  // gokmen_vlasov has dw_min 0.0016; an override replaces it.
  EXPECT_NEAR(make_preset("gokmen_vlasov")->granularity(), 0.0016, 1e-12);
  EXPECT_NEAR(make_preset("gokmen_vlasov", ", dw_min: 0.001")->granularity(), 0.001, 1e-12);
}

INSTANTIATE_TEST_SUITE_P(Presets, EveryPreset, ::testing::ValuesIn(sim::preset_names()),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace xb::hw::test
