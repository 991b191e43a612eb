// The tokenizer.json reader on small hand-written files: the components the reference tokenizers
// do not exercise (Metaspace, Digits, Split behaviors, NFC/NFKC, byte fallback, unk fusing,
// lstrip/rstrip added tokens, BOS/EOS framing), and one-line errors naming the file and the field
// for malformed files, unsupported components and invalid UTF-8.
#include <catch2/catch.hpp>

#include <anda/text/tokenizer.hpp>
#include <anda/text/tokenizer_config.hpp>

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

using anda::text::tokenizer;
using ids = std::vector<std::int32_t>;

namespace {

// A BPE model over a small vocabulary; `extra` adds or replaces top-level members.
nlohmann::json base(const nlohmann::json& extra = nlohmann::json::object()) {
  nlohmann::json j = {{"model",
                       {{"type", "BPE"},
                        {"vocab",
                         {{"a", 0},
                          {"b", 1},
                          {"ab", 2},
                          {"<unk>", 3},
                          {"\u2581", 4},
                          {"\u2581a", 5},
                          {"<0x41>", 6},
                          {"1", 7},
                          {"2", 8},
                          {"\u00e9", 9},
                          {"f", 10},
                          {"i", 11},
                          {" ", 12},
                          {"12", 13}}},
                        {"merges", {"a b", {"\u2581", "a"}, {"1", "2"}}},
                        {"unk_token", "<unk>"}}},
                      {"added_tokens", nlohmann::json::array()}};
  for (const auto& [key, value] : extra.items()) j[key] = value;
  return j;
}

tokenizer make(const nlohmann::json& j) {
  return tokenizer::from_json(j.dump(), "tok.json");
}

// The message of the anda::error that `f` throws.
template <class F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const anda::error& e) {
    return e.what();
  }
  return "(no error)";
}

}  // namespace

TEST_CASE("BPE: merges in both spellings, unk, fuse_unk, byte_fallback", "[text][tokenizer]") {
  auto plain = make(base());
  CHECK(plain.encode("abab") == ids{2, 2});
  CHECK(plain.encode("ba") == ids{1, 0});
  CHECK(plain.encode("\u2581a") == ids{5});
  CHECK(plain.encode("xy") == ids{3, 3});  // unknown characters, not fused
  CHECK(plain.encode("") == ids{});

  auto j = base();
  j["model"]["fuse_unk"] = true;
  CHECK(make(j).encode("xya") == ids{3, 0});
  j["model"]["byte_fallback"] = true;
  CHECK(make(j).encode("A") == ids{6});  // <0x41>
  CHECK(make(j).encode("aAb") == ids{0, 6, 1});
  CHECK(make(j).encode("Ax") == ids{6, 3});

  j = base();
  j["model"]["ignore_merges"] = true;
  CHECK(make(j).encode("ab") == ids{2});
}

TEST_CASE("normalizers: NFC, NFKC, Prepend, Replace, Sequence", "[text][tokenizer]") {
  CHECK(make(base()).encode("e\u0301") == ids{3, 3});  // neither is in the vocabulary
  CHECK(make(base({{"normalizer", {{"type", "NFC"}}}})).encode("e\u0301") == ids{9});
  CHECK(make(base({{"normalizer", {{"type", "NFKC"}}}})).encode("\ufb01") == ids{10, 11});  // fi
  const nlohmann::json spm = {
      {"type", "Sequence"},
      {"normalizers",
       {{{"type", "Prepend"}, {"prepend", "\u2581"}},
        {{"type", "Replace"}, {"pattern", {{"String", " "}}}, {"content", "\u2581"}}}}};
  CHECK(make(base({{"normalizer", spm}})).encode("a a") == ids{5, 5});
  CHECK(make(base({{"normalizer", spm}})).encode("") == ids{});
  const nlohmann::json regex_replace = {
      {"type", "Replace"}, {"pattern", {{"Regex", "b+"}}}, {"content", "a"}};
  CHECK(make(base({{"normalizer", regex_replace}})).encode("bbb") == ids{0});
}

