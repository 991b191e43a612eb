// NumPy .npy files (format versions 1.0, 2.0 and 3.0): reading float16/float32 arrays and writing
// float32 arrays, every field and size checked.
//
// Layout: the magic "\x93NUMPY", a major and a minor version byte, the header length (2 bytes
// little-endian in 1.0, 4 bytes in 2.0/3.0), then an ASCII (UTF-8 in 3.0) Python dict literal
// such as {'descr': '<f2', 'fortran_order': False, 'shape': (64, 256), } padded with spaces to
// a multiple of 64 bytes and ended by '\n', then the raw little-endian data in C order.
//
// Refused up front, before any data is touched: an array with no elements (a zero in the shape,
// such as (2^60, 0): there is nothing to encode, and a consumer looping over its rows would run
// for ever), an element count whose bytes overflow size_t or differ from what the file holds, and
// a file that is not a regular file or is larger than npy_max_file_bytes (read_npy). Strings from
// the header are echoed escaped (a NUL or control byte shows as \x00).
#pragma once

#include <algorithm>
#include <bit>
#include <cerrno>
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
#include "anda/io/output_file.hpp"
#include "anda/io/read_file.hpp"

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
  std::vector<std::size_t> shape;  // C order; 0-D and empty (a zero dimension) are refused
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
        fail("unexpected header key '" + escaped(key) + "'");
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
    throw npy_error(name_ + ": unsupported dtype '" + escaped(d) +
                    "' (supported: '<f2' float16, '<f4' float32, little-endian)");
  }

  std::string_view s_;
  const std::string& name_;
  std::size_t pos_ = 0;
};

}  // namespace detail

// The largest .npy file read_npy reads (64 GiB): a sanity bound against a runaway read; the
// array must also fit in memory.
inline constexpr std::uintmax_t npy_max_file_bytes = std::uintmax_t{1} << 36;

namespace detail {

inline std::string shape_text(const std::vector<std::size_t>& shape) {
  std::string s = "(";
  for (std::size_t i = 0; i < shape.size(); ++i) {
    if (i) s += ", ";
    s += std::to_string(shape[i]);
  }
  if (shape.size() == 1) s += ',';
  s += ')';
  return s;
}

// Checks the header of a .npy image of `file_bytes` bytes of which `bytes` holds at least the
// prefix and the header (or all of it when shorter), and returns the array without its data and
// the offset of the data, after checking the data's size against the file's.
inline npy_array parse_npy_header(std::span<const std::uint8_t> bytes, std::uintmax_t file_bytes,
                                  const std::string& name, std::size_t& data_offset) {
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
  data_offset = 8 + length_bytes + header_len;
  if (data_offset > bytes.size())
    throw npy_error(name + ": truncated .npy header (header length " + std::to_string(header_len) +
                    " exceeds the file)");
  const std::string_view header{reinterpret_cast<const char*>(bytes.data()) + 8 + length_bytes,
                                header_len};
  if (header.empty() || header.back() != '\n')
    throw npy_error(name + ": malformed .npy header: not terminated by a newline");
  npy_array a = npy_header_parser{header, name}.parse();
  if (a.shape.empty()) throw npy_error(name + ": 0-dimensional arrays are not supported");
  // Every dimension at least 1, and the byte count computed without overflow.
  for (auto d : a.shape)
    if (d == 0)
      throw npy_error(name + ": shape " + shape_text(a.shape) +
                      " holds no elements (a zero dimension); an empty array is not supported");
  const std::size_t width = a.element_bytes();
  std::size_t expected = width;
  for (auto d : a.shape) {
    if (expected > std::numeric_limits<std::size_t>::max() / d)
      throw npy_error(name + ": shape " + shape_text(a.shape) +
                      " too large (its size in bytes overflows size_t)");
    expected *= d;
  }
  const std::uintmax_t available = file_bytes - data_offset;
  if (available < expected)
    throw npy_error(name + ": truncated data (" + std::to_string(available) + " of " +
                    std::to_string(expected) + " bytes for shape " + shape_text(a.shape) + ")");
  if (available > expected)
    throw npy_error(name + ": " + std::to_string(available - expected) +
                    " unexpected bytes after the data");
  return a;
}

}  // namespace detail

