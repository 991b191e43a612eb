// safetensors reader: exact decoding of F16/BF16/F32, the test-data checkpoints against an
// independent decode of their bytes, and one test per way a file or an index can be wrong.
#include <catch2/catch.hpp>

#include <anda/io/safetensors.hpp>

#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "st_writer.hpp"

using anda::io::safetensors_checkpoint;
using anda::io::safetensors_dtype;
using anda::io::safetensors_error;
using anda::io::safetensors_file;
using Catch::Matchers::Contains;
using Catch::Matchers::StartsWith;
using namespace anda_test;

namespace {

const std::filesystem::path data = ANDA_TEST_DATA_DIR;

safetensors_file parse(const std::vector<std::uint8_t>& bytes) {
  return safetensors_file::parse(bytes, "crafted.safetensors");
}

// The message of the safetensors_error that parsing `bytes` throws ("" when it does not throw).
std::string parse_error(const std::vector<std::uint8_t>& bytes) {
  try {
    parse(bytes);
  } catch (const safetensors_error& e) {
    return e.what();
  }
  return "";
}

std::string one_tensor(const std::string& dtype, const std::string& shape,
                       const std::string& offsets) {
  return R"({"t": {"dtype": ")" + dtype + R"(", "shape": )" + shape + R"(, "data_offsets": )" +
         offsets + "}}";
}

// Independent decoders: FP16 by its definition (no anda::fp16), BF16 by shifting.
float f16_by_definition(std::uint16_t h) {
  const int e = (h >> 10) & 31, f = h & 1023;
  const float sign = (h >> 15) ? -1.0f : 1.0f;
  if (e == 31) return f ? std::numeric_limits<float>::quiet_NaN() : sign * INFINITY;
  if (e == 0) return sign * std::ldexp(static_cast<float>(f), -24);
  return sign * std::ldexp(static_cast<float>(1024 + f), e - 25);
}

struct raw_tensor {
  std::string dtype;
  std::vector<std::size_t> shape;
  std::vector<std::uint8_t> bytes;
};

// Reads a tensor straight from the file: own header parse, own offset arithmetic.
raw_tensor read_raw(const std::filesystem::path& file, const std::string& name) {
  const auto bytes = read_bytes(file);
  std::uint64_t n = 0;
  std::memcpy(&n, bytes.data(), 8);
  const auto header =
      nlohmann::json::parse(bytes.begin() + 8, bytes.begin() + 8 + static_cast<std::ptrdiff_t>(n));
  const auto& e = header.at(name);
  const std::size_t begin = 8 + n + e["data_offsets"][0].get<std::size_t>();
  const std::size_t end = 8 + n + e["data_offsets"][1].get<std::size_t>();
  return {e["dtype"],
          e["shape"].get<std::vector<std::size_t>>(),
          {bytes.begin() + static_cast<std::ptrdiff_t>(begin),
           bytes.begin() + static_cast<std::ptrdiff_t>(end)}};
}

std::vector<float> decode_raw(const raw_tensor& t) {
  std::vector<float> out;
  for (std::size_t i = 0; i + 1 < t.bytes.size(); i += 2) {
    const auto h = static_cast<std::uint16_t>(t.bytes[i] | (t.bytes[i + 1] << 8));
    out.push_back(t.dtype == "BF16" ? std::bit_cast<float>(std::uint32_t{h} << 16)
                                    : f16_by_definition(h));
  }
  return out;
}

bool same_bits(float a, float b) {
  return std::bit_cast<std::uint32_t>(a) == std::bit_cast<std::uint32_t>(b);
}

}  // namespace

