// The errors of the text front end: a tokenizer.json (or tokenizer_config.json) that cannot be
// used, and input text that cannot be tokenized. Both are anda::error, so the tool prints them as
// one line.
#pragma once

#include "anda/format/error.hpp"

namespace anda::text {

// A tokenizer file that is malformed or asks for a component we do not implement; the message
// names the file and the field ("tokenizer.json: model.merges[3]: ...").
class tokenizer_error : public error {
 public:
  using error::error;
};

// Text that is not valid UTF-8; the message names the byte offset of the first bad byte.
class text_error : public error {
 public:
  using error::error;
};

}  // namespace anda::text
