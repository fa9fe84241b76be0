// Parsing of the storage locations users type (`--storage URL`), docs/storage.md:
//   local:///abs/path, file:///abs/path, or a plain path (relative paths are made absolute);
//   azure://container/prefix?params  (also azblob://).
// Query parameters are decoded here and interpreted by the driver they belong to.
#pragma once

#include <map>
#include <string>
#include <string_view>

#include "common/result.h"

namespace brix::storage {

struct StorageUrl {
  enum class Kind { kLocal, kAzure };
  Kind kind = Kind::kLocal;
  std::string path;       // local: absolute directory, no trailing '/'
  std::string container;  // azure
  std::string prefix;     // azure: object-name prefix without leading or trailing '/'; may be empty
  std::map<std::string, std::string> params;  // decoded query parameters
  std::string redacted;  // the URL as given, with secret parameters replaced (safe to print)
};

// Parses and validates a location. Errors name the part that is wrong and what is accepted.
[[nodiscard]] Result<StorageUrl> ParseStorageUrl(std::string_view url);

}  // namespace brix::storage