TEST_CASE("safetensors: F16, BF16 and F32 decode exactly, metadata and names", "[safetensors]") {
  const std::vector<std::uint16_t> h = {0x0000, 0x8000, 0x0001, 0x03FF, 0x3C00,
                                        0x7BFF, 0xFBFF, 0x7C00, 0xFC00, 0x7E01};
  const std::vector<std::uint16_t> b = {0x0000, 0x8000, 0x3F80, 0xC0A0,
                                        0x7F7F, 0x0001, 0x7F80, 0x7FC1};
  const std::vector<float> f = {0.0f, -0.0f, 1.5f, -1e-40f, 3.4e38f, INFINITY};
  std::map<std::string, st_tensor> ts;
  ts["half"] = {"F16", {2, 5}, u16_bytes(h)};
  ts["brain"] = {"BF16", {8}, u16_bytes(b)};
  ts["single"] = {"F32", {3, 2}, f32_bytes(f)};
  ts["empty"] = {"F32", {0, 4}, {}};
  const auto file = parse(st_build(ts, {{"format", "pt"}}));

  CHECK(file.tensor_count() == 4);
  CHECK(file.names() == std::vector<std::string>{"brain", "empty", "half", "single"});
  CHECK(file.metadata().at("format") == "pt");
  CHECK(file.tensor("half").dtype == safetensors_dtype::f16);
  CHECK(file.tensor("brain").size() == 8);

  const std::size_t hs[2] = {2, 5};
  const auto hv = file.to_float("half", hs);
  for (std::size_t i = 0; i < h.size(); ++i) {
    INFO("fp16 bits " << h[i]);
    const float want = f16_by_definition(h[i]);
    if (std::isnan(want))
      CHECK(std::isnan(hv[i]));
    else
      CHECK(same_bits(hv[i], want));
  }
  const auto bv = file.to_vector("brain", 8);
  for (std::size_t i = 0; i < b.size(); ++i)
    CHECK(same_bits(bv[static_cast<Eigen::Index>(i)],
                    std::bit_cast<float>(std::uint32_t{b[i]} << 16)));
  CHECK(bv[2] == 1.0f);
  CHECK(bv[3] == -5.0f);

  // Row-major [3, 2] in the file, m(r, c) in Eigen.
  const Eigen::MatrixXf m = file.to_matrix("single", 3, 2);
  for (int r = 0; r < 3; ++r)
    for (int c = 0; c < 2; ++c) CHECK(same_bits(m(r, c), f[static_cast<std::size_t>(2 * r + c)]));
  CHECK(file.to_matrix("empty", 0, 4).size() == 0);

  // Copies stay valid (views are computed from offsets).
  const safetensors_file copy = file;
  CHECK(copy.to_vector("brain", 8)[2] == 1.0f);
}

TEST_CASE("safetensors: asking for a missing tensor or the wrong shape", "[safetensors]") {
  std::map<std::string, st_tensor> ts;
  ts["w"] = {"F32", {2, 3}, f32_bytes({1, 2, 3, 4, 5, 6})};
  const auto file = parse(st_build(ts));
  CHECK_THROWS_WITH(file.tensor("v"), "crafted.safetensors: no tensor 'v'");
  CHECK_THROWS_WITH(file.to_matrix("w", 3, 2),
                    "crafted.safetensors: tensor 'w' has shape [2, 3], expected [3, 2]");
  CHECK_THROWS_WITH(file.to_vector("w", 6), Contains("has shape [2, 3], expected [6]"));
  CHECK_THROWS_AS(file.tensor("v"), anda::error);
}

