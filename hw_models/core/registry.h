// SPDX-License-Identifier: MIT
// Models are chosen by name from the config (`device.type: soft_bounds`). Each model file
// ends with one register_<kind>_<name>() function (register_device_soft_bounds); the list
// files (DEVICES.def, SCHEMES.def, ...) name them once, for CMake and for C++ (NEST-style
// modelset files: no enum, no switch); registry_list.h turns a list into its registry.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "hw_models/core/params.h"

namespace xb {

template <class Base>
class Registry {
 public:
  using Factory = std::function<std::unique_ptr<Base>(const Scope&)>;
  struct Entry {
    std::string name;
    std::string summary;  // one line: the law or purpose, with its citation
    Factory make;
    std::function<std::vector<ParamRow>()> describe;
  };

  explicit Registry(std::string kind) : kind_(std::move(kind)) {}

  void add(Entry e) { entries_[e.name] = std::move(e); }

  // The common case: a Params struct (bind + validate) and a Model constructed from it.
  template <class Params, class Model>
  void add_model(const std::string& name, const std::string& summary) {
    add({name, summary,
         [](const Scope& s) -> std::unique_ptr<Base> {
           return std::make_unique<Model>(read_params<Params>(s));
         },
         [] { return describe_params<Params>(); }});
  }

  // Builds the model named by `scope.type` (or by `default_type` when the key is absent).
  std::unique_ptr<Base> create(const Scope& scope, const std::string& default_type = "") const {
    std::string type = default_type;
    const YAML::Node section = scope.config().get(scope.prefix());
    if (section.IsDefined() && !section.IsNull() && !section.IsMap()) {
      YAML::Emitter e;
      e << YAML::Flow << section;
      throw ConfigError(config_message(scope.config().source_of(scope.prefix()), scope.prefix(),
                                       e.c_str(),
                                       "must be a section of keys, e.g. " + scope.prefix() +
                                           ": {type: NAME, ...}"));
    }
    ParamReader reader(scope);
    reader("type", type, "", "");
    if (type.empty()) {
      const char* article = kind_.find_first_of("aeiou") == 0 ? "an " : "a ";
      std::string rule = "must name " + std::string(article) + kind_ + ": " + list();
      // A misspelt section name (`devcie:`) leaves the real one empty: point at the typo.
      std::set<std::string> tops;
      for (const auto& k : scope.config().user_keys()) tops.insert(split_key(k).front());
      const std::string section_name = split_key(scope.prefix()).front();
      if (tops.count(section_name) == 0) {
        for (const auto& t : tops)
          if (edit_distance(t, section_name) <= 2)
            rule += " (the config has a section '" + t + "': did you mean '" + section_name + "'?)";
      }
      scope.fail("type", "<missing>", rule);
    }
    return get(type, scope).make(scope);
  }

  const Entry& get(const std::string& name, const Scope& scope) const {
    auto it = entries_.find(name);
    if (it == entries_.end()) {
      scope.fail("type", name,
                 "unknown " + kind_ + did_you_mean(name, names(), "; known: " + list()));
    }
    return it->second;
  }

  const Entry* find(const std::string& name) const {
    auto it = entries_.find(name);
    return it == entries_.end() ? nullptr : &it->second;
  }

  std::vector<std::string> names() const {
    std::vector<std::string> out;
    for (const auto& kv : entries_) out.push_back(kv.first);
    return out;
  }

  const std::string& kind() const { return kind_; }

 private:
  std::string list() const {
    std::string s;
    for (const auto& kv : entries_) s += (s.empty() ? "" : ", ") + kv.first;
    return s;
  }
  std::string kind_;
  std::map<std::string, Entry> entries_;
};

}  // namespace xb
