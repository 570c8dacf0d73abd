// SPDX-License-Identifier: MIT
// The registries as `xbarsim list` and `xbarsim describe` see them.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "hw_models/core/params.h"

namespace xb::sim {

struct Catalog {
  std::string kind;  // plural, as typed after `xbarsim list`
  std::function<std::vector<std::string>()> names;
  std::function<std::string(const std::string&)> summary;
  std::function<std::vector<ParamRow>(const std::string&)> describe;
};

template <class R>
Catalog catalog_of(const std::string& kind, const R& registry) {
  return {kind, [&registry] { return registry.names(); },
          [&registry](const std::string& n) { return registry.find(n)->summary; },
          [&registry](const std::string& n) { return registry.find(n)->describe(); }};
}

std::vector<Catalog> catalogs();

}  // namespace xb::sim
