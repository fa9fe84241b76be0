// kvpd's state in etcd: every key and every value format, owned here (docs/format/ describes
// them for operators). All values are written by kvpd only; a value that does not parse is
// reported as Corruption naming its key, never thrown, and kvpd does not lead on a state it
// cannot read (a guess could reissue a ts or let GC pass a protected version).
//
//   /brix/pd/leader                      the leader's address (under its lease)
//   /brix/pd/cluster_id                  decimal uint64, chosen once
//   /brix/pd/tso/high_water_ms           decimal uint64: no ts at or above this physical ms
//                                        has been issued
//   /brix/pd/regions                     GetRegionsResponse (protobuf): every region
//   /brix/pd/stores/<id>                 Store (protobuf)
//   /brix/pd/next_table_id               decimal int64: the next table id (first: 100)
//   /brix/pd/tables/<db>.<name>          decimal int64: the last id given to that name
//   /brix/pd/gc/safepoint                decimal uint64 ts
//   /brix/pd/gc/service/<service>        "<ts> <expire_unix_ms>" (both decimal uint64)
//   /brix/pd/gc/pause/<owner>            decimal uint64 expire_unix_ms (cluster/pd/gc_pause.h)
//   /brix/pd/logtask/<name>/def          opaque task definition (br/proto/log.proto LogTask)
//   /brix/pd/logtask/<name>/cred         sealed credentials (cluster/log_task_credentials.h)
//   /brix/pd/logtask/<name>/stopped      "1" once the task is final
//   /brix/pd/logtask/<name>/ckpt/<store> decimal uint64: the store's checkpoint ts
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/result.h"

namespace brix::cluster::pd_layout {

inline constexpr std::string_view kRoot = "/brix/pd/";
inline constexpr std::string_view kLeaderKey = "/brix/pd/leader";
inline constexpr std::string_view kClusterIdKey = "/brix/pd/cluster_id";
inline constexpr std::string_view kTsoKey = "/brix/pd/tso/high_water_ms";
inline constexpr std::string_view kRegionsKey = "/brix/pd/regions";
inline constexpr std::string_view kStoresPrefix = "/brix/pd/stores/";
inline constexpr std::string_view kNextTableKey = "/brix/pd/next_table_id";
inline constexpr std::string_view kTablesPrefix = "/brix/pd/tables/";
inline constexpr std::string_view kGcKey = "/brix/pd/gc/safepoint";
inline constexpr std::string_view kServiceSafePointPrefix = "/brix/pd/gc/service/";
inline constexpr std::string_view kGcPausePrefix = "/brix/pd/gc/pause/";
inline constexpr std::string_view kLogTaskPrefix = "/brix/pd/logtask/";

std::string StoreKey(uint64_t store_id);
std::string TableNameKey(const std::string& db, const std::string& table);
std::string ServiceSafePointKey(const std::string& service);
// /brix/pd/logtask/<name>/<part>; part "" gives the task's prefix.
std::string LogTaskKey(const std::string& task, const std::string& part);
std::string LogCheckpointKey(const std::string& task, uint64_t store_id);

// A decimal number stored at `key`: the whole value, no sign, no spaces.
[[nodiscard]] Result<uint64_t> ParseU64(std::string_view key, std::string_view value);
[[nodiscard]] Result<int64_t> ParseI64(std::string_view key, std::string_view value);

struct ServiceSafePointValue {
  uint64_t ts = 0;
  uint64_t expire_ms = 0;  // unix ms
};
std::string FormatServiceSafePoint(const ServiceSafePointValue& v);
[[nodiscard]] Result<ServiceSafePointValue> ParseServiceSafePoint(std::string_view key,
                                                                  std::string_view value);

// A key under kLogTaskPrefix that holds a store's checkpoint: its task and store.
struct LogCheckpointKeyParts {
  std::string task;
  uint64_t store_id = 0;
};
// nullopt-like: Result NotFound for keys that are not checkpoint keys (def, cred, stopped);
// Corruption for a checkpoint key whose store id does not parse.
[[nodiscard]] Result<LogCheckpointKeyParts> ParseLogCheckpointKey(std::string_view key);

}  // namespace brix::cluster::pd_layout
