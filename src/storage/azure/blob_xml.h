// Parsing of the Blob service's XML bodies (List Blobs results and error bodies) with pugixml.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace brix::storage::azure {

struct ListedBlob {
  std::string name;  // full blob name (prefix included), decoded
  uint64_t size = 0;
};

struct ListBlobsResult {
  std::vector<ListedBlob> blobs;
  std::string next_marker;
};

// Parses an EnumerationResults document. Handles a UTF-8 BOM and <Name Encoded="true">.
[[nodiscard]] Result<ListBlobsResult> ParseListBlobs(std::string_view xml);

// The <Message> of an <Error> body, or "" (for messages; the code comes from x-ms-error-code).
std::string ParseErrorMessage(std::string_view xml);

// The XML body of Put Block List naming `block_ids` as <Latest> entries, in order.
std::string BlockListXml(const std::vector<std::string>& block_ids);

}  // namespace brix::storage::azure
