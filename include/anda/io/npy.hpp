// NumPy .npy files (format versions 1.0, 2.0 and 3.0): reading float16/float32 arrays and writing
// float32 arrays, every field and size checked.
//
// Layout: the magic "\x93NUMPY", a major and a minor version byte, the header length (2 bytes
// little-endian in 1.0, 4 bytes in 2.0/3.0), then an ASCII (UTF-8 in 3.0) Python dict literal
// such as {'descr': '<f2', 'fortran_order': False, 'shape': (64, 256), } padded with spaces to
// a multiple of 64 bytes and ended by '\n', then the raw little-endian data in C order.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "anda/format/error.hpp"

namespace anda::io {

static_assert(std::endian::native == std::endian::little, "anda::io assumes a little-endian host");

// A malformed, truncated or unsupported .npy file; the message names the file and the problem.
class npy_error : public error {
 public:
  using error::error;
};

enum class npy_dtype { float16, float32 };

struct npy_array {
  npy_dtype dtype;
  std::vector<std::size_t> shape;  // 0-D is refused; C order
  std::vector<std::uint8_t> data;  // raw little-endian elements
  std::size_t size() const {
    std::size_t n = 1;
    for (auto d : shape) n *= d;
    return n;
  }
  std::size_t element_bytes() const { return dtype == npy_dtype::float16 ? 2 : 4; }
};

namespace detail {

// A small recursive-descent reader of the header's Python dict literal.
class npy_header_parser {
 public:
  npy_header_parser(std::string_view text, const std::string& name) : s_{text}, name_{name} {}

  npy_array parse() {
    npy_array a{};
    bool have_descr = false, have_order = false, have_shape = false;
    expect('{');
    while (!peek('}')) {
      const std::string key = string_literal();
      expect(':');
      if (key == "descr") {
        a.dtype = dtype(string_literal());
        have_descr = true;
      } else if (key == "fortran_order") {
        if (boolean()) fail("fortran_order=True arrays are not supported (save in C order)");
        have_order = true;
      } else if (key == "shape") {
        a.shape = tuple();
        have_shape = true;
      } else {
        fail("unexpected header key '" + key + "'");
      }
      if (!peek('}')) expect(',');
    }
    expect('}');
    skip_space();
    if (pos_ != s_.size()) fail("trailing characters after the header dict");
    if (!have_descr || !have_order || !have_shape)
      fail("header lacks one of 'descr', 'fortran_order', 'shape'");
    return a;
  }

 private:
  [[noreturn]] void fail(const std::string& what) const {
    throw npy_error(name_ + ": malformed .npy header: " + what);
  }
  void skip_space() {
    while (pos_ < s_.size() && (s_[pos_] == ' ' || s_[pos_] == '\t' || s_[pos_] == '\n')) ++pos_;
  }
  bool peek(char c) {
    skip_space();
    return pos_ < s_.size() && s_[pos_] == c;
  }
  void expect(char c) {
    if (!peek(c)) fail(std::string("expected '") + c + "'");
    ++pos_;
  }
  std::string string_literal() {
    skip_space();
    if (pos_ >= s_.size() || (s_[pos_] != '\'' && s_[pos_] != '"')) fail("expected a string");
    const char quote = s_[pos_++];
    const std::size_t end = s_.find(quote, pos_);
    if (end == std::string_view::npos) fail("unterminated string");
    std::string out{s_.substr(pos_, end - pos_)};
    pos_ = end + 1;
    return out;
  }
  bool boolean() {
    skip_space();
    for (auto [word, value] : {std::pair{"True", true}, std::pair{"False", false}}) {
      if (s_.substr(pos_, std::strlen(word)) == word) {
        pos_ += std::strlen(word);
        return value;
      }
    }
    fail("expected True or False");
  }
  std::vector<std::size_t> tuple() {
    std::vector<std::size_t> dims;
    expect('(');
    while (!peek(')')) {
      std::size_t d = 0;
      const std::size_t start = pos_;
      while (pos_ < s_.size() && s_[pos_] >= '0' && s_[pos_] <= '9') {
        if (d > (std::numeric_limits<std::size_t>::max() - 9) / 10) fail("dimension too large");
        d = d * 10 + static_cast<std::size_t>(s_[pos_++] - '0');
      }
      if (pos_ == start) fail("expected a non-negative integer dimension");
      dims.push_back(d);
      if (!peek(')')) expect(',');
    }
    expect(')');
    return dims;
  }
  npy_dtype dtype(const std::string& d) const {
    if (d == "<f2") return npy_dtype::float16;
    if (d == "<f4") return npy_dtype::float32;
    throw npy_error(name_ + ": unsupported dtype '" + d +
                    "' (supported: '<f2' float16, '<f4' float32, little-endian)");
  }

