#include "storage/azure/blob_xml.h"

#include <cstdlib>
#include <pugixml.hpp>

#include "common/encoding.h"

namespace brix::storage::azure {
namespace {

std::string_view StripBom(std::string_view xml) {
  if (xml.size() >= 3 && xml.substr(0, 3) == "\xEF\xBB\xBF") xml.remove_prefix(3);
  return xml;
}

}  // namespace

Result<ListBlobsResult> ParseListBlobs(std::string_view xml) {
  xml = StripBom(xml);
  pugi::xml_document doc;
  pugi::xml_parse_result parsed = doc.load_buffer(xml.data(), xml.size());
  if (!parsed) {
    return Status::Unavailable(std::string("List Blobs: unparsable XML response: ") +
                               parsed.description());
  }
  pugi::xml_node root = doc.child("EnumerationResults");
  if (!root) return Status::Unavailable("List Blobs: response has no EnumerationResults");
  ListBlobsResult out;
  for (pugi::xml_node blob : root.child("Blobs").children("Blob")) {
    pugi::xml_node name_node = blob.child("Name");
    std::string name = name_node.child_value();
    if (name_node.attribute("Encoded").as_bool()) {
      auto decoded = PercentDecode(name);
      if (!decoded) return Status::Unavailable("List Blobs: bad encoded name '" + name + "'");
      name = *decoded;
    }
    ListedBlob b;
    b.name = std::move(name);
    b.size = std::strtoull(blob.child("Properties").child_value("Content-Length"), nullptr, 10);
    out.blobs.push_back(std::move(b));
  }
  out.next_marker = root.child_value("NextMarker");
  return out;
}

std::string ParseErrorMessage(std::string_view xml) {
  xml = StripBom(xml);
  pugi::xml_document doc;
  if (!doc.load_buffer(xml.data(), xml.size())) return "";
  std::string msg = doc.child("Error").child_value("Message");
  // Azure appends "RequestId:...\nTime:..." lines; keep the first line only.
  if (size_t nl = msg.find('\n'); nl != std::string::npos) msg.resize(nl);
  return msg;
}

std::string BlockListXml(const std::vector<std::string>& block_ids) {
  std::string xml = "<?xml version=\"1.0\" encoding=\"utf-8\"?><BlockList>";
  for (const auto& id : block_ids) xml += "<Latest>" + id + "</Latest>";  // base64: no escaping
  xml += "</BlockList>";
  return xml;
}

}  // namespace brix::storage::azure
