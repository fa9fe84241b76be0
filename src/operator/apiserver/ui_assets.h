// The web page's static files (src/operator/apiserver/ui/), compiled into brixd at build time by
// cmake/EmbedUiAssets.cmake, so the page works without internet access or files on disk.
#pragma once

#include <string_view>
#include <vector>

namespace brix::apiserver {

struct UiAsset {
  std::string_view name;  // "index.html", relative to /ui/
  std::string_view content_type;
  std::string_view body;
};

const std::vector<UiAsset>& UiAssets();

}  // namespace brix::apiserver
