// SPDX-License-Identifier: MIT
// The mutable state of a part (a tile's device weights and counters, a scheme's memory) as named
// arrays and numbers: what a checkpoint saves and restores (sim/ writes it as .npz). Whatever a
// part can rebuild from the seed and the config (fabrication, feedback matrices) is not in it.
#pragma once

#include <map>
#include <string>

#include "hw_models/core/errors.h"
#include "hw_models/core/types.h"

namespace xb {

struct StateMap {
  std::map<std::string, Array> arrays;
  std::map<std::string, double> numbers;  // counters (exact below 2^53) and times

  const Array& array(const std::string& name, Index rows, Index cols) const {
    auto it = arrays.find(name);
    if (it == arrays.end()) throw ConfigError("checkpoint: no array '" + name + "'");
    if (it->second.rows() != rows || it->second.cols() != cols)
      throw ConfigError("checkpoint: array '" + name + "' has the wrong shape");
    return it->second;
  }
  double number(const std::string& name) const {
    auto it = numbers.find(name);
    if (it == numbers.end()) throw ConfigError("checkpoint: no value '" + name + "'");
    return it->second;
  }
};

}  // namespace xb