TEST_CASE("safetensors: every way a file can lie or break is one clear error", "[safetensors]") {
  const auto data24 = std::vector<std::uint8_t>(24, 0);
  SECTION("valid baseline") {
    CHECK(parse_error(st_image(one_tensor("F32", "[2, 3]", "[0, 24]"), data24)).empty());
  }
  SECTION("too short for the length field") {
    CHECK_THAT(parse_error({1, 2, 3}), Contains("crafted.safetensors: truncated: 3 bytes"));
  }
  SECTION("header length past the end of the file") {
    auto img = st_image(one_tensor("F32", "[2, 3]", "[0, 24]"), data24);
    img[0] = 0xFF;
    img[1] = 0xFF;
    CHECK_THAT(parse_error(img), Contains("header length 65535 exceeds the file"));
    img[7] = 0xFF;  // near 2^64: must not wrap around
    CHECK_THAT(parse_error(img), Contains("exceeds the file"));
  }
  SECTION("truncated data") {
    auto img = st_image(one_tensor("F32", "[2, 3]", "[0, 24]"), data24);
    img.erase(img.end() - 5, img.end());
    CHECK_THAT(parse_error(img), Contains("tensor 't': data_offsets [0, 24] extend past the data "
                                          "section (19 bytes; file truncated?)"));
  }
  SECTION("trailing bytes after the last tensor") {
    auto img = st_image(one_tensor("F32", "[2, 3]", "[0, 24]"), std::vector<std::uint8_t>(30, 0));
    CHECK_THAT(parse_error(img), Contains("6 bytes after the last tensor's data"));
  }
  SECTION("bad JSON") {
    CHECK_THAT(parse_error(st_image(R"({"t": {"dtype": "F32",)", data24)),
               Contains("crafted.safetensors: header: invalid JSON"));
    // nlohmann's own tag is not the message; the bytes it echoes are escaped.
    const auto e = parse_error(st_image(std::string("{\"t\"\0\n  ", 8), data24));
    CHECK_THAT(e, Contains("crafted.safetensors: header: invalid JSON: parse error at line 1"));
    CHECK_THAT(e, !Contains("[json.exception") && !Contains(std::string(1, '\0')));
    CHECK_THAT(parse_error(st_image("{\"t\xff\": 1}", data24)), Contains("invalid JSON"));
  }
  SECTION("header not an object") {
    CHECK_THAT(parse_error(st_image("[1, 2]", {})), Contains("the header is not a JSON object"));
    CHECK_THAT(parse_error(st_image("", {})), Contains("the header is not a JSON object"));
  }
  SECTION("nested too deeply") {
    CHECK_THAT(parse_error(st_image(R"({"t": {"shape": [[[[1]]]]}})", {})),
               Contains("nested deeper than"));
  }
  SECTION("unsupported dtype is named") {
    CHECK_THAT(parse_error(st_image(one_tensor("I32", "[2, 3]", "[0, 24]"), data24)),
               Contains("tensor 't' has dtype 'I32', which is not supported (supported: F16, "
                        "BF16, F32)"));
    CHECK_THAT(parse_error(st_image(one_tensor("F8_E4M3", "[24]", "[0, 24]"), data24)),
               Contains("'F8_E4M3'"));
  }
  SECTION("size does not match the shape") {
    CHECK_THAT(parse_error(st_image(one_tensor("F32", "[2, 2]", "[0, 24]"), data24)),
               Contains("shape [2, 2] of F32 needs 4 x 4 bytes but data_offsets span 24"));
    CHECK_THAT(parse_error(st_image(one_tensor("F16", "[2, 3]", "[0, 24]"), data24)),
               Contains("needs 6 x 2 bytes"));
    CHECK_THAT(
        parse_error(st_image(one_tensor("F32", "[4294967296, 4294967296, 16]", "[0, 24]"), data24)),
        Contains("needs too many bytes"));
    CHECK_THAT(parse_error(st_image(one_tensor("F32", "[4611686018427387904]", "[0, 24]"), data24)),
               Contains("needs"));
  }
  SECTION("offsets outside the data or reversed") {
    CHECK_THAT(parse_error(st_image(one_tensor("F32", "[2, 3]", "[8, 32]"), data24)),
               Contains("data_offsets [8, 32] extend past the data section (24 bytes"));
    CHECK_THAT(parse_error(st_image(one_tensor("F32", "[2, 3]", "[24, 0]"), data24)),
               Contains("data_offsets [24, 0] end before they begin"));
    CHECK_THAT(parse_error(st_image(one_tensor("F32", "[2, 3]", "[0]"), data24)),
               Contains("data_offsets must be an array [begin, end]"));
    CHECK_THAT(parse_error(st_image(one_tensor("F32", "[2, 3]", "[-1, 23]"), data24)),
               Contains("data_offsets begin must be a non-negative integer, got -1"));
    CHECK_THAT(
        parse_error(st_image(one_tensor("F32", "[2, 3]", "[0, 18446744073709551616]"), data24)),
        Contains("data_offsets end must be a non-negative integer"));
  }
  SECTION("bad shapes") {
    CHECK_THAT(parse_error(st_image(one_tensor("F32", "[2, -3]", "[0, 24]"), data24)),
               Contains("shape dimension must be a non-negative integer, got -3"));
    CHECK_THAT(parse_error(st_image(one_tensor("F32", "[2, 3.0]", "[0, 24]"), data24)),
               Contains("got 3.0"));
    CHECK_THAT(parse_error(st_image(one_tensor("F32", "\"2x3\"", "[0, 24]"), data24)),
               Contains("shape must be an array"));
  }
  SECTION("overlapping tensors") {
    const std::string h = R"({"a": {"dtype": "F32", "shape": [4], "data_offsets": [0, 16]},
                              "b": {"dtype": "F32", "shape": [4], "data_offsets": [8, 24]}})";
    CHECK_THAT(
        parse_error(st_image(h, data24)),
        Contains("tensor 'b' (data_offsets [8, 24]) overlaps tensor 'a' (which ends at 16)"));
    const std::string same = R"({"a": {"dtype": "F32", "shape": [6], "data_offsets": [0, 24]},
                                 "b": {"dtype": "F16", "shape": [12], "data_offsets": [0, 24]}})";
    CHECK_THAT(parse_error(st_image(same, data24)), Contains("overlaps"));
  }
  SECTION("gaps between tensors") {
    const std::string h = R"({"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},
                              "b": {"dtype": "F32", "shape": [2], "data_offsets": [16, 24]}})";
    CHECK_THAT(parse_error(st_image(h, data24)),
               Contains("gap of 8 bytes in the data section before tensor 'b' (at offset 8)"));
  }
  SECTION("duplicate names") {
    const std::string h = R"({"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},
                              "a": {"dtype": "F32", "shape": [4], "data_offsets": [8, 24]}})";
    CHECK_THAT(parse_error(st_image(h, data24)), Contains("duplicate JSON key 'a'"));
  }
  SECTION("entry keys") {
    CHECK_THAT(parse_error(st_image(R"({"t": {"shape": [6], "data_offsets": [0, 24]}})", data24)),
               Contains("tensor 't': missing 'dtype'"));
    CHECK_THAT(
        parse_error(st_image(
            R"({"t": {"dtype": "F32", "shape": [6], "data_offsets": [0, 24], "x": 1}})", data24)),
        Contains("tensor 't': unexpected key 'x'"));
    CHECK_THAT(parse_error(st_image(R"({"t": 5})", data24)),
               Contains("entry must be a JSON object"));
    CHECK_THAT(parse_error(st_image(
                   R"({"t": {"dtype": 16, "shape": [6], "data_offsets": [0, 24]}})", data24)),
               Contains("dtype must be a string"));
  }
  SECTION("metadata must map strings to strings") {
    CHECK_THAT(parse_error(st_image(R"({"__metadata__": {"format": 1}})", {})),
               Contains("__metadata__ value 'format' must be a string"));
    CHECK_THAT(parse_error(st_image(R"({"__metadata__": [1]})", {})),
               Contains("__metadata__ must be a JSON object"));
  }
  SECTION("the errors are anda errors and name the file") {
    CHECK_THROWS_AS(parse({1}), anda::error);
    CHECK_THROWS_WITH(safetensors_file::read("/nonexistent/x.safetensors"),
                      StartsWith("/nonexistent/x.safetensors: cannot open ("));
  }
}

