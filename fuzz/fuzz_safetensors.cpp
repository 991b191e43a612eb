// libFuzzer target: any byte sequence given to the safetensors parser either parses (and then
// every tensor decodes within bounds) or throws an anda::error; anything else is a finding.
#include <anda/io/safetensors.hpp>

#include <cstddef>
#include <cstdint>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  try {
    const auto file = anda::io::safetensors_file::parse(
        std::vector<std::uint8_t>(data, data + size), "fuzz.safetensors");
    float sum = 0;
    for (const auto& name : file.names()) {
      const auto t = file.tensor(name);
      for (float v : file.to_float(name, t.shape)) sum += v;
      if (t.shape.size() == 2) sum += file.to_matrix(name, t.shape[0], t.shape[1]).sum();
    }
    volatile float sink = sum;  // keep the decode from being optimised away
    (void)sink;
  } catch (const anda::error&) {
  }
  return 0;
}
