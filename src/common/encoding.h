// Byte encodings used on the wire: base64 (standard alphabet, padded), hex, and the
// percent-encoding rules of URLs and of Azure blob paths.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace brix {

std::string Base64Encode(std::string_view bytes);
// nullopt when `text` is not valid padded standard base64.
std::optional<std::string> Base64Decode(std::string_view text);
// base64url without padding (JWT segments).
std::string Base64UrlEncode(std::string_view bytes);

std::string HexEncode(std::string_view bytes);
// nullopt when `text` is not an even number of hex digits (either case).
std::optional<std::string> HexDecode(std::string_view text);

// Percent-encodes every byte except RFC 3986 unreserved characters (A-Z a-z 0-9 - _ . ~).
// With keep_slash, '/' is kept literal (paths).
std::string PercentEncode(std::string_view text, bool keep_slash = false);
// Decodes %XX sequences; with plus_as_space also '+' (form encoding). nullopt on a bad escape.
std::optional<std::string> PercentDecode(std::string_view text, bool plus_as_space = false);

// Little-endian 8-byte representation of v (Azure's CRC64 header is base64 of this).
std::string LittleEndian64(uint64_t v);

}  // namespace brix
