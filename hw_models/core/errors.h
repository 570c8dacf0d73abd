// SPDX-License-Identifier: MIT
// The two user-facing failure classes (exit codes 2 and 3, docs/cli.md).
// Anything else that escapes is a bug and exits 1.
#pragma once

#include <sstream>
#include <stdexcept>
#include <string>

namespace xb {

// Bad input (config, command line, data file): exit 2. The message names the file, the key
// path, the offending value and the rule it breaks.
class ConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// NaN, Inf or divergence during a run: exit 3. The message names the step and quantity.
class NumericalError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// "file: key = value: rule" — the one message format for every validation failure.
template <class V>
std::string config_message(const std::string& file, const std::string& key, const V& value,
                           const std::string& rule) {
  std::ostringstream os;
  os << file << ": " << key << " = " << value << ": " << rule;
  return os.str();
}

}  // namespace xb
