// SPDX-License-Identifier: MIT
#include "sim/npz.h"

#include <zlib.h>

#include <cstring>
#include <fstream>
#include <sstream>

#include "hw_models/core/errors.h"

namespace xb::sim {

namespace {

constexpr std::uint32_t kLocalSig = 0x04034b50, kCentralSig = 0x02014b50, kEndSig = 0x06054b50;
constexpr std::uint64_t kZipLimit = 0xFFFFFFFFull;  // no ZIP64 on writing

void put16(std::string& s, std::uint32_t v) {
  s.push_back(char(v & 0xFF));
  s.push_back(char((v >> 8) & 0xFF));
}
void put32(std::string& s, std::uint32_t v) {
  put16(s, v & 0xFFFF);
  put16(s, v >> 16);
}
std::uint64_t le(const std::string& s, std::size_t at, int bytes) {
  std::uint64_t v = 0;
  for (int k = bytes - 1; k >= 0; --k) v = (v << 8) | std::uint8_t(s[at + std::size_t(k)]);
  return v;
}

std::uint32_t crc_of(const std::string& s) {
  uLong c = crc32(0L, Z_NULL, 0);
  // zlib takes at most 4 GiB per call; entries are below that (checked on writing).
  return std::uint32_t(crc32(c, reinterpret_cast<const Bytef*>(s.data()), uInt(s.size())));
}

std::string npy_bytes(const NpyArray& a) {
  // Python tuples: (), (n,), (r, c).
  std::string shape = "(";
  for (std::size_t k = 0; k < a.shape.size(); ++k)
    shape += (k ? ", " : "") + std::to_string(a.shape[k]);
  shape += a.shape.size() == 1 ? ",)" : ")";
  std::string header =
      "{'descr': '" + a.dtype + "', 'fortran_order': False, 'shape': " + shape + ", }";
  // Magic (6) + version (2) + length (2) + header + '\n' is a multiple of 64 (format 1.0).
  const std::size_t total = 10 + header.size() + 1;
  header.append((64 - total % 64) % 64, ' ');
  header.push_back('\n');
  std::string out("\x93NUMPY\x01\x00", 8);
  put16(out, std::uint32_t(header.size()));
  return out + header + a.data;
}

[[noreturn]] void bad(const std::string& source, const std::string& entry, const std::string& why) {
  throw ConfigError(source + (entry.empty() ? "" : ": " + entry) + ": " + why);
}

NpyArray parse_npy(const std::string& b, const std::string& source, const std::string& entry) {
  if (b.size() < 10 || b.compare(0, 6, "\x93NUMPY") != 0) bad(source, entry, "not a .npy array");
  const int major = std::uint8_t(b[6]);
  if (major != 1 && major != 2) bad(source, entry, "unsupported .npy version " + std::to_string(major));
  const std::size_t len_bytes = major == 1 ? 2 : 4, start = 8 + len_bytes;
  const std::size_t hlen = std::size_t(le(b, 8, int(len_bytes)));
  if (start + hlen > b.size()) bad(source, entry, "truncated .npy header");
  const std::string h = b.substr(start, hlen);
  NpyArray a;
  auto value_after = [&](const std::string& key) -> std::string {
    const std::size_t k = h.find("'" + key + "'");
    if (k == std::string::npos) bad(source, entry, "the .npy header has no '" + key + "'");
    std::size_t v = h.find(':', k);
    if (v == std::string::npos) bad(source, entry, "malformed .npy header");
    ++v;
    while (v < h.size() && h[v] == ' ') ++v;
    return h.substr(v);
  };
  const std::string d = value_after("descr");
  if (d.size() < 2 || d[0] != '\'') bad(source, entry, "malformed descr");
  a.dtype = d.substr(1, d.find('\'', 1) - 1);
  if (value_after("fortran_order").rfind("False", 0) != 0)
    bad(source, entry, "Fortran-ordered arrays are not supported (save a C-ordered copy)");
  const std::string s = value_after("shape");
  if (s.empty() || s[0] != '(') bad(source, entry, "malformed shape");
  std::istringstream in(s.substr(1, s.find(')') - 1));
  std::string tok;
  while (std::getline(in, tok, ','))
    if (tok.find_first_not_of(' ') != std::string::npos) {
      if (tok.find_first_not_of(" 0123456789") != std::string::npos || tok.size() > 19)
        bad(source, entry, "malformed shape '" + s.substr(0, s.find(')') + 1) + "'");
      a.shape.push_back(std::stoull(tok));
    }
  std::size_t item = 0;
  if (a.dtype == "<f8" || a.dtype == "<u8" || a.dtype == "<i8") item = 8;
  if (a.dtype == "<f4") item = 4;
  if (item == 0) bad(source, entry, "dtype '" + a.dtype + "' is not supported (<f8, <f4, <u8, <i8)");
  a.data = b.substr(start + hlen);
  // Element count of the shape, stopping once it exceeds what the bytes could hold.
  std::uint64_t elements = 1;
  bool fits = true;
  for (auto d : a.shape) {
    fits = fits && (d == 0 || elements <= a.data.size() / d);
    if (fits) elements *= d;
  }
  if (!fits || a.data.size() != elements * item)
    bad(source, entry, "holds " + std::to_string(a.data.size()) +
                           " bytes, not what its dtype and shape need");
  return a;
}

template <class T>
std::string raw(const T* p, std::size_t n) {
  return std::string(reinterpret_cast<const char*>(p), n * sizeof(T));
}

}  // namespace

std::uint64_t NpyArray::size() const {
  std::uint64_t n = 1;
  for (auto d : shape) n *= d;
  return n;
}

void Npz::add(const std::string& name, const MatrixD& m) {
  arrays_[name] = {"<f8", {std::uint64_t(m.rows()), std::uint64_t(m.cols())},
                   raw(m.data(), std::size_t(m.size()))};  // row-major: C order
}
void Npz::add(const std::string& name, const VectorD& v) {
  arrays_[name] = {"<f8", {std::uint64_t(v.size())}, raw(v.data(), std::size_t(v.size()))};
}
void Npz::add(const std::string& name, const Array& a) {
  arrays_[name] = {"<f4", {std::uint64_t(a.rows()), std::uint64_t(a.cols())},
                   raw(a.data(), std::size_t(a.size()))};
}
void Npz::add(const std::string& name, const std::vector<std::uint64_t>& v) {
  arrays_[name] = {"<u8", {std::uint64_t(v.size())}, raw(v.data(), v.size())};
}
void Npz::add(const std::string& name, double scalar) {
  arrays_[name] = {"<f8", {}, raw(&scalar, 1)};
}

const NpyArray& Npz::get(const std::string& name, const char* dtype) const {
  auto it = arrays_.find(name);
  if (it == arrays_.end()) bad(source_, name + ".npy", "missing");
  if (it->second.dtype != dtype)
    bad(source_, name + ".npy", "dtype " + it->second.dtype + ", expected " + dtype);
  return it->second;
}

MatrixD Npz::matrix(const std::string& name) const {
  const NpyArray& a = get(name, "<f8");
  if (a.shape.size() != 2) bad(source_, name + ".npy", "expected a 2-D array");
  MatrixD m(Index(a.shape[0]), Index(a.shape[1]));
  std::memcpy(m.data(), a.data.data(), a.data.size());
  return m;
}

VectorD Npz::vector(const std::string& name) const {
  const NpyArray& a = get(name, "<f8");
  if (a.shape.size() != 1) bad(source_, name + ".npy", "expected a 1-D array");
  VectorD v(Index(a.shape[0]));
  std::memcpy(v.data(), a.data.data(), a.data.size());
  return v;
}

Array Npz::float_array(const std::string& name, Index rows, Index cols) const {
  const NpyArray& a = get(name, "<f4");
  if (a.shape.size() != 2 || a.shape[0] != std::uint64_t(rows) || a.shape[1] != std::uint64_t(cols))
    bad(source_, name + ".npy",
        "expected shape (" + std::to_string(rows) + ", " + std::to_string(cols) + ")");
  Array m(rows, cols);
  std::memcpy(m.data(), a.data.data(), a.data.size());
  return m;
}

std::vector<std::uint64_t> Npz::u64(const std::string& name) const {
  const NpyArray& a = get(name, "<u8");
  std::vector<std::uint64_t> v(std::size_t(a.size()));
  std::memcpy(v.data(), a.data.data(), a.data.size());
  return v;
}

double Npz::scalar(const std::string& name) const {
  const NpyArray& a = get(name, "<f8");
  if (a.size() != 1) bad(source_, name + ".npy", "expected one number");
  double v = 0;
  std::memcpy(&v, a.data.data(), sizeof v);
  return v;
}

std::string Npz::serialize() const {
  std::string out, central;
  std::uint32_t entries = 0;
  for (const auto& [name, a] : arrays_) {
    const std::string file = name + ".npy";
    const std::string body = npy_bytes(a);
    if (body.size() > kZipLimit || out.size() > kZipLimit)
      throw ConfigError("npz: array '" + name + "' would put the archive past 4 GiB, which this "
                        "writer does not support");
    const std::uint32_t crc = crc_of(body), size = std::uint32_t(body.size());
    const std::uint32_t offset = std::uint32_t(out.size());
    auto common = [&](std::string& s) {
      put16(s, 20);      // version needed: 2.0
      put16(s, 0);       // flags
      put16(s, 0);       // stored
      put16(s, 0);       // time 00:00
      put16(s, 0x21);    // date 1980-01-01: fixed, so the archive depends on the data only
      put32(s, crc);
      put32(s, size);    // compressed
      put32(s, size);    // uncompressed
      put16(s, std::uint32_t(file.size()));
      put16(s, 0);       // extra
    };
    put32(out, kLocalSig);
    common(out);
    out += file;
    out += body;
    put32(central, kCentralSig);
    put16(central, 20);  // made by
    common(central);
    put16(central, 0);   // comment
    put16(central, 0);   // disk
    put16(central, 0);   // internal attributes
    put32(central, 0);   // external attributes
    put32(central, offset);
    central += file;
    ++entries;
  }
  if (out.size() + central.size() > kZipLimit || entries > 0xFFFF)
    throw ConfigError("npz: the archive would pass 4 GiB or 65535 arrays");
  const std::uint32_t cd_offset = std::uint32_t(out.size());
  out += central;
  put32(out, kEndSig);
  put16(out, 0);
  put16(out, 0);
  put16(out, entries);
  put16(out, entries);
  put32(out, std::uint32_t(central.size()));
  put32(out, cd_offset);
  put16(out, 0);
  return out;
}

Npz Npz::parse(const std::string& b, const std::string& source) {
  Npz z;
  z.source_ = source;
  // The end record is in the last 22 + 65535 bytes (its comment is at most 65535 bytes).
  std::size_t end = std::string::npos;
  if (b.size() >= 22) {
    const std::size_t lowest = b.size() > 22 + 65535 ? b.size() - 22 - 65535 : 0;
    for (std::size_t k = b.size() - 21; k-- > lowest;)
      if (le(b, k, 4) == kEndSig) {
        end = k;
        break;
      }
  }
  if (end == std::string::npos) bad(source, "", "not a ZIP/npz archive");
  const std::uint64_t n = le(b, end + 10, 2), cd = le(b, end + 16, 4);
  std::size_t at = std::size_t(cd);
  for (std::uint64_t e = 0; e < n; ++e) {
    if (at + 46 > b.size() || le(b, at, 4) != kCentralSig) bad(source, "", "corrupt directory");
    const std::uint64_t method = le(b, at + 10, 2), crc = le(b, at + 16, 4);
    std::uint64_t csize = le(b, at + 20, 4), usize = le(b, at + 24, 4);
    const std::size_t name_len = std::size_t(le(b, at + 28, 2)),
                      extra_len = std::size_t(le(b, at + 30, 2)),
                      comment_len = std::size_t(le(b, at + 32, 2));
    std::uint64_t offset = le(b, at + 42, 4);
    if (at + 46 + name_len + extra_len > b.size()) bad(source, "", "corrupt directory");
    const std::string file = b.substr(at + 46, name_len);
    // ZIP64 extra field (numpy.savez may write one): the 8-byte values replace the 0xFFFFFFFF ones.
    for (std::size_t x = at + 46 + name_len; x + 4 <= at + 46 + name_len + extra_len;) {
      const std::uint64_t id = le(b, x, 2), len = le(b, x + 2, 2);
      std::size_t v = x + 4;
      if (id == 1) {
        if (usize == kZipLimit) usize = le(b, v, 8), v += 8;
        if (csize == kZipLimit) csize = le(b, v, 8), v += 8;
        if (offset == kZipLimit) offset = le(b, v, 8);
      }
      x += 4 + std::size_t(len);
    }
    if (method != 0 || csize != usize)
      bad(source, file, "compressed entries are not supported (use numpy.savez, not savez_compressed)");
    // Offsets and sizes come from the file: compared without sums that could wrap.
    if (b.size() < 30 || offset > b.size() - 30 || le(b, std::size_t(offset), 4) != kLocalSig)
      bad(source, file, "corrupt entry");
    const std::size_t lo = std::size_t(offset);
    const std::size_t data = lo + 30 + std::size_t(le(b, lo + 26, 2)) + std::size_t(le(b, lo + 28, 2));
    if (data > b.size() || csize > b.size() - data) bad(source, file, "truncated");
    const std::string body = b.substr(data, std::size_t(csize));
    if (crc_of(body) != crc) bad(source, file, "CRC mismatch (corrupt file)");
    if (file.size() < 4 || file.compare(file.size() - 4, 4, ".npy") != 0)
      bad(source, file, "not a .npy entry");
    z.arrays_[file.substr(0, file.size() - 4)] = parse_npy(body, source, file);
    at += 46 + name_len + extra_len + comment_len;
  }
  return z;
}

Npz Npz::load(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ConfigError(path + ": cannot be read");
  std::stringstream ss;
  ss << in.rdbuf();
  return parse(ss.str(), path);
}

}  // namespace xb::sim
