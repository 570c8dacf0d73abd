// SPDX-License-Identifier: MIT
#include "learning_rules/update_scheme.h"

namespace xb::rules {

#define XB_SCHEME(name) void register_##name(SchemeRegistry&);
#include "learning_rules/SCHEMES.def"
#undef XB_SCHEME

const SchemeRegistry& scheme_registry() {
  static const SchemeRegistry registry = [] {
    SchemeRegistry r("scheme");
#define XB_SCHEME(name) register_##name(r);
#include "learning_rules/SCHEMES.def"
#undef XB_SCHEME
    return r;
  }();
  return registry;
}

}  // namespace xb::rules
