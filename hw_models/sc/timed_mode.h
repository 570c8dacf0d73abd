// SPDX-License-Identifier: MIT
// The one entry point of the SystemC shell: makes `--mode timed` available to
// timing::Instrument::create in this program. Called once by the xbarsim binary and the
// SystemC tests; programs that never call it link no SystemC.
#pragma once

namespace xb::sc {

void enable_timed_mode();

}  // namespace xb::sc
