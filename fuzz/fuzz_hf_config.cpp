// libFuzzer target: any text given to the config.json readers (`eval`'s LLaMA config and the
// architecture `whatif --config` reads, OPT included) either yields a result or throws an
// anda::error; anything else is a finding.
#include <anda/io/hf_config.hpp>

#include <cstddef>
#include <cstdint>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text{reinterpret_cast<const char*>(data), size};
  try {
    (void)anda::io::parse_llama_config(text, "fuzz/config.json");
  } catch (const anda::error&) {
  }
  try {
    const auto json = anda::io::detail::parse_config_json(text, "fuzz/config.json");
    (void)anda::io::hf_architecture_from_json(json, "fuzz/config.json");
  } catch (const anda::error&) {
  }
  return 0;
}
