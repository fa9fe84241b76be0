#include "storage/retrying_storage.h"

namespace brix::storage {
namespace {

class RetryingStorage final : public ExternalStorage {
 public:
  RetryingStorage(std::unique_ptr<ExternalStorage> inner, BackoffOptions backoff)
      : inner_(std::move(inner)), backoff_(backoff) {}

  std::string Describe() const override { return inner_->Describe(); }

  Status Put(std::string_view name, std::string_view data, const PutOptions& options) override {
    bool failed_before = false;
    return Retry([&]() -> Status {
      Status s = inner_->Put(name, data, options);
      if (options.if_absent && s.IsAlreadyExists() && failed_before) {
        Result<std::string> stored = inner_->Get(name);
        if (stored.ok() && *stored == data) return Status::OK();
        if (!stored.ok() && stored.status().IsRetryable()) return stored.status();
      }
      if (s.IsRetryable()) failed_before = true;
      return s;
    });
  }

  Status PutStream(std::string_view name, ByteSource& source) override {
    // A stream cannot be rewound, so only one try; the driver retries its own requests.
    return inner_->PutStream(name, source);
  }

  Result<std::string> Get(std::string_view name, std::optional<ByteRange> range) override {
    std::string out;
    Status s = Retry([&]() -> Status {
      Result<std::string> r = inner_->Get(name, range);
      if (!r.ok()) return r.status();
      out = std::move(r).value();
      return Status::OK();
    });
    if (!s.ok()) return s;
    return out;
  }

  Status GetStream(std::string_view name, ByteSink& sink) override {
    // Restart-safe: count what reached the sink and, on a retry, skip that many bytes.
    uint64_t delivered = 0;
    return Retry([&]() -> Status {
      SkippingSink skipping(sink, delivered);
      Status s = inner_->GetStream(name, skipping);
      delivered = std::max(delivered, skipping.seen());
      return s;
    });
  }

  Result<ListPage> List(std::string_view prefix, std::string_view token, int max) override {
    ListPage out;
    Status s = Retry([&]() -> Status {
      BRIX_ASSIGN_OR_RETURN(out, inner_->List(prefix, token, max));
      return Status::OK();
    });
    if (!s.ok()) return s;
    return out;
  }

  Status Delete(std::string_view name) override {
    return Retry([&] { return inner_->Delete(name); });
  }

  Result<ObjectInfo> Stat(std::string_view name) override {
    ObjectInfo out;
    Status s = Retry([&]() -> Status {
      BRIX_ASSIGN_OR_RETURN(out, inner_->Stat(name));
      return Status::OK();
    });
    if (!s.ok()) return s;
    return out;
  }

 private:
  // Passes bytes through, dropping the first `skip` (already delivered by an earlier try).
  class SkippingSink final : public ByteSink {
   public:
    SkippingSink(ByteSink& inner, uint64_t skip) : inner_(inner), skip_(skip) {}
    Status Write(std::string_view data) override {
      uint64_t start = seen_;
      seen_ += data.size();
      if (seen_ <= skip_) return Status::OK();
      if (start < skip_) data.remove_prefix(skip_ - start);
      return inner_.Write(data);
    }
    uint64_t seen() const { return seen_; }

   private:
    ByteSink& inner_;
    const uint64_t skip_;
    uint64_t seen_ = 0;
  };

  template <typename Fn>
  Status Retry(Fn&& fn) {
    return RetryWithBackoff(
        backoff_, [&](int) -> Status { return fn(); },
        [](const Status& s) { return s.IsRetryable(); });
  }

  std::unique_ptr<ExternalStorage> inner_;
  Backoff backoff_;
};

}  // namespace

std::unique_ptr<ExternalStorage> WrapWithRetries(std::unique_ptr<ExternalStorage> inner,
                                                 BackoffOptions backoff) {
  return std::make_unique<RetryingStorage>(std::move(inner), backoff);
}

}  // namespace brix::storage
