// SPDX-License-Identifier: MIT
// Shared between the two halves of the compiled module: module.cpp (run, validate, list,
// describe, sweep) and tile_bindings.cpp (Device, Tile).
#pragma once

#include <pybind11/pybind11.h>

#include <string>
#include <vector>

#include "hw_models/core/params.h"

namespace xb::python {

// {"name", "default", "unit", "description", "kind"} of one parameter (kind: "device", ...).
pybind11::dict param_row_dict(const ParamRow& r, const std::string& kind = "");
// The rows as an indented text block for docstrings (help()).
std::string parameter_table(const std::vector<ParamRow>& rows);
// Registers Device and Tile.
void bind_tiles(pybind11::module_& m);

}  // namespace xb::python
