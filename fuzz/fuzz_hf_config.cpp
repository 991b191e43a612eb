// libFuzzer target: any text given to the config.json reader either yields a config or throws an
// anda::error; anything else is a finding.
#include <anda/io/hf_config.hpp>

#include <cstddef>
#include <cstdint>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  try {
    const auto c = anda::io::parse_llama_config(
        std::string_view{reinterpret_cast<const char*>(data), size}, "fuzz/config.json");
    (void)c;
  } catch (const anda::error&) {
  }
  return 0;
}
