#include "storage/fault/fault_injecting_storage.h"

#include <spdlog/spdlog.h>

#include <mutex>
#include <random>
#include <thread>

namespace brix::storage {
namespace {

class FaultInjectingStorage final : public ExternalStorage {
 public:
  FaultInjectingStorage(std::unique_ptr<ExternalStorage> inner, FaultOptions options)
      : inner_(std::move(inner)), options_(options), rng_(options.seed) {}

  std::string Describe() const override { return inner_->Describe() + " [faults injected]"; }

  Status Put(std::string_view name, std::string_view data, const PutOptions& options) override {
    BRIX_RETURN_IF_ERROR(Doomed(name));
    return Around("put", name, [&] { return inner_->Put(name, data, options); });
  }
  Status PutStream(std::string_view name, ByteSource& source) override {
    // A consumed stream cannot be replayed by a caller, so only faults before it starts.
    BRIX_RETURN_IF_ERROR(Doomed(name));
    BRIX_RETURN_IF_ERROR(Before("put", name));
    return inner_->PutStream(name, source);
  }
  Result<std::string> Get(std::string_view name, std::optional<ByteRange> range) override {
    BRIX_RETURN_IF_ERROR(Before("get", name));
    Result<std::string> r = inner_->Get(name, range);
    if (r.ok() && Roll(options_.drop_rate)) return Dropped("get", name);
    return r;
  }
  Status GetStream(std::string_view name, ByteSink& sink) override {
    BRIX_RETURN_IF_ERROR(Before("get", name));
    if (!Roll(options_.short_read_rate)) return inner_->GetStream(name, sink);
    // Deliver a random prefix, then break like a connection closed mid-body.
    BRIX_ASSIGN_OR_RETURN(ObjectInfo info, inner_->Stat(name));
    uint64_t cut = info.size == 0 ? 0 : Uniform(info.size);
    if (cut > 0) {
      BRIX_ASSIGN_OR_RETURN(std::string part, inner_->Get(name, ByteRange{0, cut}));
      BRIX_RETURN_IF_ERROR(sink.Write(part));
    }
    return Injected(Status::Unavailable("injected fault: connection closed after " +
                                        std::to_string(cut) + " bytes of '" + std::string(name) +
                                        "'"));
  }
  Result<ListPage> List(std::string_view prefix, std::string_view token, int max) override {
    BRIX_RETURN_IF_ERROR(Before("list", prefix));
    Result<ListPage> r = inner_->List(prefix, token, max);
    if (r.ok() && Roll(options_.drop_rate)) return Dropped("list", prefix);
    return r;
  }
  Status Delete(std::string_view name) override {
    return Around("delete", name, [&] { return inner_->Delete(name); });
  }
  Result<ObjectInfo> Stat(std::string_view name) override {
    BRIX_RETURN_IF_ERROR(Before("stat", name));
    return inner_->Stat(name);
  }

 private:
  template <typename Fn>
  Status Around(const char* op, std::string_view name, Fn&& fn) {
    BRIX_RETURN_IF_ERROR(Before(op, name));
    Status s = fn();
    if (s.ok() && Roll(options_.drop_rate)) return Dropped(op, name);
    return s;
  }

  Status Before(const char* op, std::string_view name) {
    if (options_.max_latency.count() > 0) {
      std::this_thread::sleep_for(std::chrono::milliseconds(
          Uniform(static_cast<uint64_t>(options_.max_latency.count()) + 1)));
    }
    if (Roll(options_.error_rate)) {
      return Injected(Status::Unavailable(std::string("injected fault: ") + op + " '" +
                                          std::string(name) + "' refused (server busy)"));
    }
    return Status::OK();
  }

  Status Doomed(std::string_view name) const {
    if (options_.fail_put.empty() || name.find(options_.fail_put) == std::string_view::npos) {
      return Status::OK();
    }
    return Status::IOError("injected fault: put '" + std::string(name) +
                           "' fails permanently (fail-put=" + options_.fail_put + ")");
  }

  static Status Dropped(const char* op, std::string_view name) {
    return Injected(Status::Unavailable(std::string("injected fault: connection dropped after ") +
                                        op + " '" + std::string(name) + "' reached the storage"));
  }

  // Every injected fault is logged (a line with "injected fault"), so campaigns can count them.
  static Status Injected(Status s) {
    spdlog::warn("{}", s.message());
    return s;
  }

  bool Roll(double p) {
    if (p <= 0) return false;
    std::lock_guard<std::mutex> lock(mu_);
    return std::uniform_real_distribution<double>(0, 1)(rng_) < p;
  }
  uint64_t Uniform(uint64_t n) {
    std::lock_guard<std::mutex> lock(mu_);
    return std::uniform_int_distribution<uint64_t>(0, n - 1)(rng_);
  }

  std::unique_ptr<ExternalStorage> inner_;
  const FaultOptions options_;
  std::mutex mu_;
  std::mt19937_64 rng_;
};

}  // namespace

Result<FaultOptions> ParseFaultOptions(const std::string& spec) {
  FaultOptions o;
  size_t start = 0;
  while (start < spec.size()) {
    size_t comma = spec.find(',', start);
    std::string item =
        spec.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    start = comma == std::string::npos ? spec.size() : comma + 1;
    size_t eq = item.find('=');
    if (eq == std::string::npos) {
      return Status::InvalidArgument("fault spec: '" + item + "' is not name=value");
    }
    std::string key = item.substr(0, eq);
    std::string value = item.substr(eq + 1);
    if (key == "fail-put") {
      if (value.empty()) return Status::InvalidArgument("fault spec: 'fail-put' needs a name");
      o.fail_put = value;
      continue;
    }
    char* end = nullptr;
    double v = std::strtod(value.c_str(), &end);
    if (end == value.c_str() || *end != '\0' || v < 0) {
      return Status::InvalidArgument("fault spec: '" + key + "' needs a non-negative number");
    }
    bool is_rate = key == "rate" || key == "error" || key == "drop" || key == "short-read";
    if (is_rate && v > 1) return Status::InvalidArgument("fault spec: '" + key + "' is at most 1");
    if (key == "rate")
      o.error_rate = o.drop_rate = o.short_read_rate = v / 3;
    else if (key == "error")
      o.error_rate = v;
    else if (key == "drop")
      o.drop_rate = v;
    else if (key == "short-read")
      o.short_read_rate = v;
    else if (key == "seed")
      o.seed = static_cast<uint64_t>(v);
    else if (key == "latency-ms")
      o.max_latency = std::chrono::milliseconds(static_cast<long>(v));
    else {
      return Status::InvalidArgument(
          "fault spec: unknown '" + key +
          "' (accepted: rate, error, drop, short-read, seed, latency-ms, fail-put)");
    }
  }
  return o;
}

std::unique_ptr<ExternalStorage> WrapWithFaults(std::unique_ptr<ExternalStorage> inner,
                                                FaultOptions options) {
  return std::make_unique<FaultInjectingStorage>(std::move(inner), options);
}

}  // namespace brix::storage