// Parses a whole .npy image; `name` is used in error messages.
inline npy_array parse_npy(std::span<const std::uint8_t> bytes, const std::string& name) {
  std::size_t data_offset = 0;
  npy_array a = detail::parse_npy_header(bytes, bytes.size(), name, data_offset);
  a.data.assign(bytes.begin() + static_cast<std::ptrdiff_t>(data_offset), bytes.end());
  return a;
}

// Reads a regular file of at most `max_bytes` (a device, FIFO or directory is refused, also
// behind a symlink); the header is checked against the file's size before the data is read, and
// the data is read once, straight into the array.
inline npy_array read_npy(const std::filesystem::path& path,
                          std::uintmax_t max_bytes = npy_max_file_bytes) {
  const std::string name = path.string();
  std::uintmax_t size = 0;
  try {
    size = regular_file_size(path, max_bytes, "an .npy input");
  } catch (const file_error& e) {
    throw npy_error(e.what());
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) throw npy_error(name + ": cannot open for reading (" + std::strerror(errno) + ")");
  // The prefix (the first 12 bytes), then the rest of the header as its length field says.
  std::vector<std::uint8_t> head(static_cast<std::size_t>(std::min<std::uintmax_t>(size, 12)));
  in.read(reinterpret_cast<char*>(head.data()), static_cast<std::streamsize>(head.size()));
  if (static_cast<std::size_t>(in.gcount()) != head.size())
    throw npy_error(name + ": read error (" + std::strerror(errno) + ")");
  // Without a valid magic and version nothing more is read: parse_npy_header names the problem.
  std::size_t data_offset = head.size();
  static constexpr std::uint8_t magic[6] = {0x93, 'N', 'U', 'M', 'P', 'Y'};
  if (head.size() >= 10 && std::memcmp(head.data(), magic, 6) == 0 && head[6] >= 1 &&
      head[6] <= 3) {
    const std::size_t length_bytes = head[6] == 1 ? 2 : 4;
    std::size_t header_len = 0;
    for (std::size_t i = 0; i < length_bytes && 8 + i < head.size(); ++i)
      header_len |= std::size_t{head[8 + i]} << (8 * i);
    data_offset = static_cast<std::size_t>(
        std::min<std::uintmax_t>(size, 8 + length_bytes + std::uintmax_t{header_len}));
  }
  if (data_offset > head.size()) {
    const std::size_t had = head.size();
    head.resize(data_offset);
    in.read(reinterpret_cast<char*>(head.data() + had),
            static_cast<std::streamsize>(data_offset - had));
    if (static_cast<std::size_t>(in.gcount()) != data_offset - had)
      throw npy_error(name + ": read error (file shorter than its size, or changing)");
  }
  npy_array a = detail::parse_npy_header(head, size, name, data_offset);
  head = {};
  const std::size_t data_bytes = static_cast<std::size_t>(size) - data_offset;
  a.data.resize(data_bytes);
  in.seekg(static_cast<std::streamoff>(data_offset));
  in.read(reinterpret_cast<char*>(a.data.data()), static_cast<std::streamsize>(data_bytes));
  if (!in || static_cast<std::size_t>(in.gcount()) != data_bytes)
    throw npy_error(name + ": read error (file shorter than its size, or changing)");
  return a;
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

// Writes the .npy file by the rule of output_file.hpp (atomically over a missing path or a regular
// file, through a symlink, directly to a device or FIFO); a failure is an npy_error naming `path`.
inline void write_npy(const std::filesystem::path& path, std::span<const float> values,
                      const std::vector<std::size_t>& shape) {
  const auto image = format_npy(values, shape);
  try {
    write_output_file(path, {reinterpret_cast<const char*>(image.data()), image.size()});
  } catch (const output_error& e) {
    throw npy_error(e.what());
  }
}

}  // namespace anda::io
