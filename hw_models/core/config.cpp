// SPDX-License-Identifier: MIT
#include "hw_models/core/config.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "hw_models/core/params.h"  // parse_si_number

namespace xb {

namespace {

// yaml-cpp nodes are references: `a = b` overwrites the referenced node, so walking the
// tree must use reset(). These helpers keep that detail in one place.
YAML::Node child(const YAML::Node& parent, const std::string& name) {
  if (!parent || !parent.IsMap()) return YAML::Node(YAML::NodeType::Undefined);
  for (auto it = parent.begin(); it != parent.end(); ++it)
    if (it->first.as<std::string>() == name) return it->second;
  return YAML::Node(YAML::NodeType::Undefined);
}

YAML::Node find(const YAML::Node& root, const std::vector<std::string>& parts) {
  YAML::Node cur;
  cur.reset(root);
  for (const auto& p : parts) {
    YAML::Node next = child(cur, p);
    if (!next.IsDefined()) return next;
    cur.reset(next);
  }
  return cur;
}

// Sets root[parts...] = value, creating maps on the way. Returns false when a non-map
// node stands in the way.
bool assign(YAML::Node& root, const std::vector<std::string>& parts, const YAML::Node& value) {
  if (!root.IsDefined() || root.IsNull()) root = YAML::Node(YAML::NodeType::Map);
  YAML::Node cur;
  cur.reset(root);
  for (std::size_t i = 0; i + 1 < parts.size(); ++i) {
    if (!cur.IsMap()) return false;
    YAML::Node next = child(cur, parts[i]);
    if (!next.IsDefined() || next.IsNull()) {
      cur[parts[i]] = YAML::Node(YAML::NodeType::Map);
      next.reset(cur[parts[i]]);
    }
    cur.reset(next);
  }
  if (!cur.IsMap()) return false;
  cur[parts.back()] = value;
  return true;
}

// Iterative (an explicit stack, in document order): the walk must not recurse on a depth the
// user controls.
std::vector<std::string> collect_leaves(const YAML::Node& root) {
  std::vector<std::string> out;
  std::vector<std::pair<YAML::Node, std::string>> todo;  // node, its dotted key
  todo.emplace_back(root, "");
  while (!todo.empty()) {
    const YAML::Node node = todo.back().first;
    const std::string prefix = std::move(todo.back().second);
    todo.pop_back();
    if (node.IsMap() && node.size() > 0) {
      std::vector<std::pair<YAML::Node, std::string>> kids;
      for (auto it = node.begin(); it != node.end(); ++it) {
        const std::string k = it->first.as<std::string>();
        kids.emplace_back(it->second, prefix.empty() ? k : prefix + "." + k);
      }
      todo.insert(todo.end(), kids.rbegin(), kids.rend());
    } else if (!prefix.empty()) {
      out.push_back(prefix);
    }
  }
  return out;
}

// What a declared key set to null should hold instead, judged from the default the model
// recorded in the effective config; "" when `key` is neither a declared key nor a section.
std::string null_rule(const std::string& key, const std::set<std::string>& declared,
                      const YAML::Node& effective) {
  const std::string tail = " (got null); write a value or delete the key to use the default";
  if (declared.count(key)) {
    const YAML::Node def = find(effective, split_key(key));
    if (def.IsSequence()) return "must be a list" + tail;
    if (def.IsScalar()) {
      const std::string text = def.Scalar();
      if (text == "true" || text == "false") return "must be true or false" + tail;
      double unused = 0;
      if (parse_si_number(text, "", unused)) return "must be a number" + tail;
    }
    return "must be a value" + tail;
  }
  const auto in_section = declared.lower_bound(key + ".");
  if (in_section != declared.end() && in_section->rfind(key + ".", 0) == 0)
    return "must be a section of keys (got null); write its keys or delete it";
  return "";
}

// Every map key must be a plain scalar (the tree is addressed by dotted keys), and the tree
// must be finite and shallow: yaml-cpp accepts complex keys (`? [a, b]: 1`), and aliases make a
// DAG that walkers would otherwise visit exponentially often.
void check_tree(const YAML::Node& n, const std::string& source, const std::string& where,
                int depth, std::size_t& budget) {
  const std::string at = where.empty() ? "the document" : where;
  // The recursion below is bounded by this check.
  if (depth > kMaxNesting)
    throw ConfigError(source + ": " + at.substr(0, at.find('[')) + ": nested more than " +
                      std::to_string(kMaxNesting) + " levels deep");
  if (budget-- == 0)
    throw ConfigError(source + ": more than 1000000 YAML nodes (after expanding aliases)");
  if (n.IsMap()) {
    std::set<std::string> seen;  // yaml-cpp keeps duplicate keys and lookups see the first only
    for (auto it = n.begin(); it != n.end(); ++it) {
      if (!it->first.IsScalar())
        throw ConfigError(source + ": " + at + ": a key must be a plain name, not a list or map");
      const std::string k = it->first.Scalar();
      // yaml-cpp 0.7 reads `<<: *anchor` as a key named "<<", which would then be reported
      // as an unknown key (or, nested in a list, pass unread).
      if (k == "<<")
        throw ConfigError(source + ": " + at + ": merge keys (<<) are not supported; write the "
                          "keys out");
      if (!seen.insert(k).second)
        throw ConfigError(source + ": " + (where.empty() ? k : where + "." + k) +
                          ": the key appears twice in the same mapping");
      check_tree(it->second, source, where.empty() ? k : where + "." + k, depth + 1, budget);
    }
  } else if (n.IsSequence()) {
    for (std::size_t i = 0; i < n.size(); ++i)
      check_tree(n[i], source, where + "[" + std::to_string(i) + "]", depth + 1, budget);
  }
}

YAML::Node parse(const std::string& text, const std::string& source) {
  try {
    YAML::Node n = load_one_document(text, source);
    if (n.IsNull() || !n.IsDefined()) return YAML::Node(YAML::NodeType::Map);
    if (!n.IsMap())
      throw ConfigError(source + ": the document must be a mapping of keys to values");
    std::size_t budget = 1000000;
    check_tree(n, source, "", 0, budget);
    return n;
  } catch (const YAML::Exception& e) {
    std::ostringstream os;
    os << source << ": line " << e.mark.line + 1 << ", column " << e.mark.column + 1
       << ": malformed YAML: " << e.msg;
    throw ConfigError(os.str());
  }
}

}  // namespace

void check_yaml_tree(const YAML::Node& root, const std::string& source) {
  std::size_t budget = 1000000;
  check_tree(root, source, "", 0, budget);
}

namespace {

// Whether content follows a document boundary: a `---` line after content, or a `...` line.
// Markers are recognised at column 0 only, as YAML defines them. (yaml-cpp's LoadAll is not
// used for this: on some malformed input it never returns and allocates without bound.)
bool has_second_document(const std::string& text) {
  bool content = false, boundary = false;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    auto marker = [&line](const char* m) {
      return line.compare(0, 3, m) == 0 && (line.size() == 3 || line[3] == ' ' || line[3] == '\t');
    };
    const bool dashes = marker("---"), dots = marker("...");
    const std::string rest = dashes || dots ? line.substr(3) : line;
    const auto first = rest.find_first_not_of(" \t");
    const bool blank = first == std::string::npos || rest[first] == '#' ||
                       (!content && rest[first] == '%');  // directives precede a document
    if ((dashes || dots) && content) boundary = true;
    if (blank) continue;
    if (boundary) return true;
    content = true;
  }
  return false;
}

}  // namespace

