// SPDX-License-Identifier: MIT
// libsystemc.so references sc_main (C linkage, as sc_externs.h declares it); xbarsim and the
// tests bring their own main() and start the kernel themselves. Weak, so a program may still
// define its own sc_main.
extern "C" __attribute__((weak)) int sc_main(int, char**) { return 0; }
