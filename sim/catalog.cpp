// SPDX-License-Identifier: MIT
#include "sim/catalog.h"

#include <map>

#include "hw_models/crossbar/tile.h"
#include "hw_models/periphery/periphery.h"
#include "hw_models/timing/area_model.h"
#include "hw_models/timing/timing_params.h"
#include "learning_rules/network.h"
#include "hw_models/devices/device_model.h"
#include "hw_models/update/update_scheme.h"
#include "sim/experiment.h"
#include "learning_rules/learning_rule.h"
#include "sim/tasks/task.h"

namespace xb::sim {

namespace {

// Config sections that hold one Params struct rather than a model chosen by `type`.
struct Section {
  std::string summary;
  std::vector<ParamRow> (*describe)();
};

const std::map<std::string, Section>& sections() {
  static const std::map<std::string, Section> table = {
      {"tile", {"crossbar tile: initial weight (section `tile:`)", describe_params<hw::TileParams>}},
      {"periphery",
       {"DAC/ADC, read noise, IR drop, noise and bound management (section `periphery:`)",
        describe_params<hw::PeripheryParams>}},
      {"network", {"multilayer perceptron (section `network:`)", describe_params<rules::NetworkParams>}},
      {"timing", {"timed-mode latencies (section `timing:`)", describe_params<timing::TimingParams>}},
      {"energy", {"per-operation energies of the ledger (section `energy:`)",
                  describe_params<timing::EnergyParams>}},
      {"area", {"silicon area of a tile's array and periphery (section `area:`)",
                describe_params<timing::AreaParams>}},
      {"trace", {"VCD trace window and signal selection (section `trace:`)",
                 describe_params<timing::TraceParams>}},
  };
  return table;
}

Catalog sections_catalog() {
  return {"sections",
          [] {
            std::vector<std::string> names;
            for (const auto& kv : sections()) names.push_back(kv.first);
            return names;
          },
          [](const std::string& n) { return sections().at(n).summary; },
          [](const std::string& n) { return sections().at(n).describe(); }};
}

}  // namespace

std::vector<Catalog> catalogs() {
  return {
      catalog_of("devices", hw::device_registry()),
      catalog_of("cells", hw::cell_registry()),
      catalog_of("experiments", experiment_registry()),
      catalog_of("schemes", hw::scheme_registry()),
      catalog_of("rules", rules::rule_registry()),
      catalog_of("tasks", task_registry()),
      sections_catalog(),
  };
}

}  // namespace xb::sim