YAML::Node load_one_document(const std::string& text, const std::string& source) {
  YAML::Node doc = YAML::Load(text);
  if (has_second_document(text))
    throw ConfigError(source + ": the file holds more than one YAML document (a second one "
                      "starts after `---`); put every key in the first");
  return doc;
}

void check_key_depth(const std::string& dotted, const std::string& value,
                     const std::string& source) {
  const std::size_t levels = std::size_t(std::count(dotted.begin(), dotted.end(), '.')) + 1;
  if (levels <= std::size_t(kMaxNesting)) return;
  // The key itself may be tens of kilobytes: its first parts (or 60 characters) are enough
  // to find it.
  const std::size_t cut = std::min(dotted.rfind('.', 60), std::size_t(60));
  const std::string shown = dotted.size() > 60 ? dotted.substr(0, cut) + "..." : dotted;
  throw ConfigError(config_message(source, shown, value,
                                   "the key is nested " + std::to_string(levels) +
                                       " levels deep, more than " +
                                       std::to_string(kMaxNesting) + " levels"));
}

std::vector<std::string> split_key(const std::string& dotted) {
  std::vector<std::string> parts;
  std::string cur;
  for (char c : dotted) {
    if (c == '.') {
      parts.push_back(cur);
      cur.clear();
    } else {
      cur += c;
    }
  }
  parts.push_back(cur);
  return parts;
}

