// SPDX-License-Identifier: MIT
// Parameters are declared once, in a model's Params struct:
//
//   struct MyParams {
//     double dw_min = 0.001;                       // the only place the default lives
//     template <class F> void bind(F&& f) {
//       f("dw_min", dw_min, "1", "mean step per pulse, in weight units");
//     }
//     void validate(const Scope& s) const { s.require_gt("dw_min", dw_min, 0.0); }
//   };
//
// The same bind() feeds the config reader (ParamReader), the effective-config dump and
// `xbarsim describe` (ParamDescriber), so the three can never disagree (gem5/SST style).
#pragma once

#include <yaml-cpp/yaml.h>

#include <cmath>
#include <cstdint>
#include <map>
#include <sstream>
#include <string>
#include <type_traits>
#include <vector>

#include "hw_models/core/config.h"
#include "hw_models/core/errors.h"

namespace xb {

// A list of records, each a map of scalar values (`network.layers: [{type: conv2d, ...}]`).
// The reader checks only the shape; the owner parses and validates each value, naming the key
// as `name[i].field`.
using Record = std::map<std::string, std::string>;
using Records = std::vector<Record>;

// A section of the config ("device", "experiment", "periphery.adc", ...). Validation
// helpers throw ConfigError naming file, key, value and rule.
class Scope {
 public:
  // `rules`, when given, collects the rule of every require_* call by parameter name, so that
  // `describe` states each parameter's range from the same validate() that enforces it.
  Scope(Config& cfg, std::string prefix, std::map<std::string, std::string>* rules = nullptr)
      : cfg_(&cfg), prefix_(std::move(prefix)), rules_(rules) {}
  Config& config() const { return *cfg_; }
  const std::string& prefix() const { return prefix_; }
  std::string key(const std::string& name) const {
    return prefix_.empty() ? name : prefix_ + "." + name;
  }
  Scope sub(const std::string& name) const { return Scope(*cfg_, key(name), rules_); }

  template <class V>
  [[noreturn]] void fail(const std::string& name, const V& value, const std::string& rule) const {
    throw ConfigError(config_message(cfg_->source_of(key(name)), key(name), value, rule));
  }
  // In describe's recording mode (`rules` given) every rule is recorded and none fails, so one
  // default that needs another section does not hide the rules after it.
  template <class V>
  void require(bool ok, const std::string& name, const V& value, const std::string& rule) const {
    if (rules_) return record_rule(name, rule);
    if (!ok) fail(name, value, rule);
  }
  template <class V>
  void require_gt(const std::string& name, V v, V lo) const {
    require(v > lo, name, v, "must be > " + fmt(lo));
  }
  template <class V>
  void require_ge(const std::string& name, V v, V lo) const {
    require(v >= lo, name, v, "must be >= " + fmt(lo));
  }
  template <class V>
  void require_in(const std::string& name, V v, V lo, V hi) const {
    require(v >= lo && v <= hi, name, v, "must be in [" + fmt(lo) + ", " + fmt(hi) + "]");
  }
  // Every element of a list (recorded for describe even when the default list is empty).
  template <class V>
  void require_each_in(const std::string& name, const std::vector<V>& v, V lo, V hi) const {
    const std::string rule = "each must be in [" + fmt(lo) + ", " + fmt(hi) + "]";
    if (rules_) return record_rule(name, rule);
    for (const V& x : v)
      if (x < lo || x > hi) fail(name, x, rule);
  }
  void require_one_of(const std::string& name, const std::string& v,
                      const std::vector<std::string>& allowed) const;

  template <class V>
  static std::string fmt(V v) {
    std::ostringstream os;
    os << v;
    return os.str();
  }

 private:
  void record_rule(const std::string& name, const std::string& rule) const;

  Config* cfg_;
  std::string prefix_;
  std::map<std::string, std::string>* rules_ = nullptr;
};

// Parses a number, accepting SI-prefixed forms with an optional unit ("50ns", "25uS", "1.5k").
// Returns false when the text is not a number. Non-finite values are reported by the caller.
bool parse_si_number(const std::string& text, const std::string& unit, double& out);

// Reads each bound field from the config (when set), type-checks it, and records the
// value used in the effective config.
class ParamReader {
 public:
  explicit ParamReader(const Scope& scope) : scope_(scope) {}

  template <class T>
  void operator()(const char* name, T& field, const char* unit, const char* /*description*/) {
    const std::string key = scope_.key(name);
    Config& cfg = scope_.config();
    cfg.declare(key);
    if (cfg.has(key)) {
      cfg.mark_used(key);
      read(name, cfg.get(key), field, unit);
    }
    cfg.set_effective(key, to_node(field));
  }