TEST_CASE("pre-tokenizers: Metaspace, Digits, Split behaviors", "[text][tokenizer]") {
  const nlohmann::json first = {
      {"type", "Metaspace"}, {"replacement", "\u2581"}, {"prepend_scheme", "first"}};
  auto j = base({{"pre_tokenizer", first}});
  j["added_tokens"] = {{{"id", 20}, {"content", "<x>"}, {"normalized", false}, {"special", true}}};
  // "first": only the piece at the start of the text gets the prefix.
  CHECK(make(j).encode("a<x>a") == ids{5, 20, 0});
  j["pre_tokenizer"]["prepend_scheme"] = "always";
  CHECK(make(j).encode("a<x>a") == ids{5, 20, 5});

  CHECK(make(base({{"pre_tokenizer", {{"type", "Digits"}, {"individual_digits", true}}}}))
            .encode("12") == ids{7, 8});
  CHECK(make(base({{"pre_tokenizer", {{"type", "Digits"}, {"individual_digits", false}}}}))
            .encode("12") == ids{13});

  const auto split = [](const char* behavior, bool invert = false) {
    return make(base({{"pre_tokenizer",
                       {{"type", "Split"},
                        {"pattern", {{"String", "b"}}},
                        {"behavior", behavior},
                        {"invert", invert}}}}));
  };
  CHECK(split("Isolated").encode("abab") == ids{0, 1, 0, 1});
  CHECK(split("Removed").encode("abab") == ids{0, 0});
  CHECK(split("MergedWithPrevious").encode("abab") == ids{2, 2});
  CHECK(split("MergedWithNext").encode("abab") == ids{0, 1, 0, 1});  // "a", "ba", "b"
  CHECK(split("Contiguous").encode("abbab") == ids{0, 1, 1, 0, 1});
  CHECK(split("Removed", true).encode("abab") == ids{1, 1});
}

TEST_CASE("added tokens: longest match, lstrip/rstrip, single_word", "[text][tokenizer]") {
  auto j = base();
  j["added_tokens"] = {
      {{"id", 20}, {"content", "<x>"}, {"normalized", false}},
      {{"id", 21}, {"content", "<x>>"}, {"normalized", false}},
      {{"id", 22}, {"content", "[s]"}, {"lstrip", true}, {"rstrip", true}, {"normalized", false}},
      {{"id", 23}, {"content", "ab"}, {"single_word", true}, {"normalized", false}}};
  auto tok = make(j);
  CHECK(tok.encode("a<x>>b") == ids{0, 21, 1});
  CHECK(tok.encode("a  [s]  b") == ids{0, 22, 1});
  CHECK(tok.encode("ab") == ids{23});
  CHECK(tok.encode("aab") == ids{0, 2});  // inside a word: the model's ids
}

TEST_CASE("framing: the post-processor template and tokenizer_config.json", "[text][tokenizer]") {
  const nlohmann::json processor = {
      {"type", "TemplateProcessing"},
      {"single",
       {{{"SpecialToken", {{"id", "<s>"}, {"type_id", 0}}}},
        {{"Sequence", {{"id", "A"}, {"type_id", 0}}}}}},
      {"special_tokens", {{"<s>", {{"id", "<s>"}, {"ids", {30}}, {"tokens", {"<s>"}}}}}}};
  auto j = base({{"post_processor", processor}});
  j["added_tokens"] = {{{"id", 30}, {"content", "<s>"}, {"normalized", false}}};
  const auto tok = make(j);
  CHECK(tok.template_framing().prefix == ids{30});
  CHECK(tok.template_framing().suffix.empty());
  const std::string dir = std::string(ANDA_TEST_DATA_DIR) + "/models/tiny-llama-en";
  const auto tiny = tokenizer::load(dir);
  const auto framing = anda::text::read_text_framing(dir, tiny);
  CHECK(framing.prefix.empty());  // ByteLevel post-processor, no add_bos_token
  CHECK(framing.suffix.empty());
}

