// SPDX-License-Identifier: MIT
#include <gtest/gtest.h>

#include "hw_models/core/config.h"
#include "hw_models/core/params.h"

namespace xb {
namespace {

struct DemoParams {
  double dw_min = 0.001;
  int rows = 4;
  bool flag = false;
  std::string mode = "a";
  std::vector<double> list = {1.0};
  template <class F>
  void bind(F&& f) {
    f("dw_min", dw_min, "1", "step");
    f("rows", rows, "", "rows");
    f("flag", flag, "", "flag");
    f("mode", mode, "", "mode");
    f("list", list, "", "list");
  }
  void validate(const Scope& s) const {
    s.require_gt("dw_min", dw_min, 0.0);
    s.require_one_of("mode", mode, {"a", "b"});
  }
};

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

TEST(Config, ReadsValuesAndFillsDefaults) {
  Config c = Config::from_string("dev: {dw_min: 0.5, rows: 8, list: [1, 2]}", "x.yaml");
  auto p = read_params<DemoParams>(Scope(c, "dev"));
  EXPECT_EQ(p.dw_min, 0.5);
  EXPECT_EQ(p.rows, 8);
  EXPECT_EQ(p.list.size(), 2u);
  EXPECT_EQ(c.effective()["dev"]["mode"].as<std::string>(), "a");
  EXPECT_NO_THROW(c.check_all_used());
}

TEST(Config, SiPrefixes) {
  double v = 0;
  EXPECT_TRUE(parse_si_number("50ns", "s", v));
  EXPECT_DOUBLE_EQ(v, 50e-9);
  EXPECT_TRUE(parse_si_number("25uS", "S", v));
  EXPECT_DOUBLE_EQ(v, 25e-6);
  EXPECT_TRUE(parse_si_number("1.5k", "", v));
  EXPECT_DOUBLE_EQ(v, 1500);
  EXPECT_FALSE(parse_si_number("0x10", "", v));
  EXPECT_FALSE(parse_si_number("inf", "", v));
  EXPECT_FALSE(parse_si_number("abc", "", v));
}

TEST(Config, UnknownKeySuggestsNearest) {
  Config c = Config::from_string("dev: {dw_mni: 0.5}", "x.yaml");
  read_params<DemoParams>(Scope(c, "dev"));
  const std::string e = error_of([&] { c.check_all_used(); });
  EXPECT_NE(e.find("x.yaml: dev.dw_mni = 0.5: unknown key"), std::string::npos) << e;
  EXPECT_NE(e.find("dev.dw_min"), std::string::npos) << e;
}

TEST(Config, MessagesNameFileKeyValueRule) {
  Config c = Config::from_string("dev: {dw_min: -1}", "x.yaml");
  EXPECT_EQ(error_of([&] { read_params<DemoParams>(Scope(c, "dev")); }),
            "x.yaml: dev.dw_min = -1: must be > 0");
  Config t = Config::from_string("dev: {rows: abc}", "x.yaml");
  EXPECT_EQ(error_of([&] { read_params<DemoParams>(Scope(t, "dev")); }),
            "x.yaml: dev.rows = abc: must be a number");
  Config r = Config::from_string("dev: {rows: 1.5}", "x.yaml");
  EXPECT_EQ(error_of([&] { read_params<DemoParams>(Scope(r, "dev")); }),
            "x.yaml: dev.rows = 1.5: must be an integer");
  Config b = Config::from_string("dev: {flag: maybe}", "x.yaml");
  EXPECT_EQ(error_of([&] { read_params<DemoParams>(Scope(b, "dev")); }),
            "x.yaml: dev.flag = maybe: must be true or false");
  Config n = Config::from_string("dev: {dw_min: .nan}", "x.yaml");
  EXPECT_EQ(error_of([&] { read_params<DemoParams>(Scope(n, "dev")); }),
            "x.yaml: dev.dw_min = .nan: must be a finite number");
  Config m = Config::from_string("dev: {mode: c}", "x.yaml");
  EXPECT_NE(error_of([&] { read_params<DemoParams>(Scope(m, "dev")); }).find("dev.mode = c"),
            std::string::npos);
}

TEST(Config, OverridesAreDottedAndReportedAsSet) {
  Config c = Config::from_string("dev: {dw_min: 0.5}", "x.yaml");
  c.apply_override("dev.dw_min=-2");
  EXPECT_EQ(error_of([&] { read_params<DemoParams>(Scope(c, "dev")); }),
            "--set: dev.dw_min = -2: must be > 0");
  c.apply_override("other.deep.key=3");
  EXPECT_TRUE(c.has("other.deep.key"));
  EXPECT_FALSE(error_of([&] { c.apply_override("noequals"); }).empty());
  EXPECT_FALSE(error_of([&] { c.apply_override("dev.dw_min.x=1"); }).empty());
}

TEST(Config, MalformedYamlNamesFileAndLine) {
  const std::string e = error_of([] { Config::from_string("a: [1, 2\nb: 3", "bad.yaml"); });
  EXPECT_NE(e.find("bad.yaml: line"), std::string::npos) << e;
  EXPECT_FALSE(error_of([] { Config::from_string("- 1\n- 2", "list.yaml"); }).empty());
  EXPECT_FALSE(error_of([] { Config::from_file("/nonexistent/file.yaml"); }).empty());
}

TEST(Config, EditDistance) {
  EXPECT_EQ(edit_distance("kitten", "sitting"), 3u);
  EXPECT_EQ(nearest("dw_mn", {"dw_min", "w_max"}), "dw_min");
  EXPECT_EQ(nearest("zzzzzz", {"dw_min", "w_max"}), "");
}

}  // namespace
}  // namespace xb
