// SPDX-License-Identifier: MIT
#include "learning_rules/layer_plan.h"

#include <cstdlib>
#include <map>

namespace xb::rules {

namespace {

// The keys each layer type takes, beside `type`.
const std::map<std::string, std::vector<std::string>>& layer_keys() {
  static const std::map<std::string, std::vector<std::string>> keys{
      {"conv2d", {"channels", "kernel", "stride", "padding", "analog"}},
      {"max_pool", {"kernel", "stride"}},
      {"avg_pool", {"kernel", "stride"}},
      {"flatten", {}},
      {"linear", {"width", "analog"}},
  };
  return keys;
}

std::string item_name(const std::string& name, std::size_t i) {
  return name + "[" + std::to_string(i) + "]";
}

// An integer field of record i in [lo, hi], or `fallback` when absent (-1: required).
Index int_field(const Scope& s, const std::string& item, const Record& r, const std::string& key,
                Index fallback, Index lo, Index hi) {
  const auto it = r.find(key);
  if (it == r.end()) {
    if (fallback < 0) s.fail(item + "." + key, "(missing)", "is required for this layer type");
    return fallback;
  }
  char* end = nullptr;
  const long long v = std::strtoll(it->second.c_str(), &end, 10);
  if (it->second.empty() || *end != '\0')
    s.fail(item + "." + key, it->second, "must be an integer");
  if (v < lo || v > hi)
    s.fail(item + "." + key, it->second,
           "must be in [" + std::to_string(lo) + ", " + std::to_string(hi) + "]");
  return Index(v);
}

bool bool_field(const Scope& s, const std::string& item, const Record& r, const std::string& key,
                bool fallback) {
  const auto it = r.find(key);
  if (it == r.end()) return fallback;
  if (it->second == "true") return true;
  if (it->second == "false") return false;
  s.fail(item + "." + key, it->second, "must be true or false");
}

}  // namespace

std::string Shape::str() const {
  return std::to_string(c) + "x" + std::to_string(h) + "x" + std::to_string(w);
}

void validate_layer_records(const Scope& s, const std::string& name, const Records& layers) {
  for (std::size_t i = 0; i < layers.size(); ++i) {
    const std::string item = item_name(name, i);
    const Record& r = layers[i];
    const auto t = r.find("type");
    if (t == r.end()) s.fail(item + ".type", "(missing)", "every layer needs a type");
    std::vector<std::string> types;
    for (const auto& [k, v] : layer_keys()) types.push_back(k);
    s.require_one_of(item + ".type", t->second, types);
    const std::vector<std::string>& allowed = layer_keys().at(t->second);
    for (const auto& [k, v] : r) {
      if (k == "type") continue;
      bool ok = false;
      for (const std::string& a : allowed) ok = ok || a == k;
      std::string list;
      for (const std::string& a : allowed) list += (list.empty() ? "" : ", ") + a;
      if (!ok)
        s.fail(item + "." + k, v,
               "is not a key of a " + t->second + " layer" +
                   (list.empty() ? " (it takes none)" : " (it takes " + list + ")"));
    }
    const Index big = Index(1) << 20;
    if (t->second == "conv2d") {
      int_field(s, item, r, "channels", -1, 1, big);
      int_field(s, item, r, "kernel", 3, 1, 1024);
      int_field(s, item, r, "stride", 1, 1, 1024);
      int_field(s, item, r, "padding", 0, 0, 1024);
      bool_field(s, item, r, "analog", false);
    } else if (t->second == "linear") {
      int_field(s, item, r, "width", 0, 1, big);
      bool_field(s, item, r, "analog", false);
    } else if (t->second != "flatten") {
      int_field(s, item, r, "kernel", 2, 1, 1024);
      int_field(s, item, r, "stride", 1, 1, 1024);
    }
  }
}

std::vector<LayerGeometry> plan_layers(const Scope& s, const Records& layers,
                                       const std::vector<int>& hidden, bool analog, Shape input,
                                       Index outputs, const std::string& name) {
  std::vector<LayerGeometry> plan;
  if (layers.empty()) {  // the MLP shorthand: linear layers on the flattened input
    Index fan_in = input.size();
    std::vector<Index> widths(hidden.begin(), hidden.end());
    widths.push_back(outputs);
    for (Index w : widths) {
      LayerGeometry g;
      g.in = {fan_in, 1, 1};
      g.out = {w, 1, 1};
      g.analog = analog;
      plan.push_back(g);
      fan_in = w;
    }
    return plan;
  }
  Shape shape = input;
  for (std::size_t i = 0; i < layers.size(); ++i) {
    const std::string item = item_name(name, i);
    const Record& r = layers[i];
    const std::string type = r.at("type");
    const bool last = i + 1 == layers.size();
    if (last && type != "linear")
      s.fail(item + ".type", type, "the last layer must be linear (the network's output)");
    if (type == "conv2d") {
      LayerGeometry g;
      g.conv = true;
      g.in = shape;
      g.kernel = int_field(s, item, r, "kernel", 3, 1, 1024);
      g.stride = int_field(s, item, r, "stride", 1, 1, 1024);
      g.padding = int_field(s, item, r, "padding", 0, 0, 1024);
      g.analog = bool_field(s, item, r, "analog", analog);
      const Index span_h = shape.h + 2 * g.padding - g.kernel;
      const Index span_w = shape.w + 2 * g.padding - g.kernel;
      if (span_h < 0 || span_w < 0)
        s.fail(item + ".kernel", g.kernel,
               "is larger than the padded input " + shape.str() + " (padding " +
                   std::to_string(g.padding) + ")");
      g.out = {int_field(s, item, r, "channels", -1, 1, Index(1) << 20), span_h / g.stride + 1,
               span_w / g.stride + 1};
      plan.push_back(g);
      shape = g.out;
    } else if (type == "max_pool" || type == "avg_pool") {
      if (plan.empty() || !plan.back().conv || shape.flat())
        s.fail(item + ".type", type, "a pooling layer must follow a conv2d layer");
      Pooling p;
      p.max = type == "max_pool";
      p.kernel = int_field(s, item, r, "kernel", 2, 1, 1024);
      p.stride = int_field(s, item, r, "stride", p.kernel, 1, 1024);
      p.in = shape;
      if (p.kernel > shape.h || p.kernel > shape.w)
        s.fail(item + ".kernel", p.kernel, "is larger than its input " + shape.str());
      p.out = {shape.c, (shape.h - p.kernel) / p.stride + 1, (shape.w - p.kernel) / p.stride + 1};
      plan.back().pools.push_back(p);
      shape = p.out;
    } else if (type == "flatten") {
      shape = {shape.size(), 1, 1};
    } else {  // linear
      if (!shape.flat())
        s.fail(item + ".type", type,
               "its input is a " + shape.str() + " image: put a {type: flatten} layer before it");
      LayerGeometry g;
      g.in = shape;
      const Index width = int_field(s, item, r, "width", last ? outputs : -1, 1, Index(1) << 20);
      if (last && width != outputs)
        s.fail(item + ".width", width,
               "the output layer's width must be the task's " + std::to_string(outputs) +
                   " outputs (or left out)");
      g.out = {width, 1, 1};
      g.analog = bool_field(s, item, r, "analog", analog);
      plan.push_back(g);
      shape = g.out;
    }
  }
  return plan;
}

}  // namespace xb::rules
