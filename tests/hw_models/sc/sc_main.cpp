// SPDX-License-Identifier: MIT
// Entry point of sc_tests. SystemC allows one elaboration per process (error E529 on a second
// one), so every test runs in its own process (gtest_discover_tests). We use our own main() rather
// than libsystemc's, so that `--gtest_list_tests` output is not preceded by the SystemC banner
// (which would confuse test discovery); the library's weak sc_main satisfies libsystemc.
#include <gtest/gtest.h>

#include <cstdlib>

#include "hw_models/sc/timed_mode.h"

int main(int argc, char** argv) {
  setenv("SYSTEMC_DISABLE_COPYRIGHT_MESSAGE", "1", 1);
  xb::sc::enable_timed_mode();
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