 private:
  void read(const char* name, const YAML::Node& n, double& out, const std::string& unit);
  void read(const char* name, const YAML::Node& n, float& out, const std::string& unit);
  void read(const char* name, const YAML::Node& n, int& out, const std::string& unit);
  void read(const char* name, const YAML::Node& n, int64_t& out, const std::string& unit);
  void read(const char* name, const YAML::Node& n, bool& out, const std::string& unit);
  void read(const char* name, const YAML::Node& n, std::string& out, const std::string& unit);
  void read(const char* name, const YAML::Node& n, std::vector<double>& out,
            const std::string& unit);
  void read(const char* name, const YAML::Node& n, std::vector<int>& out, const std::string& unit);
  void read(const char* name, const YAML::Node& n, std::vector<std::string>& out,
            const std::string& unit);
  void read(const char* name, const YAML::Node& n, std::vector<std::vector<double>>& out,
            const std::string& unit);
  void read(const char* name, const YAML::Node& n, Records& out, const std::string& unit);
  // The list overloads: fails with `rule` unless `n` is a list, then reads element i as
  // name[i] with the element type's own overload.
  template <class T>
  void read_list(const char* name, const YAML::Node& n, std::vector<T>& out,
                 const std::string& unit, const char* rule);

  template <class T>
  static YAML::Node to_node(const T& v) {
    YAML::Node n;
    n = v;
    return n;
  }
  static YAML::Node to_node(const std::vector<double>& v);
  static YAML::Node to_node(const std::vector<int>& v);
  static YAML::Node to_node(const std::vector<std::string>& v);
  static YAML::Node to_node(const std::vector<std::vector<double>>& v);
  static YAML::Node to_node(const Records& v);

  Scope scope_;
};

// One row of `xbarsim describe`.
struct ParamRow {
  std::string name, default_value, unit, description;
  std::string rule;      // what validate() requires of it with defaults elsewhere ("must be > 0")
  bool integer = false;  // an integer or a list of integers (a count or a size)
  std::string not_used;  // why this model accepts the key but does nothing with it (or empty)
};

// Collects the parameter table of a Params struct from its bind().
class ParamDescriber {
 public:
  template <class T>
  void operator()(const char* name, T& field, const char* unit, const char* description) {
    constexpr bool integer = std::is_same_v<T, int> || std::is_same_v<T, int64_t> ||
                             std::is_same_v<T, std::vector<int>>;
    rows.push_back({name, show(field), unit, description, "", integer, ""});
  }
  std::vector<ParamRow> rows;

 private:
  template <class T>
  static std::string show(const T& v) {
    std::ostringstream os;
    os << v;
    return os.str();
  }
  static std::string show(const bool& v) { return v ? "true" : "false"; }
  static std::string show(const std::string& v) { return v.empty() ? "\"\"" : v; }
  static std::string show(const std::vector<double>& v);
  static std::string show(const std::vector<int>& v);
  static std::string show(const std::vector<std::string>& v);
  static std::string show(const std::vector<std::vector<double>>& v);
  static std::string show(const Records& v);
};

// Reads and validates a Params struct from a scope in one call.
template <class P>
P read_params(const Scope& scope) {
  P p;
  p.bind(ParamReader(scope));
  p.validate(scope);
  return p;
}

// Fills each row's rule from what `validate(scope)` requires, run in recording mode.
template <class Validate>
void attach_rules(std::vector<ParamRow>& rows, Validate&& validate) {
  Config empty;
  std::map<std::string, std::string> rules;
  try {
    validate(Scope(empty, "", &rules));
  } catch (const ConfigError&) {  // a direct fail(): the rules recorded so far still count
  }
  for (auto& row : rows) {
    const auto it = rules.find(row.name);
    if (it != rules.end()) row.rule = it->second;
  }
}

// A Params struct may name keys it accepts (shared with other models, kept for a later
// feature) but does not act on: static std::vector<std::pair<std::string, std::string>>
// not_used() returns (key, reason); describe shows the reason, and the registry-wide
// conformance test accepts such keys as inert.
template <class P, class = void>
struct HasNotUsed : std::false_type {};
template <class P>
struct HasNotUsed<P, std::void_t<decltype(P::not_used())>> : std::true_type {};

// Sets row.not_used from P::not_used(), when P declares one.
template <class P>
void attach_not_used(std::vector<ParamRow>& rows) {
  if constexpr (HasNotUsed<P>::value)
    for (const auto& [key, reason] : P::not_used())
      for (auto& row : rows)
        if (row.name == key) row.not_used = reason;
}

// The parameter table of a Params struct, each row with the rule its validate() enforces.
template <class P>
std::vector<ParamRow> describe_params() {
  P p;
  ParamDescriber d;
  p.bind(d);
  attach_rules(d.rows, [&p](const Scope& s) { p.validate(s); });
  attach_not_used<P>(d.rows);
  return d.rows;
}

}  // namespace xb
