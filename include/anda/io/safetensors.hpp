// safetensors checkpoints (F16, BF16, F32): one file, or a directory sharded by
// model.safetensors.index.json; every length, offset, size, shape and name checked.
//
// File layout (https://github.com/huggingface/safetensors):
//   8 bytes   N, the header length, unsigned 64-bit little-endian
//   N bytes   a UTF-8 JSON object, possibly padded with trailing spaces:
//               {"__metadata__": {"format": "pt"},                       (optional, string values)
//                "model.norm.weight": {"dtype": "F16", "shape": [384],
//                                      "data_offsets": [0, 768]}, ...}
//   the rest  the data section: each tensor's raw little-endian elements in C order, at
//             [begin, end) relative to the start of the data section.
// As in the reference implementation, the tensors must tile the data section exactly: sorted by
// offset they start at 0, each begins where the previous one ends (no overlaps, no gaps) and the
// last ends at the end of the file. So every byte of the file is accounted for and a header that
// lies about a size or an offset is caught. end - begin must equal product(shape) * dtype size.
//
// A sharded checkpoint directory holds model.safetensors.index.json,
//   {"metadata": {"total_size": ...}, "weight_map": {"tensor name":
//   "model-00001-of-00003.safetensors"}}
// and the shards it names. Every entry must name a plain file in the directory that holds the
// tensor, and every tensor of every shard must be listed for that shard.
#pragma once

#include <Eigen/Core>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <map>
#include <memory>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "anda/format/error.hpp"
#include "anda/format/fp16.hpp"
#include "anda/io/mapped_file.hpp"
#include "anda/io/read_file.hpp"