TEST_CASE("safetensors: the test-data BF16 single-file checkpoint", "[safetensors][data]") {
  const auto dir = data / "models/tiny-gqa-random";
  const safetensors_checkpoint ckpt{dir};
  CHECK(ckpt.shard_count() == 1);
  CHECK(ckpt.names().size() == 2 + 2 * 9 + 0);  // embed, norm, 9 per layer; tied: no lm_head
  CHECK_FALSE(ckpt.contains("lm_head.weight"));
  const auto t = ckpt.tensor("model.layers.1.self_attn.k_proj.weight");
  CHECK(t.dtype == safetensors_dtype::bf16);
  CHECK(std::vector<std::size_t>(t.shape.begin(), t.shape.end()) ==
        std::vector<std::size_t>{64, 256});

  for (const char* name : {"model.layers.1.self_attn.k_proj.weight", "model.embed_tokens.weight"}) {
    const auto raw = read_raw(dir / "model.safetensors", name);
    REQUIRE(raw.dtype == "BF16");
    const auto want = decode_raw(raw);
    const Eigen::MatrixXf m = ckpt.to_matrix(name, raw.shape[0], raw.shape[1]);
    std::size_t mismatches = 0;
    for (std::size_t r = 0; r < raw.shape[0]; ++r)
      for (std::size_t c = 0; c < raw.shape[1]; ++c)
        mismatches += !same_bits(m(static_cast<Eigen::Index>(r), static_cast<Eigen::Index>(c)),
                                 want[r * raw.shape[1] + c]);
    CHECK(mismatches == 0);
    CHECK(m.cwiseAbs().maxCoeff() > 0.1f);  // random normal weights, std 0.08
  }
}

