// SPDX-License-Identifier: MIT
// libFuzzer target: a config file as the user writes it, through everything `xbarsim validate`
// does (YAML parse, preset expansion, every Params bind/validate of a real experiment, the
// unknown-key check). Bad input must end in ConfigError; any other exception, a crash, a
// sanitizer report, a hang or a huge allocation is a finding.
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <string>

#include "hw_models/core/errors.h"
#include "sim/cli_commands.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  // prepare_run reads a file (as the command line does); one scratch file per process.
  static const std::string path = "/tmp/xb_fuzz_config_" + std::to_string(::getpid()) + ".yaml";
  {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  }
  xb::sim::RunArgs args;
  args.config = path;
  args.quiet = true;
  try {
    xb::sim::PreparedRun run = xb::sim::prepare_run(args);
    (void)run.cfg.effective_yaml();
  } catch (const xb::ConfigError&) {
    // the expected outcome of bad input (exit 2)
  } catch (const std::exception& e) {
    std::cerr << "not a ConfigError (would exit 1): " << e.what() << "\n";
    std::abort();
  }
  return 0;
}
