// SPDX-License-Identifier: MIT
#include "hw_models/cells/unit_cell.h"

namespace xb::hw {

// cell_registry(), from CELLS.def (hw_models/core/registry_list.h).
#define XB_REGISTRY_KIND cell
#define XB_REGISTRY_TYPE CellRegistry
#define XB_REGISTRY_LABEL "cell"
#define XB_REGISTRY_LIST "hw_models/cells/CELLS.def"
#define XB_CELL XB_REGISTRY_ENTRY
#include "hw_models/core/registry_list.h"
#undef XB_CELL

void UnitCell::save_state(const CellState& s, StateMap& m, const std::string& p) const {
  m.numbers[p + "since_refresh"] = s.since_refresh;
  m.numbers[p + "refreshes"] = double(s.refreshes);
  m.numbers[p + "next"] = double(s.next);
}

void UnitCell::load_state(CellState& s, const StateMap& m, const std::string& p) const {
  s.since_refresh = m.number(p + "since_refresh");
  s.refreshes = uint64_t(m.number(p + "refreshes"));
  s.next = int(m.number(p + "next"));
}

}  // namespace xb::hw
