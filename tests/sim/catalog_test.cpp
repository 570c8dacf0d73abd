// SPDX-License-Identifier: MIT
// Registry-wide: every count or size parameter of every model, experiment and section has an
// upper bound that `xbarsim describe` states (its rule comes from the validate() that enforces
// it), so that no integer a user types can ask for unbounded time or memory.
#include <gtest/gtest.h>

#include <string>

#include "sim/catalog.h"

namespace {

bool has_upper_bound(const std::string& rule) {
  return rule.find("in [") != std::string::npos || rule.find("<=") != std::string::npos ||
         rule.find("< ") != std::string::npos || rule.find("one of") != std::string::npos;
}

TEST(Catalog, EveryIntegerParameterHasAStatedCap) {
  int integers = 0;
  std::string missing;
  for (const auto& c : xb::sim::catalogs())
    for (const auto& name : c.names())
      for (const auto& row : c.describe(name)) {
        if (!row.integer) continue;
        ++integers;
        if (!has_upper_bound(row.rule))
          missing += "\n  " + c.kind + " " + name + ": " + row.name + " (rule: '" + row.rule + "')";
      }
  EXPECT_GT(integers, 30);
  EXPECT_TRUE(missing.empty()) << "integer parameters without an upper bound:" << missing;
}

TEST(Catalog, RulesComeFromValidate) {
  for (const auto& c : xb::sim::catalogs()) {
    if (c.kind != "experiments") continue;
    for (const auto& row : c.describe("device_response"))
      if (row.name == "rows") {
        EXPECT_EQ(row.rule, "must be in [1, 65536]");
        return;
      }
  }
  FAIL() << "device_response.rows not found";
}

}  // namespace
