// The accelerator as a JSON file (`anda whatif --hardware`, `anda sweep --hardware`): read, checked
// field by field, and written (`anda whatif --print-hardware`). A field left out keeps the paper's
// value; an unknown field, a wrong type or a value out of range is an error naming the field and
// the file. In a sweep file any numeric field may be a list of values instead of one value.
// Why JSON and this reader here: the hardware is hwmodel's own data, and hwmodel depends on
// nothing of the numeric library; it needs nlohmann_json (the tools and tests link it). Reading
// the file from disk is the caller's job (the tools use io::read_file).
#pragma once

#include <nlohmann/json.hpp>

#include <cstddef>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "hardware_fields.hpp"
#include "technology.hpp"

namespace anda::hw {

// A hardware file that cannot be used; the message starts with the file's name.
class hardware_file_error : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

// The version a hardware file may state in "anda_hardware".
inline constexpr int hardware_file_version = 1;

namespace detail {

class hardware_reader {
 public:
  hardware_reader(std::string source, bool lists) : source_(std::move(source)), lists_(lists) {}

  hardware_spec read(std::string_view text) {
    nlohmann::ordered_json j;  // ordered: a sweep's lists keep the file's order
    try {
      j = nlohmann::ordered_json::parse(text);
    } catch (const nlohmann::json::exception& e) {
      std::string what = e.what();  // "[json.exception.parse_error.101] parse error at ..."
      const auto cut = what.find("] ");
      fail("", "invalid JSON: " + (cut == std::string::npos ? what : what.substr(cut + 2)));
    }
    if (!j.is_object()) fail("", "wants a JSON object of hardware fields, got " + kind(j));
    object(j, "");
    return std::move(spec_);
  }

 private:
  std::string source_;
  bool lists_;
  hardware_spec spec_;

  [[noreturn]] void fail(const std::string& field, const std::string& what) const {
    std::string msg = source_;
    msg += ": ";
    if (!field.empty()) {
      msg += "field '";
      msg += field;
      msg += "': ";
    }
    msg += what;
    throw hardware_file_error(msg);
  }

  static std::string kind(const nlohmann::ordered_json& v) {
    if (v.is_object()) return "an object";
    if (v.is_array()) return "a list";
    if (v.is_string()) return "a string";
    if (v.is_boolean()) return "a boolean";
    if (v.is_null()) return "null";
    return "a number";
  }

  // The keys one level below `prefix` that the file may hold ("rows", "compressor", ...).
  static std::vector<std::string> keys_under(const std::string& prefix) {
    std::vector<std::string> keys;
    auto add = [&keys](std::string k) {
      for (const auto& e : keys)
        if (e == k) return;
      keys.push_back(std::move(k));
    };
    if (prefix.empty())
      for (const char* k : {"anda_hardware", "name", "dram", "power_of_two_tiles", "sources"})
        add(k);
    for (const auto& f : hardware_fields()) {
      if (f.name.compare(0, prefix.size(), prefix) != 0) continue;
      const std::string rest = f.name.substr(prefix.size());
      add(rest.substr(0, rest.find('.')));
    }
    return keys;
  }

  void object(const nlohmann::ordered_json& obj, const std::string& prefix) {
    for (const auto& [key, value] : obj.items()) {
      const std::string path = prefix + key;
      if (prefix.empty() && special(key, value)) continue;
      if (const auto* f = find_hardware_field(path)) {
        number_or_list(*f, value);
        continue;
      }
      if (!keys_under(path + ".").empty()) {  // a group: "compressor", "pe", "pe.anda", ...
        if (!value.is_object()) fail(path, "wants an object, got " + kind(value));
        object(value, path + ".");
        continue;
      }
      std::string names;
      for (const auto& k : keys_under(prefix)) {
        if (!names.empty()) names += ", ";
        names += k;
      }
      std::string what = "unknown field (";
      what += prefix.empty() ? "fields: " : "fields here: ";
      what += names;
      what += ')';
      fail(path, what);
    }
  }

