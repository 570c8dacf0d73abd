// SPDX-License-Identifier: MIT
// The configuration tree: a YAML document addressed by dotted keys ("device.dw_min").
// Every key a model reads is declared (for suggestions and `describe`) and marked as used;
// after a run is built, any key nobody used is an error (a misspelt key never passes
// silently). The values actually used, defaults filled in, form the effective config written
// into the run folder.
#pragma once

#include <yaml-cpp/yaml.h>

#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "hw_models/core/errors.h"

namespace xb {

class Config {
 public:
  Config();  // empty document
  static Config from_file(const std::string& path);
  static Config from_string(const std::string& text, const std::string& source);

  // Applies "a.b.c=value" (value parsed as YAML). Overridden keys are reported as coming
  // from "--set" in error messages.
  void apply_override(const std::string& assignment);

  // Replaces a section of the form {preset: NAME, ...overrides} by the preset file
  // DIR/NAME.yaml with the overrides laid over it. No-op when the section names no preset.
  // When the preset itself comes from --set, the section is switched to it: only overrides
  // also given by --set are laid over it (the file's keys belonged to the file's device).
  // A key of the preset file named in `siblings` (the device's natural `cell:`) is a default
  // section: has() and get() see its keys wherever the config does not set them (and does
  // not switch the section's type). It is not the user's (check_all_used ignores it), so a
  // model that never reads it is fine.
  void expand_preset(const std::string& section, const std::string& preset_dir,
                     const std::vector<std::string>& known_presets,
                     const std::vector<std::string>& siblings = {});

  // An independent copy (YAML nodes share their data when copied; this one does not).
  Config clone() const;
  // Whether a model has declared `key` (read it or could have).
  bool declared(const std::string& key) const { return declared_.count(key) > 0; }

  bool has(const std::string& key) const;
  YAML::Node get(const std::string& key) const;  // Null node when absent
  // The source an error about `key` should name: the file, or "--set" for overrides.
  std::string source_of(const std::string& key) const;
  const std::string& source() const { return source_; }

  // Declares that a model knows `key` (whether or not the user set it).
  void declare(const std::string& key);
  void mark_used(const std::string& key);
  // Throws ConfigError for the first key the user set that no model read, suggesting the
  // nearest declared key.
  void check_all_used() const;

  // Records the value a model actually used, for the effective config.
  void set_effective(const std::string& key, const YAML::Node& value);
  YAML::Node effective() const { return effective_; }
  std::string effective_yaml() const;

  // Leaves of the user's document, as dotted keys (sequences count as leaves).
  std::vector<std::string> user_keys() const;

 private:
  // The node at `key`: the user's, else a preset's default section (expand_preset).
  YAML::Node lookup(const std::string& key) const;

  std::string source_;
  YAML::Node root_;
  std::map<std::string, YAML::Node> preset_sections_;
  YAML::Node effective_;
  std::set<std::string> overridden_;
  std::set<std::string> declared_;
  std::set<std::string> used_;
};

// Edit distance, for "did you mean" suggestions.
std::size_t edit_distance(const std::string& a, const std::string& b);
// The candidate nearest to `word`, or "" when none is close enough to be a plausible typo.
std::string nearest(const std::string& word, const std::vector<std::string>& candidates);
// The suggestion appended to a message about a bad `word`: " (did you mean 'x'?)" with the
// nearest candidate, or `otherwise` (e.g. "; known: a, b") when none is close enough.
std::string did_you_mean(const std::string& word, const std::vector<std::string>& candidates,
                         const std::string& otherwise = "");

// How deep a config may nest: YAML documents and dotted keys ("a.b.c" is 3 levels) alike.
// Every walker of the tree relies on it, and it keeps recursion off user-controlled depth.
constexpr int kMaxNesting = 64;

std::vector<std::string> split_key(const std::string& dotted);
// Throws ConfigError ("source: key = value: rule") when the dotted key has more than
// kMaxNesting parts, before anything builds a tree that deep.
void check_key_depth(const std::string& dotted, const std::string& value,
                     const std::string& source);

// Parses a text holding one YAML document. Malformed YAML throws YAML::Exception (the caller
// states the position its own way); a second document after `---` throws ConfigError naming
// `source`, since it would otherwise be ignored without a word.
YAML::Node load_one_document(const std::string& text, const std::string& source);

// Throws ConfigError (naming `source`) when a YAML tree has a non-scalar map key, is nested
// more than 64 levels deep or has more than 1e6 nodes once aliases are expanded.
void check_yaml_tree(const YAML::Node& root, const std::string& source);

}  // namespace xb
