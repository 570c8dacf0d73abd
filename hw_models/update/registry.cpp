// SPDX-License-Identifier: MIT
#include "hw_models/update/update_scheme.h"

namespace xb::hw {

// scheme_registry(), from SCHEMES.def (hw_models/core/registry_list.h).
#define XB_REGISTRY_KIND scheme
#define XB_REGISTRY_TYPE SchemeRegistry
#define XB_REGISTRY_LABEL "scheme"
#define XB_REGISTRY_LIST "hw_models/update/SCHEMES.def"
#define XB_SCHEME XB_REGISTRY_ENTRY
#include "hw_models/core/registry_list.h"
#undef XB_SCHEME

}  // namespace xb::hw