TEST_CASE("malformed tokenizer.json: one line naming the file and the field", "[text][errors]") {
  const auto message = [](const nlohmann::json& j) { return error_of([&] { make(j); }); };
  auto no_model = base();
  no_model.erase("model");
  CHECK(message(no_model) == "tok.json: the top level: has no \"model\"");
  CHECK(error_of([] {
          tokenizer::from_json("{\"model\": ", "tok.json");
        }).rfind("tok.json: invalid JSON", 0) == 0);

  auto bad = base();
  bad["model"]["merges"] = {"a b", "a c"};
  CHECK(message(bad) == "tok.json: model.merges[1]: token \"c\" is not in model.vocab");
  bad["model"]["merges"] = {"ab"};
  CHECK(message(bad) == "tok.json: model.merges[0]: is not two tokens separated by a space");
  bad["model"]["merges"] = nlohmann::json::array({nlohmann::json::array({"a", 1})});
  CHECK(message(bad) == "tok.json: model.merges[0][1]: is not a string");
  bad = base();
  bad["model"]["vocab"]["a"] = -1;
  CHECK(message(bad).find("model.vocab.a: is not a token id") != std::string::npos);

  bad = base();
  bad["model"]["type"] = "WordPiece";
  CHECK(message(bad) == "tok.json: model: type \"WordPiece\" is not supported (supported: BPE)");
  CHECK(message(base({{"normalizer", {{"type", "Lowercase"}}}})) ==
        "tok.json: normalizer: type \"Lowercase\" is not supported (supported: NFC, NFD, NFKC, "
        "NFKD, Prepend, Replace, Sequence)");
  CHECK(message(base({{"pre_tokenizer",
                       {{"type", "Sequence"}, {"pretokenizers", {{{"type", "Whitespace"}}}}}}})) ==
        "tok.json: pre_tokenizer.pretokenizers[0]: type \"Whitespace\" is not supported "
        "(supported: ByteLevel, Split, Metaspace, Digits, Sequence)");
  CHECK(message(
            base({{"pre_tokenizer",
                   {{"type", "Split"}, {"pattern", {{"Regex", "(a"}}}, {"behavior", "Isolated"}}}}))
            .rfind("tok.json: pre_tokenizer.pattern: invalid regular expression \"(a\"", 0) == 0);
  CHECK(message(
            base({{"pre_tokenizer",
                   {{"type", "Split"}, {"pattern", {{"String", "a"}}}, {"behavior", "Sideways"}}}}))
            .find("pre_tokenizer.behavior: \"Sideways\" is not a split behavior") !=
        std::string::npos);
  bad = base();
  bad["model"]["dropout"] = 0.1;
  CHECK(message(bad).find("model.dropout: BPE dropout is random") != std::string::npos);
}

TEST_CASE("invalid UTF-8 in the text: an error naming the byte offset", "[text][errors]") {
  auto tok = make(base());
  CHECK(error_of([&] { tok.encode("ab\xff", "in.txt"); }) ==
        "in.txt: invalid UTF-8 at byte offset 2 (byte 0xff)");
  CHECK(error_of([&] { tok.encode("a\xc3", "in.txt"); }) ==
        "in.txt: invalid UTF-8 at byte offset 1 (byte 0xc3)");
  CHECK(error_of([&] { tok.encode("\xed\xa0\x80", "in.txt"); }) ==  // a surrogate
        "in.txt: invalid UTF-8 at byte offset 0 (byte 0xed)");
  CHECK(error_of([&] { tok.encode("\xc0\xaf", "in.txt"); }) ==  // overlong "/"
        "in.txt: invalid UTF-8 at byte offset 0 (byte 0xc0)");
}

TEST_CASE("a copied tokenizer outlives its original", "[text][tokenizer]") {
  // Found by fuzz_tokenizer: the vocabulary once pointed into the original's storage.
  std::vector<tokenizer> copies;
  {
    const auto original = make(base());
    for (int i = 0; i < 4; ++i) copies.push_back(original);
  }
  for (auto& t : copies) CHECK(t.encode("abab") == ids{2, 2});
}
