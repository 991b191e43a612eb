// Typed access to the fields of a tokenizer file's JSON, each error naming the file and the field
// ("tokenizer.json: model.merges[3]: ..."), so that a malformed file is reported in one line.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <string_view>

#include "anda/text/error.hpp"

namespace anda::text {

// A JSON value, the file it came from and its path in that file.
class json_field {
 public:
  json_field(const nlohmann::json& value, std::string file, std::string path)
      : value_{&value}, file_{std::move(file)}, path_{std::move(path)} {}

  const nlohmann::json& json() const { return *value_; }
  const std::string& path() const { return path_; }
  // "file: path", how errors name this field.
  std::string where() const {
    std::string w = file_;
    w += ": ";
    w += path_.empty() ? "the top level" : path_;
    return w;
  }

  [[noreturn]] void fail(std::string_view what) const {
    std::string msg = where();
    msg += ": ";
    msg += what;
    throw tokenizer_error(msg);
  }

  // A key of this object that is present and not null.
  bool has(const char* key) const {
    return value_->is_object() && value_->contains(key) && !(*value_)[key].is_null();
  }

  // The value of a key that must be present (null counts as missing).
  json_field operator[](const char* key) const {
    if (!value_->is_object()) fail("is not a JSON object");
    if (!has(key)) {
      std::string what = "has no \"";
      what += key;
      what += "\"";
      fail(what);
    }
    return child((*value_)[key], key);
  }

  // Element i of this array.
  json_field element(std::size_t i) const {
    std::string p = path_;
    p += '[';
    p += std::to_string(i);
    p += ']';
    return {(*value_)[i], file_, p};
  }

  json_field child(const nlohmann::json& value, std::string_view key) const {
    std::string p = path_;
    if (!p.empty()) p += '.';
    p += key;
    return {value, file_, p};
  }

  std::string string() const {
    if (!value_->is_string()) fail("is not a string");
    return value_->get<std::string>();
  }
  bool boolean() const {
    if (!value_->is_boolean()) fail("is not true or false");
    return value_->get<bool>();
  }
  // A token id: a whole number in [0, 2^31) (ids are written to int32 token files).
  std::int32_t id() const {
    if (!value_->is_number_integer() || value_->get<std::int64_t>() < 0 ||
        value_->get<std::int64_t>() > INT32_MAX)
      fail("is not a token id (a whole number in 0..2147483647)");
    return static_cast<std::int32_t>(value_->get<std::int64_t>());
  }
  const nlohmann::json& array() const {
    if (!value_->is_array()) fail("is not a JSON array");
    return *value_;
  }
  const nlohmann::json& object() const {
    if (!value_->is_object()) fail("is not a JSON object");
    return *value_;
  }

  // Optional members with a default when absent or null.
  bool boolean(const char* key, bool fallback) const {
    return has(key) ? (*this)[key].boolean() : fallback;
  }
  std::string string(const char* key, const std::string& fallback) const {
    return has(key) ? (*this)[key].string() : fallback;
  }

  // The "type" of a component object (normalizer, pre-tokenizer, model).
  std::string type() const {
    object();
    return (*this)["type"].string();
  }

  // Refuses a component by name: "<path>: type \"Lowercase\" is not supported (supported: ...)".
  [[noreturn]] void unsupported(const std::string& type, std::string_view supported) const {
    std::string what = "type \"";
    what += escaped(type);
    what += "\" is not supported (supported: ";
    what += supported;
    what += ')';
    fail(what);
  }

 private:
  const nlohmann::json* value_;
  std::string file_, path_;
};

// Parses a tokenizer file's text; invalid JSON is a tokenizer_error naming the file.
inline nlohmann::json parse_tokenizer_json(std::string_view text, const std::string& file) {
  try {
    return nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    std::string msg = file;
    msg += ": invalid JSON (";
    msg += e.what();
    msg += ')';
    throw tokenizer_error(msg);
  }
}

}  // namespace anda::text