std::size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<std::size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j)
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] != b[j - 1])});
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

std::string nearest(const std::string& word, const std::vector<std::string>& candidates) {
  std::string best;
  std::size_t best_d = std::string::npos;
  for (const auto& c : candidates) {
    const std::size_t d = edit_distance(word, c);
    if (d < best_d) {
      best_d = d;
      best = c;
    }
  }
  // A plausible typo: a third of the word's length, at least two edits.
  const std::size_t limit = std::max<std::size_t>(2, word.size() / 3);
  return best_d <= limit ? best : std::string();
}

std::string did_you_mean(const std::string& word, const std::vector<std::string>& candidates,
                         const std::string& otherwise) {
  const std::string near = nearest(word, candidates);
  return near.empty() ? otherwise : " (did you mean '" + near + "'?)";
}

Config::Config()
    : source_("<config>"), root_(YAML::NodeType::Map), effective_(YAML::NodeType::Map) {}

Config Config::from_file(const std::string& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec))
    throw ConfigError(path + ": is a folder, not a config file");
  std::ifstream in(path);
  if (!in) throw ConfigError(path + ": cannot open the config file");
  std::stringstream ss;
  ss << in.rdbuf();
  return from_string(ss.str(), path);
}

Config Config::clone() const {
  Config c = *this;
  // reset(), not `=`: assigning to a YAML::Node writes through to the node it shares.
  c.root_.reset(YAML::Clone(root_));
  c.effective_.reset(YAML::Clone(effective_));
  for (auto& [k, v] : c.preset_sections_) v.reset(YAML::Clone(v));
  return c;
}

Config Config::from_string(const std::string& text, const std::string& source) {
  Config c;
  c.source_ = source;
  c.root_ = parse(text, source);
  return c;
}

void Config::apply_override(const std::string& assignment) {
  const auto eq = assignment.find('=');
  if (eq == std::string::npos || eq == 0)
    throw ConfigError("--set " + assignment + ": expected KEY=VALUE with a dotted key");
  const std::string key = assignment.substr(0, eq);
  const std::string text = assignment.substr(eq + 1);
  check_key_depth(key, text, "--set");
  const std::vector<std::string> parts = split_key(key);
  for (const auto& part : parts)
    if (part.empty()) throw ConfigError("--set " + assignment + ": empty part in the dotted key");
  YAML::Node value;
  try {
    value = load_one_document(text, "--set " + key);
  } catch (const YAML::Exception& e) {
    throw ConfigError("--set " + key + " = " + text + ": malformed YAML value: " + e.msg);
  }
  // The value hangs below the key's own levels: both count against the nesting limit.
  std::size_t budget = 1000000;
  check_tree(value, "--set", key, int(parts.size()), budget);
  if (!assign(root_, parts, value))
    throw ConfigError("--set " + key + " = " + text + ": a parent of this key is not a mapping");
  overridden_.insert(key);
}

