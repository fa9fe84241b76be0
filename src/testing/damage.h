// Damage for tests of what a reader refuses: one byte of a stored file flipped in place.
#pragma once

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>

namespace brix::testing {

// Flips the lowest bit of the byte at `at` (default: the middle of the file).
inline void FlipByte(const std::string& path, std::optional<uint64_t> at = std::nullopt) {
  const uint64_t offset = at.value_or(std::filesystem::file_size(path) / 2);
  std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
  f.seekg(static_cast<std::streamoff>(offset));
  char c = 0;
  f.get(c);
  f.seekp(static_cast<std::streamoff>(offset));
  f.put(static_cast<char>(c ^ 0x01));
}

}  // namespace brix::testing
