// A minimal XML well-formedness checker for the SVG files `anda whatif --plot` and `anda sweep
// --plot` write (the tests' own: no XML library is a dependency).
#pragma once

#include <cctype>
#include <string>
#include <utility>
#include <vector>

namespace anda::test {

// A minimal XML well-formedness checker: prolog, comments, nested elements with matching tags,
// quoted attributes without '<', known entities, a single root element.
class xml_checker {
 public:
  explicit xml_checker(std::string s) : s_(std::move(s)) {}

  bool well_formed(std::string& root) {
    skip_ws();
    if (s_.compare(i_, 5, "<?xml") == 0) {
      const auto e = s_.find("?>", i_);
      if (e == std::string::npos) return false;
      i_ = e + 2;
    }
    skip_misc();
    if (!element(root)) return false;
    skip_misc();
    return i_ == s_.size();
  }

 private:
  std::string s_;
  std::size_t i_ = 0;

  void skip_ws() {
    while (i_ < s_.size() && std::isspace(static_cast<unsigned char>(s_[i_]))) ++i_;
  }
  void skip_misc() {
    for (;;) {
      skip_ws();
      if (s_.compare(i_, 4, "<!--") != 0) return;
      const auto e = s_.find("-->", i_);
      if (e == std::string::npos) return;
      i_ = e + 3;
    }
  }
  bool name(std::string& out) {
    const auto b = i_;
    while (i_ < s_.size() && (std::isalnum(static_cast<unsigned char>(s_[i_])) || s_[i_] == '-' ||
                              s_[i_] == '_' || s_[i_] == ':' || s_[i_] == '.'))
      ++i_;
    out = s_.substr(b, i_ - b);
    return !out.empty() && !std::isdigit(static_cast<unsigned char>(out[0]));
  }
  bool entity() {  // at '&'
    const auto e = s_.find(';', i_);
    if (e == std::string::npos || e - i_ > 10) return false;
    const std::string ent = s_.substr(i_ + 1, e - i_ - 1);
    const bool ok = ent == "amp" || ent == "lt" || ent == "gt" || ent == "quot" || ent == "apos" ||
                    (ent.size() > 1 && ent[0] == '#');
    i_ = e + 1;
    return ok;
  }
  bool element(std::string& tag) {
    if (i_ >= s_.size() || s_[i_] != '<') return false;
    ++i_;
    if (!name(tag)) return false;
    std::vector<std::string> seen;
    for (;;) {
      skip_ws();
      if (i_ >= s_.size()) return false;
      if (s_.compare(i_, 2, "/>") == 0) {
        i_ += 2;
        return true;
      }
      if (s_[i_] == '>') {
        ++i_;
        break;
      }
      std::string attr;
      if (!name(attr)) return false;
      for (const auto& a : seen)
        if (a == attr) return false;  // duplicate attribute
      seen.push_back(attr);
      skip_ws();
      if (i_ >= s_.size() || s_[i_] != '=') return false;
      ++i_;
      skip_ws();
      if (i_ >= s_.size() || (s_[i_] != '"' && s_[i_] != '\'')) return false;
      const char q = s_[i_++];
      while (i_ < s_.size() && s_[i_] != q) {
        if (s_[i_] == '<') return false;
        if (s_[i_] == '&') {
          if (!entity()) return false;
        } else {
          ++i_;
        }
      }
      if (i_ >= s_.size()) return false;
      ++i_;
    }
    // Content: text, entities, comments, child elements, then the matching end tag.
    for (;;) {
      if (i_ >= s_.size()) return false;
      if (s_.compare(i_, 4, "<!--") == 0) {
        const auto e = s_.find("-->", i_);
        if (e == std::string::npos) return false;
        i_ = e + 3;
      } else if (s_.compare(i_, 2, "</") == 0) {
        i_ += 2;
        std::string end;
        if (!name(end) || end != tag) return false;
        skip_ws();
        if (i_ >= s_.size() || s_[i_] != '>') return false;
        ++i_;
        return true;
      } else if (s_[i_] == '<') {
        std::string child;
        if (!element(child)) return false;
      } else if (s_[i_] == '&') {
        if (!entity()) return false;
      } else {
        ++i_;
      }
    }
  }
};

inline bool well_formed_svg(const std::string& text) {
  std::string root;
  return xml_checker(text).well_formed(root) && root == "svg";
}

}  // namespace anda::test