void Config::expand_preset(const std::string& section, const std::string& preset_dir,
                           const std::vector<std::string>& known_presets,
                           const std::vector<std::string>& siblings) {
  YAML::Node user = get(section);
  if (!user.IsMap()) return;
  YAML::Node name_node = child(user, "preset");
  if (!name_node.IsDefined()) return;
  const std::string key = section + ".preset";
  declare(key);
  mark_used(key);
  if (!name_node.IsScalar())
    throw ConfigError(config_message(source_of(key), key, "<non-scalar>", "must be a preset name"));
  const std::string name = name_node.as<std::string>();
  if (std::find(known_presets.begin(), known_presets.end(), name) == known_presets.end()) {
    throw ConfigError(config_message(source_of(key), key, name,
                                     "unknown preset" + did_you_mean(name, known_presets)));
  }
  const std::string path = preset_dir + "/" + name + ".yaml";
  Config preset = from_file(path);
  YAML::Node merged = YAML::Clone(preset.root_);
  // A preset chosen on the command line switches the device: the file's keys described the
  // file's device (another law's keys, say), so only keys also given by --set go on top.
  const bool switched = source_of(key) == "--set";
  for (auto it = user.begin(); it != user.end(); ++it) {
    const std::string k = it->first.as<std::string>();
    if (switched && k != "preset" && source_of(section + "." + k) != "--set") continue;
    merged[k] = YAML::Clone(it->second);
  }
  for (const std::string& sib : siblings) {
    const YAML::Node node = static_cast<const YAML::Node&>(merged)[sib];
    if (!node.IsDefined()) continue;
    preset_sections_[sib] = YAML::Clone(node);
    merged.remove(sib);
  }
  assign(root_, split_key(section), merged);
  set_effective(key, YAML::Node(name));
}

YAML::Node Config::lookup(const std::string& key) const {
  std::vector<std::string> parts = split_key(key);
  YAML::Node n = find(root_, parts);
  if (n.IsDefined() || parts.empty()) return n;
  const auto it = preset_sections_.find(parts.front());
  if (it == preset_sections_.end()) return n;
  // The user's own keys of the section go over the preset's, unless they switch its type.
  const YAML::Node user_type = find(root_, {parts.front(), "type"});
  const YAML::Node preset_type = find(it->second, {"type"});
  if (user_type.IsDefined() && !(preset_type.IsDefined() && user_type.IsScalar() &&
                                 user_type.Scalar() == preset_type.Scalar()))
    return n;
  parts.erase(parts.begin());
  return find(it->second, parts);
}

bool Config::has(const std::string& key) const {
  YAML::Node n = lookup(key);
  return n.IsDefined() && !n.IsNull();
}

YAML::Node Config::get(const std::string& key) const { return lookup(key); }

std::string Config::source_of(const std::string& key) const {
  for (const auto& o : overridden_)
    if (key == o || key.rfind(o + ".", 0) == 0) return "--set";
  return source_;
}

void Config::declare(const std::string& key) { declared_.insert(key); }
void Config::mark_used(const std::string& key) { used_.insert(key); }

std::vector<std::string> Config::user_keys() const {
  return collect_leaves(root_);
}

void Config::check_all_used() const {
  for (const auto& key : user_keys()) {
    bool used = used_.count(key) > 0;
    // A key inside a used subtree (a list or map read whole) counts as used.
    for (const auto& u : used_)
      if (key.rfind(u + ".", 0) == 0) used = true;
    if (used) continue;
    // A known key left empty (`dw_min:` or `dw_min: ~`) is not read, but it is no typo.
    if (get(key).IsNull()) {
      const std::string rule = null_rule(key, declared_, effective_);
      if (!rule.empty()) throw ConfigError(config_message(source_of(key), key, "null", rule));
    }
    const std::vector<std::string> cands(declared_.begin(), declared_.end());
    std::string hint = did_you_mean(key, cands);
    if (hint.empty()) {
      // List the valid keys of the same section, which is what the user needs next.
      const auto dot = key.rfind('.');
      const std::string section = dot == std::string::npos ? "" : key.substr(0, dot + 1);
      std::string valid;
      for (const auto& c : cands)
        if (c.rfind(section, 0) == 0 && c.find('.', section.size()) == std::string::npos)
          valid += (valid.empty() ? "" : ", ") + c.substr(section.size());
      if (!valid.empty()) hint = "; valid keys here: " + valid;
    }
    YAML::Emitter e;
    e << YAML::Flow << get(key);
    throw ConfigError(config_message(source_of(key), key, e.c_str(), "unknown key" + hint));
  }
}

void Config::set_effective(const std::string& key, const YAML::Node& value) {
  assign(effective_, split_key(key), YAML::Clone(value));
}

std::string Config::effective_yaml() const {
  YAML::Emitter e;
  e << effective_;
  return std::string(e.c_str()) + "\n";
}

}  // namespace xb
