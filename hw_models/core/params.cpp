// SPDX-License-Identifier: MIT
#include "hw_models/core/params.h"

#include <cctype>
#include <cstdlib>
#include <limits>

namespace xb {

namespace {

std::string show_node(const YAML::Node& n) {
  YAML::Emitter e;
  e << YAML::Flow << n;
  return e.c_str();
}

double si_prefix(char c) {
  switch (c) {
    case 'f': return 1e-15;
    case 'p': return 1e-12;
    case 'n': return 1e-9;
    case 'u': return 1e-6;
    case 'm': return 1e-3;
    case 'k': return 1e3;
    case 'M': return 1e6;
    case 'G': return 1e9;
    default: return 0.0;
  }
}

}  // namespace

void Scope::record_rule(const std::string& name, const std::string& rule) const {
  std::string& all = (*rules_)[name];
  if (all.find(rule) == std::string::npos) all += (all.empty() ? "" : "; ") + rule;
}

void Scope::require_one_of(const std::string& name, const std::string& v,
                           const std::vector<std::string>& allowed) const {
  std::string rule = "must be one of ";
  for (std::size_t i = 0; i < allowed.size(); ++i) rule += (i ? ", " : "") + allowed[i];
  if (rules_) return record_rule(name, rule);
  for (const auto& a : allowed)
    if (a == v) return;
  fail(name, v, rule + did_you_mean(v, allowed));
}

bool parse_si_number(const std::string& text, const std::string& unit, double& out) {
  if (text.empty()) return false;
  const char* begin = text.c_str();
  char* end = nullptr;
  const double v = std::strtod(begin, &end);
  if (end == begin) return false;
  // Only plain decimal notation: strtod would also accept hex, "inf" and "nan".
  for (const char* p = begin; p != end; ++p)
    if (!(std::isdigit(static_cast<unsigned char>(*p)) || *p == '-' || *p == '+' || *p == '.' ||
          *p == 'e' || *p == 'E'))
      return false;
  std::string rest(end);
  if (!unit.empty() && unit != "1" && rest.size() >= unit.size() &&
      rest.compare(rest.size() - unit.size(), unit.size(), unit) == 0)
    rest.resize(rest.size() - unit.size());
  if (rest.empty()) {
    out = v;
    return true;
  }
  if (rest.size() == 1 && si_prefix(rest[0]) != 0.0) {
    out = v * si_prefix(rest[0]);
    return true;
  }
  return false;
}

void ParamReader::read(const char* name, const YAML::Node& n, double& out,
                       const std::string& unit) {
  double v = 0;
  const std::string text = n.IsScalar() ? n.Scalar() : show_node(n);
  if (!n.IsScalar() || !parse_si_number(text, unit, v)) {
    if (n.IsScalar() && (text == ".nan" || text == ".inf" || text == "-.inf" || text == "nan" ||
                         text == "inf" || text == "-inf" || text == ".NaN" || text == ".Inf"))
      scope_.fail(name, text, "must be a finite number");
    scope_.fail(name, text, "must be a number" + (unit.empty() || unit == "1" ? std::string() :
                                                   " (in " + unit + ", SI prefixes allowed)"));
  }
  if (!std::isfinite(v)) scope_.fail(name, text, "must be a finite number");
  out = v;
}

void ParamReader::read(const char* name, const YAML::Node& n, float& out,
                       const std::string& unit) {
  double v = 0;
  read(name, n, v, unit);
  if (std::abs(v) > std::numeric_limits<float>::max())
    scope_.fail(name, v, "must fit in single precision");
  out = static_cast<float>(v);
}

void ParamReader::read(const char* name, const YAML::Node& n, int64_t& out,
                       const std::string& unit) {
  double v = 0;
  read(name, n, v, unit);
  if (v != std::floor(v) || std::abs(v) > 9.0e15)
    scope_.fail(name, n.Scalar(), "must be an integer");
  out = static_cast<int64_t>(v);
}

void ParamReader::read(const char* name, const YAML::Node& n, int& out, const std::string& unit) {
  int64_t v = 0;
  read(name, n, v, unit);
  if (v > std::numeric_limits<int>::max() || v < std::numeric_limits<int>::min())
    scope_.fail(name, v, "must fit in a 32-bit integer");
  out = static_cast<int>(v);
}

void ParamReader::read(const char* name, const YAML::Node& n, bool& out, const std::string&) {
  if (n.IsScalar()) {
    const std::string s = n.Scalar();
    if (s == "true" || s == "True" || s == "yes" || s == "on") return void(out = true);
    if (s == "false" || s == "False" || s == "no" || s == "off") return void(out = false);
  }
  scope_.fail(name, show_node(n), "must be true or false");
}

void ParamReader::read(const char* name, const YAML::Node& n, std::string& out,
                       const std::string&) {
  if (!n.IsScalar()) scope_.fail(name, show_node(n), "must be a single value, not a list or map");
  out = n.Scalar();
}

template <class T>
void ParamReader::read_list(const char* name, const YAML::Node& n, std::vector<T>& out,
                            const std::string& unit, const char* rule) {
  if (!n.IsSequence()) scope_.fail(name, show_node(n), rule);
  out.clear();
  for (std::size_t i = 0; i < n.size(); ++i) {
    T v{};
    read((std::string(name) + "[" + std::to_string(i) + "]").c_str(), n[i], v, unit);
    out.push_back(v);
  }
}

void ParamReader::read(const char* name, const YAML::Node& n, std::vector<double>& out,
                       const std::string& unit) {
  read_list(name, n, out, unit, "must be a list of numbers");
}

void ParamReader::read(const char* name, const YAML::Node& n, std::vector<int>& out,
                       const std::string& unit) {
  read_list(name, n, out, unit, "must be a list of integers");
}

void ParamReader::read(const char* name, const YAML::Node& n, std::vector<std::string>& out,
                       const std::string& unit) {
  read_list(name, n, out, unit, "must be a list");
}

void ParamReader::read(const char* name, const YAML::Node& n,
                       std::vector<std::vector<double>>& out, const std::string& unit) {
  read_list(name, n, out, unit, "must be a list of lists of numbers");
}

void ParamReader::read(const char* name, const YAML::Node& n, Records& out, const std::string&) {
  if (!n.IsSequence()) scope_.fail(name, show_node(n), "must be a list of maps");
  out.clear();
  for (std::size_t i = 0; i < n.size(); ++i) {
    const std::string item = std::string(name) + "[" + std::to_string(i) + "]";
    if (!n[i].IsMap()) scope_.fail(item, show_node(n[i]), "must be a map of key: value");
    Record r;
    for (const auto& kv : n[i]) {
      const std::string k = kv.first.Scalar();
      if (!kv.second.IsScalar())
        scope_.fail(item + "." + k, show_node(kv.second), "must be a single value");
      r[k] = kv.second.Scalar();
    }
    out.push_back(std::move(r));
  }
}

YAML::Node ParamReader::to_node(const Records& v) {
  YAML::Node n(YAML::NodeType::Sequence);
  for (const Record& r : v) {
    YAML::Node m(YAML::NodeType::Map);
    for (const auto& [k, x] : r) m[k] = x;
    m.SetStyle(YAML::EmitterStyle::Flow);
    n.push_back(m);
  }
  return n;
}

YAML::Node ParamReader::to_node(const std::vector<double>& v) {
  YAML::Node n(YAML::NodeType::Sequence);
  for (double x : v) n.push_back(x);
  n.SetStyle(YAML::EmitterStyle::Flow);
  return n;
}
YAML::Node ParamReader::to_node(const std::vector<int>& v) {
  YAML::Node n(YAML::NodeType::Sequence);
  for (int x : v) n.push_back(x);
  n.SetStyle(YAML::EmitterStyle::Flow);
  return n;
}
YAML::Node ParamReader::to_node(const std::vector<std::string>& v) {
  YAML::Node n(YAML::NodeType::Sequence);
  for (const auto& x : v) n.push_back(x);
  n.SetStyle(YAML::EmitterStyle::Flow);
  return n;
}
YAML::Node ParamReader::to_node(const std::vector<std::vector<double>>& v) {
  YAML::Node n(YAML::NodeType::Sequence);
  for (const auto& row : v) n.push_back(to_node(row));
  n.SetStyle(YAML::EmitterStyle::Flow);
  return n;
}

namespace {
template <class V>
std::string join(const V& v) {
  std::ostringstream os;
  os << "[";
  for (std::size_t i = 0; i < v.size(); ++i) os << (i ? ", " : "") << v[i];
  os << "]";
  return os.str();
}
}  // namespace

std::string ParamDescriber::show(const std::vector<double>& v) { return join(v); }
std::string ParamDescriber::show(const std::vector<int>& v) { return join(v); }
std::string ParamDescriber::show(const std::vector<std::string>& v) { return join(v); }
std::string ParamDescriber::show(const Records& v) {
  std::string s = "[";
  for (std::size_t i = 0; i < v.size(); ++i) {
    s += i ? ", {" : "{";
    bool first = true;
    for (const auto& [k, x] : v[i]) s += (first ? "" : ", ") + k + ": " + x, first = false;
    s += "}";
  }
  return s + "]";
}
std::string ParamDescriber::show(const std::vector<std::vector<double>>& v) {
  std::string s = "[";
  for (std::size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + join(v[i]);
  return s + "]";
}

}  // namespace xb