namespace anda::io {

static_assert(std::endian::native == std::endian::little, "anda::io assumes a little-endian host");

// A malformed, truncated, inconsistent or unsupported safetensors file or checkpoint directory,
// a missing tensor or a tensor of the wrong shape; the message names the file and the problem.
class safetensors_error : public error {
 public:
  using error::error;
};

// The element types read here; all three convert to float exactly.
enum class safetensors_dtype { f16, bf16, f32 };

inline const char* to_string(safetensors_dtype d) {
  switch (d) {
    case safetensors_dtype::f16:
      return "F16";
    case safetensors_dtype::bf16:
      return "BF16";
    case safetensors_dtype::f32:
      return "F32";
  }
  return "?";
}

inline std::size_t element_bytes(safetensors_dtype d) {
  return d == safetensors_dtype::f32 ? 4 : 2;
}

// "[8192, 384]": shapes in error messages.
inline std::string shape_string(std::span<const std::size_t> shape) {
  std::string s = "[";
  for (std::size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

// One tensor of a file: its type, shape and raw bytes (a view into the file's buffer).
struct safetensors_tensor {
  std::string_view name;
  safetensors_dtype dtype;
  std::span<const std::size_t> shape;  // empty: a scalar
  std::span<const std::uint8_t> bytes;
  std::size_t size() const { return bytes.size() / element_bytes(dtype); }
};

namespace detail {

// The header's byte limit of the reference implementation; a larger one is refused, not read.
// model.safetensors.index.json is held to the same limit.
inline constexpr std::uint64_t safetensors_max_header = 100'000'000;
// The largest safetensors file mapped (256 GiB): a bound against a runaway file, far above any
// shard.
inline constexpr std::uintmax_t safetensors_max_file = std::uintmax_t{1} << 38;

struct safetensors_entry {
  safetensors_dtype dtype;
  std::vector<std::size_t> shape;
  std::size_t begin = 0, end = 0;  // relative to the data section
};

inline safetensors_dtype parse_safetensors_dtype(const std::string& d, const std::string& where) {
  if (d == "F16") return safetensors_dtype::f16;
  if (d == "BF16") return safetensors_dtype::bf16;
  if (d == "F32") return safetensors_dtype::f32;
  throw safetensors_error(where + " has dtype '" + d +
                          "', which is not supported (supported: F16, BF16, F32)");
}

// nlohmann keeps the last of duplicate keys; a duplicate tensor name (or a duplicate "shape")
// would silently hide data, so the parse callback refuses them. It also bounds the nesting: a
// valid header is at most three levels deep.
inline nlohmann::json parse_json_strictly(std::string_view text, const std::string& what,
                                          std::size_t max_depth) {
  std::vector<std::set<std::string>> keys;  // one set per open object
  std::vector<bool> is_object;              // the open containers
  auto callback = [&](int depth, nlohmann::json::parse_event_t event, nlohmann::json& parsed) {
    using ev = nlohmann::json::parse_event_t;
    if (static_cast<std::size_t>(depth) > max_depth)
      throw safetensors_error(what + ": JSON nested deeper than " + std::to_string(max_depth) +
                              " levels");
    if (event == ev::object_start) {
      is_object.push_back(true);
      keys.emplace_back();
    } else if (event == ev::array_start) {
      is_object.push_back(false);
    } else if (event == ev::object_end || event == ev::array_end) {
      if (!is_object.empty()) {
        if (is_object.back()) keys.pop_back();
        is_object.pop_back();
      }
    } else if (event == ev::key && !keys.empty()) {
      const auto& key = parsed.get_ref<const std::string&>();
      if (!keys.back().insert(key).second)
        throw safetensors_error(what + ": duplicate JSON key '" + escaped(key) + "'");
    }
    return true;
  };
  try {
    return nlohmann::json::parse(text.begin(), text.end(), callback);
  } catch (const nlohmann::json::exception& e) {
    // nlohmann's text without its "[json.exception.parse_error.101] " tag, escaped (the
    // "last read" part echoes the file's bytes).
    std::string_view msg = e.what();
    if (msg.starts_with("[json.exception.")) {
      const auto end = msg.find("] ");
      if (end != std::string_view::npos) msg.remove_prefix(end + 2);
    }
    throw safetensors_error(what + ": invalid JSON: " + escaped(msg));
  }
}

// A JSON value as a size_t, or an error naming what it should have been.
inline std::size_t json_size(const nlohmann::json& v, const std::string& what) {
  if (!v.is_number_unsigned() && !(v.is_number_integer() && v.get<std::int64_t>() >= 0))
    throw safetensors_error(what + " must be a non-negative integer, got " + v.dump());
  const auto u = v.get<std::uint64_t>();
  if (u > std::numeric_limits<std::size_t>::max()) throw safetensors_error(what + " is too large");
  return static_cast<std::size_t>(u);
}

// Decodes n little-endian elements of `d` from possibly unaligned bytes.
inline void decode_elements(safetensors_dtype d, const std::uint8_t* src, std::size_t n,
                            float* dst) {
  for (std::size_t i = 0; i < n; ++i) {
    if (d == safetensors_dtype::f32) {
      std::memcpy(dst + i, src + 4 * i, 4);
    } else {
      std::uint16_t h;
      std::memcpy(&h, src + 2 * i, 2);
      // BF16 is the top half of an FP32 pattern; FP16 widens exactly (NaN payloads kept).
      dst[i] = d == safetensors_dtype::bf16 ? std::bit_cast<float>(std::uint32_t{h} << 16)
                                            : fp16::from_bits(h).to_float();
    }
  }
}

}  // namespace detail

// A parsed safetensors file: mapped read-only (read(): pages are touched only when a tensor is
// converted, and can be given back after, see release) or an image in memory (parse()). Every
// offset is checked against the file's size before a byte of data is touched; a mapped file that
// changed since it was opened is an error when a tensor is read (mapped_file.hpp). Copies and
// moves are safe: views are computed on demand from offsets, copies share the mapping.
class safetensors_file {
 public:
  // Maps and checks `path`.
  static safetensors_file read(const std::filesystem::path& path) {
    safetensors_file f;
    f.name_ = path.string();
    try {
      f.map_ = std::make_shared<const mapped_file>(path, detail::safetensors_max_file,
                                                   "a safetensors file");
    } catch (const file_error& e) {
      throw safetensors_error(e.what());
    }
    f.check();
    return f;
  }

  // Checks a whole file image; `name` is used in error messages.
  static safetensors_file parse(std::vector<std::uint8_t> bytes, std::string name) {
    safetensors_file f;
    f.name_ = std::move(name);
    f.bytes_ = std::move(bytes);
    f.check();
    return f;
  }

  const std::string& name() const { return name_; }
  bool contains(const std::string& tensor) const { return entries_.count(tensor) != 0; }
  std::size_t tensor_count() const { return entries_.size(); }
  // Tensor names, sorted.
  std::vector<std::string> names() const {
    std::vector<std::string> out;
    for (const auto& kv : entries_) out.push_back(kv.first);
    return out;
  }
  const std::map<std::string, std::string>& metadata() const { return metadata_; }

  // The tensor `name`, or an error naming it and the file.
  safetensors_tensor tensor(const std::string& tensor_name) const {
    const auto it = entries_.find(tensor_name);
    if (it == entries_.end()) throw safetensors_error(name_ + ": no tensor '" + tensor_name + "'");
    const auto& e = it->second;
    return {it->first, e.dtype, e.shape,
            all_bytes().subspan(data_start_ + e.begin, e.end - e.begin)};
  }

  // Before reading a tensor's bytes: an error if the mapped file changed since it was opened.
  void check_unchanged() const {
    if (!map_) return;
    try {
      map_->check_unchanged();
    } catch (const file_error& e) {
      throw safetensors_error(e.what());
    }
  }

  // Gives the memory pages of a tensor's bytes back once it has been converted (mapped files;
  // nothing for an image in memory). Reading the tensor again is still valid.
  void release(const std::string& tensor_name) const {
    const auto it = entries_.find(tensor_name);
    if (map_ && it != entries_.end())
      map_->release(data_start_ + it->second.begin, it->second.end - it->second.begin);
  }

  // The tensor's elements as float in C order, after checking its shape is `expected`.
  std::vector<float> to_float(const std::string& tensor_name,
                              std::span<const std::size_t> expected) const {
    const auto t = tensor(tensor_name);
    if (!std::ranges::equal(t.shape, expected))
      throw safetensors_error(name_ + ": tensor '" + tensor_name + "' has shape " +
                              shape_string(t.shape) + ", expected " + shape_string(expected));
    check_unchanged();
    std::vector<float> out(t.size());
    detail::decode_elements(t.dtype, t.bytes.data(), out.size(), out.data());
    return out;
  }

  // A 2-D tensor [rows, cols] (row-major in the file) as a matrix with the same indexing.
  Eigen::MatrixXf to_matrix(const std::string& tensor_name, std::size_t rows,
                            std::size_t cols) const {
    const std::size_t shape[2] = {rows, cols};
    const auto values = to_float(tensor_name, shape);
    using row_major = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
    return Eigen::Map<const row_major>(values.data(), static_cast<Eigen::Index>(rows),
                                       static_cast<Eigen::Index>(cols));
  }

  // A 1-D tensor [n].
  Eigen::VectorXf to_vector(const std::string& tensor_name, std::size_t n) const {
    const std::size_t shape[1] = {n};
    const auto values = to_float(tensor_name, shape);
    return Eigen::Map<const Eigen::VectorXf>(values.data(), static_cast<Eigen::Index>(n));
  }

 private:
  [[noreturn]] void fail(const std::string& what) const {
    throw safetensors_error(name_ + ": " + what);
  }

  std::span<const std::uint8_t> all_bytes() const {
    return map_ ? map_->bytes() : std::span<const std::uint8_t>(bytes_);
  }

  void check() {
    const auto bytes = all_bytes();
    const std::size_t file_size = bytes.size();
    if (file_size < 8)
      fail("truncated: " + std::to_string(file_size) + " bytes, too short for the header length");
    std::uint64_t n = 0;
    for (int i = 0; i < 8; ++i) n |= std::uint64_t{bytes[static_cast<std::size_t>(i)]} << (8 * i);
    if (n > file_size - 8)
      fail("header length " + std::to_string(n) + " exceeds the file (" +
           std::to_string(file_size - 8) + " bytes after the length field)");
    if (n > detail::safetensors_max_header)
      fail("header length " + std::to_string(n) + " exceeds the limit of " +
           std::to_string(detail::safetensors_max_header) + " bytes");
    if (n < 2 || bytes[8] != '{') fail("the header is not a JSON object (must start with '{')");
    data_start_ = 8 + static_cast<std::size_t>(n);
    const std::string_view text{reinterpret_cast<const char*>(bytes.data()) + 8,
                                static_cast<std::size_t>(n)};
    const nlohmann::json header = detail::parse_json_strictly(text, name_ + ": header", 3);
    if (!header.is_object()) fail("the header is not a JSON object");

    for (const auto& [key, value] : header.items()) {
      if (key == "__metadata__") {
        read_metadata(value);
        continue;
      }
      entries_.emplace(key, read_entry(key, value));
    }

    // The tensors must tile the data section: sorted by (begin, end), each starts where the
    // previous one ended. Zero-size tensors sort before a tensor at the same offset.
    std::vector<std::pair<const std::string*, const detail::safetensors_entry*>> order;
    for (const auto& [key, e] : entries_) order.emplace_back(&key, &e);
    std::ranges::sort(order, [](const auto& a, const auto& b) {
      return std::pair{a.second->begin, a.second->end} < std::pair{b.second->begin, b.second->end};
    });
    const std::size_t data_size = file_size - data_start_;
    std::size_t position = 0;
    const std::string* previous = nullptr;
    for (const auto& [key, e] : order) {
      if (e->begin < position)
        fail("tensor '" + escaped(*key) + "' (data_offsets [" + std::to_string(e->begin) + ", " +
             std::to_string(e->end) + "]) overlaps tensor '" + escaped(*previous) +
             "' (which ends at " + std::to_string(position) + ")");
      if (e->begin > position)
        fail("gap of " + std::to_string(e->begin - position) +
             " bytes in the data section before " + "tensor '" + escaped(*key) + "' (at offset " +
             std::to_string(position) + ")");
      position = e->end;
      previous = key;
    }
    // Every end is within the data section, so only trailing bytes can remain.
    if (position < data_size)
      fail(std::to_string(data_size - position) +
           " bytes after the last tensor's data (the data section holds " +
           std::to_string(data_size) + " bytes, the tensors " + std::to_string(position) + ")");
  }

  void read_metadata(const nlohmann::json& value) {
    if (!value.is_object()) fail("__metadata__ must be a JSON object of strings");
    for (const auto& [k, v] : value.items()) {
      if (!v.is_string()) fail("__metadata__ value '" + k + "' must be a string, got " + v.dump());
      metadata_.emplace(k, v.get<std::string>());
    }
  }

  detail::safetensors_entry read_entry(const std::string& key, const nlohmann::json& value) const {
    const std::string where = name_ + ": tensor '" + escaped(key) + "'";
    if (!value.is_object()) throw safetensors_error(where + ": entry must be a JSON object");
    for (const auto& [k, v] : value.items()) {
      (void)v;
      if (k != "dtype" && k != "shape" && k != "data_offsets")
        throw safetensors_error(where + ": unexpected key '" + k + "'");
    }
    for (const char* k : {"dtype", "shape", "data_offsets"})
      if (!value.contains(k)) throw safetensors_error(where + ": missing '" + k + "'");
    if (!value["dtype"].is_string()) throw safetensors_error(where + ": dtype must be a string");
    detail::safetensors_entry e{};
    e.dtype = detail::parse_safetensors_dtype(value["dtype"].get<std::string>(), where);

    const auto& shape = value["shape"];
    if (!shape.is_array()) throw safetensors_error(where + ": shape must be an array");
    std::size_t count = 1;
    bool overflow = false;
    for (const auto& d : shape) {
      const std::size_t dim = detail::json_size(d, where + ": shape dimension");
      e.shape.push_back(dim);
      if (dim != 0 && count > std::numeric_limits<std::size_t>::max() / dim)
        overflow = true;
      else
        count *= dim;
    }
    const auto& offsets = value["data_offsets"];
    if (!offsets.is_array() || offsets.size() != 2)
      throw safetensors_error(where + ": data_offsets must be an array [begin, end]");
    e.begin = detail::json_size(offsets[0], where + ": data_offsets begin");
    e.end = detail::json_size(offsets[1], where + ": data_offsets end");
    if (e.begin > e.end)
      throw safetensors_error(where + ": data_offsets [" + std::to_string(e.begin) + ", " +
                              std::to_string(e.end) + "] end before they begin");
    const std::size_t data_size = all_bytes().size() - data_start_;
    if (e.end > data_size)
      throw safetensors_error(where + ": data_offsets [" + std::to_string(e.begin) + ", " +
                              std::to_string(e.end) + "] extend past the data section (" +
                              std::to_string(data_size) + " bytes; file truncated?)");
    const std::size_t width = element_bytes(e.dtype);
    if (overflow || count > std::numeric_limits<std::size_t>::max() / width ||
        count * width != e.end - e.begin)
      throw safetensors_error(where + ": shape " + shape_string(e.shape) + " of " +
                              to_string(e.dtype) + " needs " +
                              (overflow ? std::string("too many")
                                        : std::to_string(count) + " x " + std::to_string(width)) +
                              " bytes but data_offsets span " + std::to_string(e.end - e.begin));
    return e;
  }

  std::string name_;
  std::vector<std::uint8_t> bytes_;         // parse(): the image
  std::shared_ptr<const mapped_file> map_;  // read(): the mapping
  std::size_t data_start_ = 0;
  std::map<std::string, detail::safetensors_entry> entries_;
  std::map<std::string, std::string> metadata_;
};

// A checkpoint directory: model.safetensors, or the shards of model.safetensors.index.json.
class safetensors_checkpoint {
 public:
  static constexpr const char* single_name = "model.safetensors";
  static constexpr const char* index_name = "model.safetensors.index.json";

  explicit safetensors_checkpoint(const std::filesystem::path& dir) : dir_{dir} {
    namespace fs = std::filesystem;
    std::error_code ec1, ec2;
    const bool single = fs::exists(dir / single_name, ec1),
               index = fs::exists(dir / index_name, ec2);
    if (single && index)
      throw safetensors_error(dir.string() + ": holds both " + single_name + " and " + index_name +
                              "; which one is the checkpoint is ambiguous");
    if (single) {
      shards_.push_back(safetensors_file::read(dir / single_name));
      for (const auto& n : shards_[0].names()) where_.emplace(n, 0);
    } else if (index) {
      read_index(dir / index_name);
    } else {
      throw safetensors_error(dir.string() + ": no " + single_name + " or " + index_name);
    }
  }

  const std::filesystem::path& dir() const { return dir_; }
  std::size_t shard_count() const { return shards_.size(); }
  bool contains(const std::string& tensor) const { return where_.count(tensor) != 0; }
  // Every tensor name, sorted.
  std::vector<std::string> names() const {
    std::vector<std::string> out;
    for (const auto& kv : where_) out.push_back(kv.first);
    return out;
  }
  // The file holding `tensor`, or an error naming the tensor and the directory.
  const safetensors_file& file_of(const std::string& tensor) const {
    const auto it = where_.find(tensor);
    if (it == where_.end())
      throw safetensors_error(dir_.string() + ": checkpoint has no tensor '" + tensor + "'");
    return shards_[it->second];
  }
  safetensors_tensor tensor(const std::string& name) const { return file_of(name).tensor(name); }
  Eigen::MatrixXf to_matrix(const std::string& name, std::size_t rows, std::size_t cols) const {
    return file_of(name).to_matrix(name, rows, cols);
  }
  Eigen::VectorXf to_vector(const std::string& name, std::size_t n) const {
    return file_of(name).to_vector(name, n);
  }
  // Gives the mapped pages of `name` back (safetensors_file::release).
  void release(const std::string& name) const { file_of(name).release(name); }

 private:
  void read_index(const std::filesystem::path& path) {
    const std::string what = path.string();
    std::string text;
    try {
      text = read_file(path, detail::safetensors_max_header, index_name);
    } catch (const file_error& e) {
      throw safetensors_error(e.what());
    }
    const nlohmann::json index = detail::parse_json_strictly(text, what, 4);
    if (!index.is_object() || !index.contains("weight_map") || !index["weight_map"].is_object())
      throw safetensors_error(what + ": no \"weight_map\" object");
    std::map<std::string, std::size_t> shard_of_file;
    for (const auto& [tensor, file] : index["weight_map"].items()) {
      if (!file.is_string())
        throw safetensors_error(what + ": weight_map entry '" + tensor + "' is not a file name");
      const std::string shard = file.get<std::string>();
      // Only plain names of files beside the index: no directories, no "..", no absolute paths.
      const std::filesystem::path p{shard};
      if (shard.empty() || p.filename() != p || shard == "." || shard == ".." ||
          shard.find('\\') != std::string::npos)
        throw safetensors_error(what + ": weight_map entry '" + tensor + "' names '" + shard +
                                "', which is not a file name in the checkpoint directory");
      auto it = shard_of_file.find(shard);
      if (it == shard_of_file.end()) {
        std::error_code ec;
        if (!std::filesystem::exists(dir_ / shard, ec))
          throw safetensors_error(what + ": weight_map entry '" + tensor + "' names shard '" +
                                  shard + "', which does not exist");
        shards_.push_back(safetensors_file::read(dir_ / shard));
        it = shard_of_file.emplace(shard, shards_.size() - 1).first;
      }
      if (!shards_[it->second].contains(tensor))
        throw safetensors_error(what + ": weight_map puts tensor '" + tensor + "' in '" + shard +
                                "', which does not hold it");
      where_.emplace(tensor, it->second);
    }
    // The converse: a tensor the index does not list (or lists in another shard) is an
    // inconsistency, not something to pick silently.
    for (const auto& [shard, i] : shard_of_file)
      for (const auto& n : shards_[i].names()) {
        const auto w = where_.find(n);
        if (w == where_.end() || w->second != i)
          throw safetensors_error(shards_[i].name() + ": holds tensor '" + n + "', which " +
                                  index_name + " " +
                                  (w == where_.end() ? "does not list" : "puts in another shard"));
      }
  }

  std::filesystem::path dir_;
  std::vector<safetensors_file> shards_;
  std::map<std::string, std::size_t> where_;  // tensor -> index into shards_
};

}  // namespace anda::io