  // The fields that are not numbers: version, name, DRAM name, tiling rule, sources.
  bool special(const std::string& key, const nlohmann::ordered_json& v) {
    if (key == "anda_hardware") {
      if (!v.is_number_integer() || v.get<long long>() != hardware_file_version) {
        std::string want = "wants ";
        want += std::to_string(hardware_file_version);
        want += " (the file format's version)";
        fail(key, want);
      }
    } else if (key == "name") {
      if (!v.is_string()) fail(key, "wants a string, got " + kind(v));
    } else if (key == "dram") {
      if (!v.is_string()) fail(key, "wants a string (the DRAM's name), got " + kind(v));
      spec_.base.dram_name = v.get<std::string>();
    } else if (key == "power_of_two_tiles") {
      if (!v.is_boolean()) fail(key, "wants true or false, got " + kind(v));
      spec_.base.power_of_two_tiles = v.get<bool>();
    } else if (key == "sources") {
      if (!v.is_object()) fail(key, "wants an object of texts, got " + kind(v));
      for (const auto& [k, text] : v.items())
        if (!text.is_string()) {
          std::string field = key;
          field += '.';
          field += k;
          fail(field, "wants a string, got " + kind(text));
        }
    } else {
      return false;
    }
    return true;
  }

  double number(const hardware_field& f, const nlohmann::ordered_json& v) const {
    if (!v.is_number()) fail(f.name, "wants a number, got " + kind(v));
    const double x = v.get<double>();
    if (const auto want = f.check(x); !want.empty()) {
      std::string what = "wants ";
      what += want;
      what += ", got ";
      what += v.dump();
      fail(f.name, what);
    }
    return x;
  }

  void number_or_list(const hardware_field& f, const nlohmann::ordered_json& v) {
    if (!v.is_array()) {
      f.set(spec_.base, number(f, v));
      return;
    }
    if (!lists_) fail(f.name, "wants a number, got a list (lists of values are for `anda sweep`)");
    if (v.empty()) fail(f.name, "an empty list (a sweep wants at least one value)");
    hardware_axis axis{&f, {}};
    for (const auto& e : v) axis.values.push_back(number(f, e));
    f.set(spec_.base, axis.values.front());
    spec_.axes.push_back(std::move(axis));
  }
};

}  // namespace detail

// A sweep file's text: the technology with each list's first value, and the lists in file order.
// `source` names the file in errors.
inline hardware_spec parse_hardware_sweep(std::string_view text, const std::string& source) {
  return detail::hardware_reader(source, true).read(text);
}

// A hardware file's text (one value per field).
inline technology parse_hardware(std::string_view text, const std::string& source) {
  return detail::hardware_reader(source, false).read(text).base;
}

// The file for `t`: every field, nested as the reader wants it, and each field's source.
inline nlohmann::ordered_json hardware_json(const technology& t) {
  nlohmann::ordered_json j;
  j["anda_hardware"] = hardware_file_version;
  j["name"] = t == technology{} ? "the paper's Anda accelerator (Fang et al., HPCA 2025), 16 nm"
                                : "changed from the paper's Anda accelerator";
  j["dram"] = t.dram_name;
  j["power_of_two_tiles"] = t.power_of_two_tiles;
  nlohmann::ordered_json sources;
  for (const auto& f : hardware_fields()) {
    std::string path = "/";  // "pe.anda.area_ratio" -> "/pe/anda/area_ratio"
    for (char c : f.name) path += c == '.' ? '/' : c;
    const nlohmann::ordered_json::json_pointer ptr(path);
    const double v = f.get(t);
    if (f.whole)
      j[ptr] = static_cast<long long>(v);
    else
      j[ptr] = v;
    sources[f.name] = f.source;
  }
  sources["power_of_two_tiles"] = "[A] tiles hold a power-of-two number of tokens or columns";
  j["sources"] = sources;
  return j;
}

}  // namespace anda::hw
