// The hardware file of `anda whatif --hardware` and `anda sweep --hardware`: read from disk by the
// library's guarded reader (regular files only, size capped, the path in every error), then parsed
// and checked field by field by hwmodel (hardware_file.hpp).
#pragma once

#include <anda/hw/hardware_file.hpp>
#include <anda/io/read_file.hpp>

#include <string>

namespace anda::tools {

// A hardware file is a page of JSON; anything larger is not one.
inline constexpr std::uintmax_t hardware_file_max_bytes = 1 << 20;

inline std::string hardware_file_text(const std::string& path) {
  return io::read_file(path, hardware_file_max_bytes, "a hardware file");
}

// One value per field (`anda whatif`).
inline hw::technology read_hardware_file(const std::string& path) {
  return hw::parse_hardware(hardware_file_text(path), path);
}

// Lists allowed (`anda sweep`).
inline hw::hardware_spec read_hardware_sweep(const std::string& path) {
  return hw::parse_hardware_sweep(hardware_file_text(path), path);
}

}  // namespace anda::tools
