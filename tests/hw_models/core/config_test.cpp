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

std::string dotted_key(int levels) {
  std::string key = "a";
  for (int i = 1; i < levels; ++i) key += ".a";
  return key;
}

// 18,500 levels overflowed the stack (SIGSEGV) when the tree was built and walked.
TEST(Config, OverrideKeysDeeperThanTheNestingLimitAreRefused) {
  Config c;
  const std::string deep = dotted_key(18500);
  const std::string e = error_of([&] { c.apply_override(deep + "=1"); });
  EXPECT_NE(e.find("--set: a.a.a"), std::string::npos) << e;
  EXPECT_NE(e.find("... = 1: the key is nested 18500 levels deep, more than 64 levels"),
            std::string::npos)
      << e;
  EXPECT_LT(e.size(), 200u) << "the message shows the key's start, not all of it";
  EXPECT_FALSE(c.has("a"));
  EXPECT_FALSE(error_of([&] { c.apply_override(dotted_key(65) + "=1"); }).empty());
  // A long first part: the message still shows only the key's start.
  const std::string long_head = std::string(100, 'b') + "." + dotted_key(70);
  EXPECT_LT(error_of([&] { c.apply_override(long_head + "=1"); }).size(), 200u);
  EXPECT_EQ(error_of([&] { c.apply_override(dotted_key(64) + "=1"); }), "");
  EXPECT_EQ(c.user_keys(), std::vector<std::string>{dotted_key(64)});
}

TEST(Config, OverrideValueCountsBelowItsKeyAgainstTheNestingLimit) {
  Config c;
  // 62 key levels + 3 levels of lists = 65.
  const std::string e =
      error_of([&] { c.apply_override(dotted_key(62) + "=[[[1]]]"); });
  EXPECT_NE(e.find("nested more than 64 levels deep"), std::string::npos) << e;
  EXPECT_EQ(error_of([&] { c.apply_override(dotted_key(62) + "=[[1]]"); }), "");
}

TEST(Config, MergeKeysAreRefused) {
  const std::string e = error_of([] {
    Config::from_string("base: &b {dw_min: 0.5}\ndev:\n  <<: *b\n", "m.yaml");
  });
  EXPECT_EQ(e, "m.yaml: dev: merge keys (<<) are not supported; write the keys out");
}

TEST(Config, ASecondDocumentIsRefused) {
  const std::string e =
      error_of([] { Config::from_string("dev: {dw_min: 0.5}\n---\ndev: {rows: 3}\n", "d.yaml"); });
  EXPECT_NE(e.find("d.yaml: the file holds more than one YAML document"), std::string::npos) << e;
  // A `---` that only ends the file, or opens the only document, is fine.
  EXPECT_EQ(error_of([] { Config::from_string("---\ndev: {dw_min: 0.5}\n---\n", "d.yaml"); }),
            "");
  EXPECT_FALSE(error_of([] { Config c; c.apply_override("dev.rows=1\n---\n2"); }).empty());
}

TEST(Config, ANullValueIsReportedByTheTypeItNeeds) {
  for (const char* text : {"dev: {dw_min: ~}", "dev:\n  dw_min:\n", "dev: {dw_min: null}"}) {
    Config c = Config::from_string(text, "n.yaml");
    read_params<DemoParams>(Scope(c, "dev"));
    EXPECT_EQ(error_of([&] { c.check_all_used(); }),
              "n.yaml: dev.dw_min = null: must be a number (got null); write a value or delete "
              "the key to use the default")
        << text;
  }
  Config l = Config::from_string("dev: {list: ~}", "n.yaml");
  read_params<DemoParams>(Scope(l, "dev"));
  EXPECT_NE(error_of([&] { l.check_all_used(); }).find("dev.list = null: must be a list"),
            std::string::npos);
  Config f = Config::from_string("dev: {flag: ~}", "n.yaml");
  read_params<DemoParams>(Scope(f, "dev"));
  EXPECT_NE(error_of([&] { f.check_all_used(); }).find("dev.flag = null: must be true or false"),
            std::string::npos);
  Config s = Config::from_string("dev: {mode: ~}", "n.yaml");
  read_params<DemoParams>(Scope(s, "dev"));
  EXPECT_NE(error_of([&] { s.check_all_used(); }).find("dev.mode = null: must be a value"),
            std::string::npos);
  Config sec = Config::from_string("dev: ~", "n.yaml");
  read_params<DemoParams>(Scope(sec, "dev"));
  EXPECT_NE(error_of([&] { sec.check_all_used(); }).find("dev = null: must be a section"),
            std::string::npos);
  // A null under a name no model knows stays an unknown key.
  Config u = Config::from_string("dev: {dw_mni: ~}", "n.yaml");
  read_params<DemoParams>(Scope(u, "dev"));
  EXPECT_NE(error_of([&] { u.check_all_used(); }).find("unknown key"), std::string::npos);
}

TEST(Config, UserKeysAreListedInDocumentOrder) {
  Config c = Config::from_string("b: {y: 1, x: {q: 2}}\na: 3\nc: []\n", "o.yaml");
  EXPECT_EQ(c.user_keys(), (std::vector<std::string>{"b.y", "b.x.q", "a", "c"}));
}

TEST(Config, EditDistance) {
  EXPECT_EQ(edit_distance("kitten", "sitting"), 3u);
  EXPECT_EQ(nearest("dw_mn", {"dw_min", "w_max"}), "dw_min");
  EXPECT_EQ(nearest("zzzzzz", {"dw_min", "w_max"}), "");
}

}  // namespace
}  // namespace xb
