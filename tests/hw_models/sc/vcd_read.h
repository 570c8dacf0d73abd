// SPDX-License-Identifier: MIT
// Reading back a VCD trace in the SystemC tests: the $var names and every value change.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

namespace xb::test {

// The $var names of a VCD, with their enclosing scopes joined by dots.
inline std::set<std::string> vcd_names(const std::string& text) {
  std::set<std::string> names;
  std::vector<std::string> scope;
  std::istringstream in(text);
  std::string tok;
  while (in >> tok) {
    if (tok == "$scope") {
      std::string kind, name;
      in >> kind >> name;
      scope.push_back(name);
    } else if (tok == "$upscope") {
      scope.pop_back();
    } else if (tok == "$var") {
      std::string type, width, code, name;
      in >> type >> width >> code >> name;
      std::string full;
      for (const auto& s : scope) full += s + ".";
      names.insert(full + name);
    } else if (tok == "$enddefinitions") {
      break;
    }
  }
  return names;
}

// Every value change of every var, by full name: (time, value); bits and integers as numbers.
inline std::map<std::string, std::vector<std::pair<uint64_t, double>>> vcd_changes(
    const std::string& text) {
  std::map<std::string, std::string> code_to_name;
  std::map<std::string, std::vector<std::pair<uint64_t, double>>> out;
  std::vector<std::string> scope;
  std::istringstream in(text);
  std::string line;
  bool body = false;
  uint64_t t = 0;
  while (std::getline(in, line)) {
    std::istringstream ls(line);
    std::string tok;
    if (!body) {
      while (ls >> tok) {
        if (tok == "$scope") {
          std::string k, n;
          ls >> k >> n;
          scope.push_back(n);
        } else if (tok == "$upscope") {
          scope.pop_back();
        } else if (tok == "$var") {
          std::string type, width, code, name, full;
          ls >> type >> width >> code >> name;
          for (const auto& sc : scope) full += sc + ".";
          code_to_name[code] = full + name;
        } else if (tok == "$enddefinitions") {
          body = true;
        }
      }
      continue;
    }
    if (line.empty() || line[0] == '$') continue;
    if (line[0] == '#') {
      t = std::stoull(line.substr(1));
    } else if (line[0] == 'r' || line[0] == 'b') {
      const auto sp = line.find(' ');
      const std::string v = line.substr(1, sp - 1), code = line.substr(sp + 1);
      double value = 0;
      if (line[0] == 'r') {
        value = std::stod(v);
      } else {
        for (char c : v) value = value * 2 + (c == '1');
      }
      out[code_to_name[code]].push_back({t, value});
    } else {
      out[code_to_name[line.substr(1)]].push_back({t, double(line[0] == '1')});
    }
  }
  return out;
}

}  // namespace xb::test
