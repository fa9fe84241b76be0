// Damage for tests of what a reader refuses: one byte of a stored file flipped in place, on a
// copy of a local storage's folder taken while its writers may still run.
#pragma once

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <system_error>

#include "storage/local/local_storage.h"

namespace brix::testing {

// Flips the bits of `mask` (default: the lowest) in the byte at `at` (default: the middle of the
// file).
inline void FlipByte(const std::string& path, std::optional<uint64_t> at = std::nullopt,
                     char mask = 0x01) {
  const uint64_t offset = at.value_or(std::filesystem::file_size(path) / 2);
  std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
  f.seekg(static_cast<std::streamoff>(offset));
  char c = 0;
  f.get(c);
  f.seekp(static_cast<std::streamoff>(offset));
  f.put(static_cast<char>(c ^ mask));
}

// Copies the objects of a local storage's folder `from` to `to` as a lister would see them:
// writers' temp files are left out, and a file that vanishes while being copied (a live log task
// replacing its checkpoint, a deletion) is skipped. Throws on any other error.
inline void CopyStoredObjects(const std::string& from, const std::string& to) {
  namespace fs = std::filesystem;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(from, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    const fs::path rel = it->path().lexically_relative(from);
    if (rel.string().find(storage::kLocalTempMarker) != std::string::npos) continue;
    std::error_code type_ec;
    if (!it->is_regular_file(type_ec)) continue;
    fs::create_directories((fs::path(to) / rel).parent_path());
    std::error_code copy_ec;
    fs::copy_file(it->path(), fs::path(to) / rel, fs::copy_options::overwrite_existing, copy_ec);
    if (copy_ec && copy_ec != std::errc::no_such_file_or_directory) {
      throw fs::filesystem_error("copy stored object", it->path(), copy_ec);
    }
  }
  if (ec) throw fs::filesystem_error("list stored objects", fs::path(from), ec);
}

}  // namespace brix::testing