  std::string_view s_;
  const std::string& name_;
  std::size_t pos_ = 0;
};

}  // namespace detail

// Parses a whole .npy image; `name` is used in error messages.
inline npy_array parse_npy(std::span<const std::uint8_t> bytes, const std::string& name) {
  static constexpr std::uint8_t magic[6] = {0x93, 'N', 'U', 'M', 'P', 'Y'};
  if (bytes.size() < 10 || std::memcmp(bytes.data(), magic, 6) != 0)
    throw npy_error(name + ": not a .npy file (bad magic)");
  const unsigned major = bytes[6];
  if (major < 1 || major > 3)
    throw npy_error(name + ": unsupported .npy version " + std::to_string(major) + "." +
                    std::to_string(bytes[7]));
  const std::size_t length_bytes = major == 1 ? 2 : 4;
  if (bytes.size() < 8 + length_bytes) throw npy_error(name + ": truncated .npy header");
  std::size_t header_len = 0;
  for (std::size_t i = 0; i < length_bytes; ++i) header_len |= std::size_t{bytes[8 + i]} << (8 * i);
  const std::size_t data_offset = 8 + length_bytes + header_len;
  if (data_offset > bytes.size())
    throw npy_error(name + ": truncated .npy header (header length " + std::to_string(header_len) +
                    " exceeds the file)");
  const std::string_view header{reinterpret_cast<const char*>(bytes.data()) + 8 + length_bytes,
                                header_len};
  if (header.empty() || header.back() != '\n')
    throw npy_error(name + ": malformed .npy header: not terminated by a newline");
  npy_array a = detail::npy_header_parser{header, name}.parse();
  if (a.shape.empty()) throw npy_error(name + ": 0-dimensional arrays are not supported");
  std::size_t count = 1;
  for (auto d : a.shape) {
    if (d != 0 && count > std::numeric_limits<std::size_t>::max() / 8 / d)
      throw npy_error(name + ": shape too large");
    count *= d;
  }
  const std::size_t expected = count * a.element_bytes();
  const std::size_t available = bytes.size() - data_offset;
  if (available < expected)
    throw npy_error(name + ": truncated data (" + std::to_string(available) + " of " +
                    std::to_string(expected) + " bytes)");
  if (available > expected)
    throw npy_error(name + ": " + std::to_string(available - expected) +
                    " unexpected bytes after the data");
  a.data.assign(bytes.begin() + static_cast<std::ptrdiff_t>(data_offset), bytes.end());
  return a;
}

inline npy_array read_npy(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw npy_error(path.string() + ": cannot open for reading");
  const std::vector<std::uint8_t> bytes{std::istreambuf_iterator<char>(in),
                                        std::istreambuf_iterator<char>()};
  if (in.bad()) throw npy_error(path.string() + ": read error");
  return parse_npy(bytes, path.string());
}

// The .npy (version 1.0) image of a float32 array in C order.
inline std::vector<std::uint8_t> format_npy(std::span<const float> values,
                                            const std::vector<std::size_t>& shape) {
  std::size_t count = 1;
  std::string dims;
  for (auto d : shape) {
    count *= d;
    dims += (dims.empty() ? "" : ", ") + std::to_string(d);
  }
  if (shape.empty() || count != values.size())
    throw npy_error("write_npy: shape does not match the number of values");
  if (shape.size() == 1) dims += ',';  // Python's one-element tuple
  std::string header = "{'descr': '<f4', 'fortran_order': False, 'shape': (" + dims + "), }";
  while ((10 + header.size() + 1) % 64 != 0) header += ' ';
  header += '\n';
  if (header.size() > 0xFFFF) throw npy_error("write_npy: header too long for .npy version 1.0");
  const std::uint8_t prefix[10] = {0x93,
                                   'N',
                                   'U',
                                   'M',
                                   'P',
                                   'Y',
                                   1,
                                   0,
                                   static_cast<std::uint8_t>(header.size() & 0xFF),
                                   static_cast<std::uint8_t>(header.size() >> 8)};
  std::vector<std::uint8_t> out(sizeof prefix + header.size() + values.size_bytes());
  std::memcpy(out.data(), prefix, sizeof prefix);
  std::memcpy(out.data() + sizeof prefix, header.data(), header.size());
  if (!values.empty())  // little-endian host: the floats' bytes are the file's bytes
    std::memcpy(out.data() + sizeof prefix + header.size(), values.data(), values.size_bytes());
  return out;
}

// Writes atomically: a temporary file beside `path`, renamed into place only when complete.
inline void write_npy(const std::filesystem::path& path, std::span<const float> values,
                      const std::vector<std::size_t>& shape) {
  const auto image = format_npy(values, shape);
  const std::filesystem::path tmp = path.string() + ".partial";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) throw npy_error(path.string() + ": cannot open for writing");
    out.write(reinterpret_cast<const char*>(image.data()),
              static_cast<std::streamsize>(image.size()));
    if (!out.flush()) {
      out.close();
      std::filesystem::remove(tmp);
      throw npy_error(path.string() + ": write error");
    }
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) {
    std::filesystem::remove(tmp);
    throw npy_error(path.string() + ": cannot write (" + ec.message() + ")");
  }
}

}  // namespace anda::io
