#include "storage/azure/credential.h"

namespace brix::storage::azure {
namespace {

class SharedKeyCredential final : public Credential {
 public:
  SharedKeyCredential(std::string account, std::string key)
      : account_(std::move(account)), key_(std::move(key)) {}

  Status Authorize(BlobRequest& request) override {
    std::string sig = SharedKeySignature(SharedKeyStringToSign(request, account_), key_);
    if (sig.empty()) return Status::InvalidArgument("azure storage: account key is not base64");
    request.headers.emplace_back("Authorization", "SharedKey " + account_ + ":" + sig);
    return Status::OK();
  }
  std::string_view Kind() const override { return "shared key"; }

 private:
  const std::string account_;
  const std::string key_;
};

class SasCredential final : public Credential {
 public:
  explicit SasCredential(std::string token) : token_(std::move(token)) {}

  Status Authorize(BlobRequest& request) override {
    request.raw_query = token_;  // already percent-encoded; re-encoding would break `sig`
    return Status::OK();
  }
  std::string_view Kind() const override { return "SAS"; }

 private:
  const std::string token_;
};

}  // namespace

std::unique_ptr<Credential> MakeSharedKeyCredential(std::string account, std::string key_b64) {
  return std::make_unique<SharedKeyCredential>(std::move(account), std::move(key_b64));
}

std::unique_ptr<Credential> MakeSasCredential(std::string token) {
  return std::make_unique<SasCredential>(std::move(token));
}

}  // namespace brix::storage::azure
