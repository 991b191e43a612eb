// A pattern field of tokenizer.json: {"String": "literal"} or {"Regex": "pattern"}. The
// `tokenizers` library turns a String into a regex of the escaped literal; so do we.
#pragma once

#include <string>

#include "anda/text/json_field.hpp"
#include "anda/text/regex.hpp"

namespace anda::text {

inline regex read_pattern(const json_field& field) {
  field.object();
  if (field.has("String")) return regex{regex::quote(field["String"].string()), field.where()};
  if (field.has("Regex")) return regex{field["Regex"].string(), field.where()};
  field.fail("is neither {\"String\": ...} nor {\"Regex\": ...}");
}

}  // namespace anda::text
