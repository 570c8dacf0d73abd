// SPDX-License-Identifier: MIT
#include "sim/catalog.h"

#include "hw_models/devices/device_model.h"
#include "sim/experiment.h"

namespace xb::sim {

std::vector<Catalog> catalogs() {
  return {
      catalog_of("devices", hw::device_registry()),
      catalog_of("experiments", experiment_registry()),
  };
}

}  // namespace xb::sim
