# SPDX-License-Identifier: MIT
# `cmake --install` puts the xbarsim binary, the kernel and harness libraries, their headers,
# the presets and configs, and a CMake package into the prefix, so that another project can
#   find_package(xbarsim REQUIRED)
#   target_link_libraries(app PRIVATE xbarsim::xbarsim)
# (tests/install/ builds such a consumer). The package is the functional simulator: timed mode
# needs the SystemC shell, which lives in the xbarsim binary and the Python module only.
include(CMakePackageConfigHelpers)

# One name for users: xbarsim::xbarsim is the harness and everything below it.
add_library(xbarsim_all INTERFACE)
set_target_properties(xbarsim_all PROPERTIES EXPORT_NAME xbarsim)
target_link_libraries(xbarsim_all INTERFACE xb_sim xb_rules xb_timing xb_hw)
add_library(xbarsim::xbarsim ALIAS xbarsim_all)
# Eigen's object layout (its alignment) follows the vector extensions a file is compiled for, so
# code that shares Eigen objects with a native build must be compiled for the same target.
if(XB_NATIVE)
  target_compile_options(xbarsim_all INTERFACE -march=native)
endif()

install(TARGETS xbarsim RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(TARGETS xbarsim_all xb_sim xb_rules xb_timing xb_hw EXPORT xbarsimTargets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(DIRECTORY hw_models learning_rules sim DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/xbarsim
        FILES_MATCHING PATTERN "*.h" PATTERN "*.def")
install(FILES ${CMAKE_BINARY_DIR}/generated/sim/version.h
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/xbarsim/sim)
install(DIRECTORY sim/presets/ DESTINATION ${CMAKE_INSTALL_DATADIR}/xbarsim/presets)
install(DIRECTORY sim/configs/ DESTINATION ${CMAKE_INSTALL_DATADIR}/xbarsim/configs)
install(FILES sim/plot.py sim/plot_sweep.py sim/plot_theory.py sim/report.py
        DESTINATION ${CMAKE_INSTALL_DATADIR}/xbarsim)

set(XB_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/xbarsim)
install(EXPORT xbarsimTargets NAMESPACE xbarsim:: DESTINATION ${XB_CMAKE_DIR})
set(XB_PACKAGE_NEEDS_MPI ${XB_WITH_MPI})
configure_package_config_file(cmake/xbarsimConfig.cmake.in
                              ${CMAKE_BINARY_DIR}/xbarsimConfig.cmake
                              INSTALL_DESTINATION ${XB_CMAKE_DIR})
write_basic_package_version_file(${CMAKE_BINARY_DIR}/xbarsimConfigVersion.cmake
                                 COMPATIBILITY SameMinorVersion)
install(FILES ${CMAKE_BINARY_DIR}/xbarsimConfig.cmake ${CMAKE_BINARY_DIR}/xbarsimConfigVersion.cmake
        DESTINATION ${XB_CMAKE_DIR})