TEST_CASE("safetensors: the test-data F16 sharded checkpoint", "[safetensors][data]") {
  const auto dir = data / "models/tiny-llama-en";
  const safetensors_checkpoint ckpt{dir};
  CHECK(ckpt.shard_count() == 3);
  CHECK(ckpt.names().size() == 75);
  CHECK_THAT(ckpt.file_of("lm_head.weight").name(), Contains("model-00003-of-00003.safetensors"));
  CHECK_THAT(ckpt.file_of("model.embed_tokens.weight").name(), Contains("model-00001-of-00003"));
  CHECK(ckpt.file_of("model.norm.weight").metadata().at("format") == "pt");
  std::size_t params = 0;
  for (const auto& n : ckpt.names()) params += ckpt.tensor(n).size();
  CHECK(params == 20'453'760);  // README

  const auto raw = read_raw(dir / "model-00003-of-00003.safetensors", "model.norm.weight");
  REQUIRE(raw.dtype == "F16");
  const auto want = decode_raw(raw);
  const Eigen::VectorXf norm = ckpt.to_vector("model.norm.weight", 384);
  for (std::size_t i = 0; i < 384; ++i)
    CHECK(same_bits(norm[static_cast<Eigen::Index>(i)], want[i]));
  CHECK_THROWS_WITH(ckpt.tensor("model.layers.8.mlp.up_proj.weight"),
                    Contains("checkpoint has no tensor 'model.layers.8.mlp.up_proj.weight'"));
}

TEST_CASE("safetensors: checkpoint directories and index files that are wrong", "[safetensors]") {
  temp_dir dir("ckpt");
  std::map<std::string, st_tensor> s1, s2;
  s1["a"] = {"F32", {2}, f32_bytes({1, 2})};
  s1["b"] = {"F16", {2}, f16_bytes({3, 4})};
  s2["c"] = {"BF16", {1}, u16_bytes({0x3F80})};
  write_bytes(dir / "s1.safetensors", st_build(s1));
  write_bytes(dir / "s2.safetensors", st_build(s2));
  const auto index = [&](const std::string& weight_map) {
    write_text(dir / "model.safetensors.index.json",
               R"({"metadata": {"total_size": 14}, "weight_map": )" + weight_map + "}");
  };
  const auto open_error = [&]() -> std::string {
    try {
      safetensors_checkpoint{dir.path()};
    } catch (const safetensors_error& e) {
      return e.what();
    }
    return "";
  };

  CHECK_THAT(open_error(), Contains("no model.safetensors or model.safetensors.index.json"));
  index(R"({"a": "s1.safetensors", "b": "s1.safetensors", "c": "s2.safetensors"})");
  {
    const safetensors_checkpoint ckpt{dir.path()};
    CHECK(ckpt.shard_count() == 2);
    CHECK(ckpt.to_vector("b", 2)[1] == 4.0f);
    CHECK(ckpt.to_vector("c", 1)[0] == 1.0f);
  }
  index(R"({"a": "s1.safetensors", "b": "s1.safetensors", "c": "s3.safetensors"})");
  CHECK_THAT(open_error(),
             Contains("weight_map entry 'c' names shard 's3.safetensors', which does not exist"));
  index(R"({"a": "s1.safetensors", "b": "s2.safetensors", "c": "s2.safetensors"})");
  CHECK_THAT(open_error(),
             Contains("weight_map puts tensor 'b' in 's2.safetensors', which does not hold it"));
  index(R"({"a": "s1.safetensors", "c": "s2.safetensors"})");
  CHECK_THAT(
      open_error(),
      Contains(
          "s1.safetensors: holds tensor 'b', which model.safetensors.index.json does not list"));
  index(R"({"a": "../s1.safetensors"})");
  CHECK_THAT(open_error(), Contains("which is not a file name in the checkpoint directory"));
  index(R"({"a": "/etc/passwd"})");
  CHECK_THAT(open_error(), Contains("not a file name"));
  index(R"({"a": 3})");
  CHECK_THAT(open_error(), Contains("weight_map entry 'a' is not a file name"));
  write_text(dir / "model.safetensors.index.json", R"({"weight_map": {"a": "s1.safetensors",)");
  CHECK_THAT(open_error(), Contains("model.safetensors.index.json: invalid JSON"));
  write_text(dir / "model.safetensors.index.json", R"({"metadata": {}})");
  CHECK_THAT(open_error(), Contains("no \"weight_map\" object"));
  // A broken shard is reported with the shard's own path.
  index(R"({"a": "s1.safetensors", "b": "s1.safetensors", "c": "s2.safetensors"})");
  auto broken = st_build(s2);
  broken.pop_back();
  write_bytes(dir / "s2.safetensors", broken);
  CHECK_THAT(open_error(), Contains("s2.safetensors: tensor 'c': data_offsets [0, 2] extend past"));
  write_bytes(dir / "model.safetensors", st_build(s1));
  CHECK_THAT(open_error(),
             Contains("holds both model.safetensors and model.safetensors.index.json"));
}

