// LocalStorage: ExternalStorage on a local (or mounted) directory.
//
// Objects are files below the root; '/' in a name makes subdirectories. Every write goes to a
// hidden temporary file in the target directory, is fsync-ed, then renamed over the final name
// (or hard-linked, for create-only writes, so an existing object is never replaced) and the
// directory is fsync-ed: a crash leaves either the old object or the new one, plus at worst a
// temporary file that listings never show.
#pragma once

#include <memory>
#include <string>

#include "storage/external_storage.h"

namespace brix::storage {

// Opens (creating if needed) the directory `root`.
[[nodiscard]] Result<std::unique_ptr<ExternalStorage>> OpenLocalStorage(const std::string& root);

// Marker inside temporary file names; listings skip files containing it.
inline constexpr std::string_view kLocalTempMarker = ".brix-tmp-";

}  // namespace brix::storage
