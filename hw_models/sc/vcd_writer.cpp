// SPDX-License-Identifier: MIT
#include "hw_models/sc/vcd_writer.h"

#include <cstdio>
#include <memory>
#include <stdexcept>

#include "hw_models/core/errors.h"

namespace xb::sc {

namespace {

// Identifier codes: printable ASCII '!'..'~' in base 94 (IEEE Std 1364-2005, §18.2.1).
std::string code_of(size_t i) {
  std::string s;
  do {
    s.push_back(char('!' + i % 94));
    i /= 94;
  } while (i > 0);
  return s;
}

std::string binary(uint64_t v) {
  if (v == 0) return "b0";
  std::string s;
  while (v) {
    s.insert(s.begin(), char('0' + (v & 1)));
    v >>= 1;
  }
  return "b" + s;
}

// Scope tree in declaration order.
struct Node {
  std::string name;
  std::vector<std::unique_ptr<Node>> kids;
  std::vector<size_t> vars;
  Node* child(const std::string& n) {
    for (auto& k : kids)
      if (k->name == n) return k.get();
    kids.push_back(std::make_unique<Node>());
    kids.back()->name = n;
    return kids.back().get();
  }
};

}  // namespace

VcdWriter::VcdWriter(std::string path, std::string unit, uint64_t start, uint64_t stop)
    : path_(std::move(path)), unit_(std::move(unit)), start_(start), stop_(stop) {
  // Written under a temporary name and renamed when closed, so a trace.vcd is always complete.
  out_.open(path_ + ".part");
  if (!out_) throw ConfigError(path_ + ".part: cannot write the trace");
}

// A failed write (full disk, file-size limit) stops the run with exit 2 at once, naming the file;
// the part written so far stays in trace.vcd.part.
void VcdWriter::check_stream() {
  if (!out_)
    throw ConfigError(path_ + ".part: write failed (disk full or file-size limit?); the trace "
                      "up to here is in that file");
}

VcdWriter::~VcdWriter() {
  try {
    close();
  } catch (...) {
  }
}

int VcdWriter::add_integer(const std::string& name) {
  if (header_) throw std::logic_error("VcdWriter: declaration after the first sample");
  vars_.push_back({name, code_of(vars_.size()), false, false, 0, 0, true});
  return int(vars_.size() - 1);
}

int VcdWriter::add_bit(const std::string& name) {
  if (header_) throw std::logic_error("VcdWriter: declaration after the first sample");
  vars_.push_back({name, code_of(vars_.size()), false, true, 0, 0, true});
  return int(vars_.size() - 1);
}

int VcdWriter::add_real(const std::string& name) {
  if (header_) throw std::logic_error("VcdWriter: declaration after the first sample");
  vars_.push_back({name, code_of(vars_.size()), true, false, 0, 0, true});
  return int(vars_.size() - 1);
}

void VcdWriter::set(int id, uint64_t v) {
  Var& x = vars_[size_t(id)];
  if (x.iv != v) x.dirty = true;
  x.iv = v;
}

void VcdWriter::set(int id, double v) {
  Var& x = vars_[size_t(id)];
  if (!(x.rv == v)) x.dirty = true;
  x.rv = v;
}

void VcdWriter::write_header() {
  header_ = true;
  out_ << "$version xbarsim timed mode $end\n";
  for (const auto& c : comments_) out_ << "$comment " << c << " $end\n";
  out_ << "$timescale 1" << unit_ << " $end\n";
  Node root;
  for (size_t i = 0; i < vars_.size(); ++i) {
    Node* n = &root;
    const std::string& full = vars_[i].name;
    size_t b = 0;
    for (size_t dot; (dot = full.find('.', b)) != std::string::npos; b = dot + 1)
      n = n->child(full.substr(b, dot - b));
    n->vars.push_back(i);
  }
  struct Emit {
    std::ofstream& o;
    const std::vector<Var>& v;
    void operator()(const Node& n) const {
      for (size_t i : n.vars) {
        const Var& x = v[i];
        const std::string leaf = x.name.substr(x.name.rfind('.') + 1);
        // Integers carry an explicit range, so GTKWave names them `leaf[63:0]` (the .gtkw uses it).
        o << "$var " << (x.real ? "real 64 " : x.bit ? "wire 1 " : "wire 64 ") << x.code << " "
          << leaf << (x.real || x.bit ? "" : " [63:0]") << " $end\n";
      }
      for (const auto& k : n.kids) {
        o << "$scope module " << k->name << " $end\n";
        (*this)(*k);
        o << "$upscope $end\n";
      }
    }
  };
  Emit{out_, vars_}(root);
  out_ << "$enddefinitions $end\n";
}

void VcdWriter::write_value(const Var& v) {
  if (v.real) {
    char buf[40];
    std::snprintf(buf, sizeof buf, "r%.17g ", v.rv);
    out_ << buf << v.code << "\n";
  } else if (v.bit) {
    out_ << (v.iv ? '1' : '0') << v.code << "\n";
  } else {
    out_ << binary(v.iv) << " " << v.code << "\n";
  }
}

void VcdWriter::sample(uint64_t t) {
  if (closed_) return;
  if (!header_) write_header();
  check_stream();
  if (!active(t)) return;
  if (!dumped_) {
    out_ << "#" << t << "\n$dumpvars\n";
    for (auto& v : vars_) {
      write_value(v);
      v.dirty = false;
    }
    out_ << "$end\n";
    dumped_ = true;
    have_t_ = true;
    last_t_ = t;
    return;
  }
  bool stamped = have_t_ && t == last_t_;
  for (auto& v : vars_) {
    if (!v.dirty) continue;
    if (!stamped) {
      out_ << "#" << t << "\n";
      stamped = true;
      last_t_ = t;
    }
    write_value(v);
    v.dirty = false;
  }
}

void VcdWriter::close() {
  if (closed_) return;
  if (!header_) write_header();
  closed_ = true;
  out_.flush();
  check_stream();
  out_.close();
  if (!out_) throw ConfigError(path_ + ".part: closing the trace failed");
  if (std::rename((path_ + ".part").c_str(), path_.c_str()) != 0)
    throw ConfigError(path_ + ": cannot rename the finished trace from " + path_ + ".part");
}

}  // namespace xb::sc
