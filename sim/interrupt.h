// SPDX-License-Identifier: MIT
// Stopping a run cleanly on SIGINT, SIGTERM and SIGHUP (docs/cli.md, "Signals"). The handler
// only records the signal; experiments call throw_if_interrupted() at their step boundaries,
// and the run (or sweep) that catches Interrupted flushes what it recorded, writes
// `"status": "interrupted"` and exits with 128 + the signal number (130, 143, 129), as a shell
// reports a process killed by that signal.
#pragma once

#include <stdexcept>
#include <string>

namespace xb::sim {

class Interrupted : public std::runtime_error {
 public:
  explicit Interrupted(int signal);
  int signal() const { return signal_; }
  int exit_code() const { return 128 + signal_; }

 private:
  int signal_;
};

// Installs the handlers (once per process); also ignores SIGPIPE and SIGXFSZ, so that a write
// to a closed pipe or past the file-size limit fails with an error the writer reports (exit 2)
// instead of killing the process silently.
void install_interrupt_handlers();

// The signal received so far (0: none).
int interrupt_signal();

// Throws Interrupted when a signal was received.
void throw_if_interrupted();

// "SIGINT", "SIGTERM", "SIGHUP" or "signal N".
std::string signal_name(int signal);

}  // namespace xb::sim