TEST_CASE("safetensors: only regular files are read, sizes checked before reading",
          "[safetensors]") {
  // A shard, single file or index that is /dev/zero (or a directory) grew to gigabytes or gave
  // "basic_filebuf::underflow error reading the file: Is a directory" without a path.
  temp_dir dir("files");
  std::map<std::string, st_tensor> s1;
  s1["a"] = {"F32", {2}, f32_bytes({1, 2})};
  const auto open_error = [&]() -> std::string {
    try {
      safetensors_checkpoint{dir.path()};
    } catch (const safetensors_error& e) {
      return e.what();
    }
    return "";
  };
  const bool have_zero = std::filesystem::exists("/dev/zero");
  if (have_zero) {
    std::filesystem::create_symlink("/dev/zero", dir / "model.safetensors");
    CHECK(open_error() == (dir / "model.safetensors").string() + ": not a regular file");
    std::filesystem::remove(dir / "model.safetensors");
    CHECK_THROWS_WITH(safetensors_file::read("/dev/zero"), "/dev/zero: not a regular file");
  }
  std::filesystem::create_directory(dir / "model.safetensors");
  CHECK(open_error() ==
        (dir / "model.safetensors").string() + ": not a regular file (a directory)");
  std::filesystem::remove(dir / "model.safetensors");

  write_bytes(dir / "s1.safetensors", st_build(s1));
  if (have_zero) {
    std::filesystem::create_symlink("/dev/zero", dir / "model.safetensors.index.json");
    CHECK(open_error() == (dir / "model.safetensors.index.json").string() + ": not a regular file");
    std::filesystem::remove(dir / "model.safetensors.index.json");
    std::filesystem::create_symlink("/dev/zero", dir / "s2.safetensors");
    write_text(dir / "model.safetensors.index.json",
               R"({"weight_map": {"a": "s1.safetensors", "b": "s2.safetensors"}})");
    CHECK(open_error() == (dir / "s2.safetensors").string() + ": not a regular file");
    std::filesystem::remove(dir / "s2.safetensors");
  }
  // An index past the header limit (a sparse file: nothing is written or read).
  write_text(dir / "model.safetensors.index.json", "{}");
  std::filesystem::resize_file(dir / "model.safetensors.index.json", 100'000'001);
  CHECK_THAT(open_error(),
             Contains("model.safetensors.index.json: 100000001 bytes is too large for "
                      "model.safetensors.index.json (at most 100000000)"));
  std::filesystem::remove(dir / "model.safetensors.index.json");
  // A header length past the limit is refused before the header is read.
  auto big = st_build(s1);
  big[3] = 0x10;  // 2^28 + ...
  write_bytes(dir / "model.safetensors", big);
  std::filesystem::resize_file(dir / "model.safetensors", std::uintmax_t{1} << 29);
  CHECK_THAT(open_error(), Contains("header length 268435") && Contains("exceeds the limit"));
  // Index JSON errors name the file and are nlohmann's text without its tag.
  std::filesystem::remove(dir / "model.safetensors");
  write_text(dir / "model.safetensors.index.json", "{\"weight_map\": x}");
  const auto e = open_error();
  CHECK_THAT(e, Contains((dir / "model.safetensors.index.json").string() +
                         ": invalid JSON: parse error at line 1, column 16"));
  CHECK_THAT(e, !Contains("[json.exception"));
}
