// SPDX-License-Identifier: MIT
// The registry of one kind of model, built from its list file (DEVICES.def, SCHEMES.def, ...).
// Written once here and X-included by each kind's registry.cpp, inside that kind's namespace,
// after defining
//
//   XB_REGISTRY_KIND   a token: entry `ideal` is registered by register_<kind>_ideal(), and
//                      the function defined is <kind>_registry()
//   XB_REGISTRY_TYPE   the Registry<Base> type, e.g. DeviceRegistry
//   XB_REGISTRY_LABEL  the kind as messages name it, e.g. "device"
//   XB_REGISTRY_LIST   the list file, e.g. "hw_models/devices/DEVICES.def"
//
// and pointing the list file's line macro at XB_REGISTRY_ENTRY (`#define XB_DEVICE
// XB_REGISTRY_ENTRY`, #undef'd after the include). For devices this declares
// `void register_device_ideal(DeviceRegistry&);` (one per list line) and defines
// `const DeviceRegistry& device_registry()`. Every model .cpp ends with the matching
// `void register_<kind>_<name>(<Type>& r)`, so no two kinds share a symbol.
//
// No include guard (one use per registry) and no #include: it sits inside a namespace.
// Every XB_REGISTRY_* macro is #undef'd at the end.

#define XB_REGISTRY_CAT_(a, b, c) a##b##c
#define XB_REGISTRY_CAT(a, b, c) XB_REGISTRY_CAT_(a, b, c)
#define XB_REGISTRY_FN(name) XB_REGISTRY_CAT(register_, XB_REGISTRY_KIND, _##name)

#define XB_REGISTRY_ENTRY(name) void XB_REGISTRY_FN(name)(XB_REGISTRY_TYPE&);
#include XB_REGISTRY_LIST
#undef XB_REGISTRY_ENTRY

const XB_REGISTRY_TYPE& XB_REGISTRY_CAT(XB_REGISTRY_KIND, _registry, )() {
  static const XB_REGISTRY_TYPE registry = [] {
    XB_REGISTRY_TYPE r(XB_REGISTRY_LABEL);
#define XB_REGISTRY_ENTRY(name) XB_REGISTRY_FN(name)(r);
#include XB_REGISTRY_LIST
#undef XB_REGISTRY_ENTRY
    return r;
  }();
  return registry;
}

#undef XB_REGISTRY_FN
#undef XB_REGISTRY_CAT
#undef XB_REGISTRY_CAT_
#undef XB_REGISTRY_KIND
#undef XB_REGISTRY_TYPE
#undef XB_REGISTRY_LABEL
#undef XB_REGISTRY_LIST
