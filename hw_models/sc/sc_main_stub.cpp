// SPDX-License-Identifier: MIT
// libsystemc.so references sc_main (C linkage, as sc_externs.h declares it); xbarsim, the tests
// and the Python module bring their own entry point and start the kernel themselves. Weak, so a
// program may still define its own sc_main; default visibility, so libsystemc.so finds it in the
// Python module too (pybind11 builds modules with hidden symbols).
extern "C" __attribute__((weak, visibility("default"))) int sc_main(int, char**) { return 0; }
