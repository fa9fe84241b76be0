#include "storage/azure/sas.h"

#include "common/encoding.h"
#include "storage/azure/shared_key.h"

namespace brix::storage::azure {

Result<std::string> GenerateAccountSas(std::string_view account, std::string_view account_key_b64,
                                       const AccountSasOptions& o) {
  std::string start = o.start ? FormatIso8601(*o.start) : "";
  std::string expiry = FormatIso8601(o.expiry);
  // Field order of the account SAS string-to-sign; versions from 2020-12-06 add the (empty)
  // encryption scope line.
  std::string to_sign = std::string(account) + "\n" + o.permissions + "\n" + o.services + "\n" +
                        o.resource_types + "\n" + start + "\n" + expiry + "\n" + "\n" + o.protocol +
                        "\n" + o.version + "\n";
  if (o.version >= "2020-12-06") to_sign += "\n";
  std::string sig = SharedKeySignature(to_sign, account_key_b64);
  if (sig.empty()) return Status::InvalidArgument("account key is not valid base64");
  std::string token = "sv=" + o.version + "&ss=" + o.services + "&srt=" + o.resource_types +
                      "&sp=" + o.permissions + "&se=" + PercentEncode(expiry);
  if (!start.empty()) token += "&st=" + PercentEncode(start);
  if (!o.protocol.empty()) token += "&spr=" + PercentEncode(o.protocol);
  token += "&sig=" + PercentEncode(sig);
  return token;
}

std::optional<SystemTime> SasExpiry(std::string_view token) {
  if (!token.empty() && token.front() == '?') token.remove_prefix(1);
  while (!token.empty()) {
    size_t amp = token.find('&');
    std::string_view pair = token.substr(0, amp);
    token = amp == std::string_view::npos ? std::string_view() : token.substr(amp + 1);
    if (pair.rfind("se=", 0) == 0) {
      auto decoded = PercentDecode(pair.substr(3));
      if (!decoded) return std::nullopt;
      return ParseIso8601Utc(*decoded);
    }
  }
  return std::nullopt;
}

}  // namespace brix::storage::azure
