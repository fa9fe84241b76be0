#include "cluster/pd/etcd_layout.h"

#include <charconv>

namespace brix::cluster::pd_layout {
namespace {

template <typename T>
Result<T> ParseNumber(std::string_view key, std::string_view value, const char* what) {
  T out{};
  const char* end = value.data() + value.size();
  auto [ptr, ec] = std::from_chars(value.data(), end, out);
  if (value.empty() || value.front() == '-' || value.front() == '+' || ec != std::errc() ||
      ptr != end) {
    std::string shown(value.substr(0, 64));
    return Status::Corruption("kvpd state in etcd: " + std::string(key) + ": '" + shown +
                              (value.size() > 64 ? "...'" : "'") + " is not " + what);
  }
  return out;
}

}  // namespace

std::string StoreKey(uint64_t store_id) {
  return std::string(kStoresPrefix) + std::to_string(store_id);
}

std::string TableNameKey(const std::string& db, const std::string& table) {
  return std::string(kTablesPrefix) + db + "." + table;
}

std::string ServiceSafePointKey(const std::string& service) {
  return std::string(kServiceSafePointPrefix) + service;
}

std::string LogTaskKey(const std::string& task, const std::string& part) {
  return std::string(kLogTaskPrefix) + task + "/" + part;
}

std::string LogCheckpointKey(const std::string& task, uint64_t store_id) {
  return LogTaskKey(task, "ckpt/" + std::to_string(store_id));
}

Result<uint64_t> ParseU64(std::string_view key, std::string_view value) {
  return ParseNumber<uint64_t>(key, value, "an unsigned decimal number");
}

Result<int64_t> ParseI64(std::string_view key, std::string_view value) {
  return ParseNumber<int64_t>(key, value, "a non-negative decimal number");
}

std::string FormatServiceSafePoint(const ServiceSafePointValue& v) {
  return std::to_string(v.ts) + " " + std::to_string(v.expire_ms);
}

Result<ServiceSafePointValue> ParseServiceSafePoint(std::string_view key, std::string_view value) {
  size_t sep = value.find(' ');
  if (sep == std::string_view::npos) {
    return Status::Corruption("kvpd state in etcd: " + std::string(key) + ": '" +
                              std::string(value.substr(0, 64)) +
                              "' is not '<ts> <expire_unix_ms>'");
  }
  ServiceSafePointValue v;
  BRIX_ASSIGN_OR_RETURN(v.ts, ParseU64(key, value.substr(0, sep)));
  BRIX_ASSIGN_OR_RETURN(v.expire_ms, ParseU64(key, value.substr(sep + 1)));
  return v;
}

Result<LogCheckpointKeyParts> ParseLogCheckpointKey(std::string_view key) {
  if (key.substr(0, kLogTaskPrefix.size()) != kLogTaskPrefix) {
    return Status::NotFound(std::string(key) + " is not a log task key");
  }
  std::string_view rest = key.substr(kLogTaskPrefix.size());
  constexpr std::string_view kCkpt = "/ckpt/";
  size_t at = rest.find(kCkpt);
  if (at == std::string_view::npos) {
    return Status::NotFound(std::string(key) + " is not a checkpoint key");
  }
  LogCheckpointKeyParts parts;
  parts.task = std::string(rest.substr(0, at));
  BRIX_ASSIGN_OR_RETURN(parts.store_id, ParseU64(key, rest.substr(at + kCkpt.size())));
  return parts;
}

}  // namespace brix::cluster::pd_layout
