// libFuzzer target: any byte sequence given to the .npy parser either parses (with exactly
// size() elements of data) or throws an anda::error; anything else is a finding.
#include <anda/io/npy.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdlib>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  try {
    const auto a = anda::io::parse_npy({data, size}, "fuzz.npy");
    if (a.data.size() != a.size() * a.element_bytes()) std::abort();  // the parser's promise
  } catch (const anda::error&) {
  }
  return 0;
}
