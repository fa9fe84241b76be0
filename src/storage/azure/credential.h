// How an Azure Blob request is authorised: Shared Key (signs the request), SAS (appends the
// token), or Microsoft Entra (bearer token; see entra_credential.h). The driver calls Authorize
// on every try, after it has set a fresh x-ms-date, so retries are signed anew.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "common/status.h"
#include "storage/azure/shared_key.h"

namespace brix::storage::azure {

class Credential {
 public:
  virtual ~Credential() = default;
  // Adds the Authorization header or the SAS query to `request`. Must be the last change made to
  // the request before it is sent.
  [[nodiscard]] virtual Status Authorize(BlobRequest& request) = 0;
  // Called after the service answered 401: forget cached tokens so the next try gets a new one.
  virtual void Invalidate() {}
  // "shared key", "SAS" or "Entra" (for messages; never the secret).
  virtual std::string_view Kind() const = 0;
};

std::unique_ptr<Credential> MakeSharedKeyCredential(std::string account, std::string key_b64);
std::unique_ptr<Credential> MakeSasCredential(std::string token);

}  // namespace brix::storage::azure
