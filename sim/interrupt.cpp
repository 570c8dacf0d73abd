// SPDX-License-Identifier: MIT
#include "sim/interrupt.h"

#include <csignal>

namespace xb::sim {

namespace {

volatile std::sig_atomic_t g_signal = 0;

extern "C" void record_signal(int s) {
  // A second signal while stopping: the user insists, so stop at once the default way.
  if (g_signal != 0) {
    std::signal(s, SIG_DFL);
    std::raise(s);
    return;
  }
  g_signal = s;
}

}  // namespace

Interrupted::Interrupted(int signal)
    : std::runtime_error("interrupted by " + signal_name(signal)), signal_(signal) {}

void install_interrupt_handlers() {
  struct sigaction sa = {};
  sa.sa_handler = record_signal;
  sigemptyset(&sa.sa_mask);
  for (int s : {SIGINT, SIGTERM, SIGHUP}) sigaction(s, &sa, nullptr);
  std::signal(SIGPIPE, SIG_IGN);
  std::signal(SIGXFSZ, SIG_IGN);
}

int interrupt_signal() { return g_signal; }

void throw_if_interrupted() {
  if (const int s = g_signal) throw Interrupted(s);
}

std::string signal_name(int signal) {
  switch (signal) {
    case SIGINT: return "SIGINT";
    case SIGTERM: return "SIGTERM";
    case SIGHUP: return "SIGHUP";
    default: return "signal " + std::to_string(signal);
  }
}

}  // namespace xb::sim
