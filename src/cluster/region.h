// Small facts about regions shared by kvpd, kvnode and the client.
#pragma once

#include <string_view>

#include "cluster/proto/cluster.pb.h"

namespace brix::cluster {

// True if `key` lies in [start_key, end_key) of the region (an empty end key is +infinity).
inline bool RegionContains(const Region& r, std::string_view key) {
  return key >= r.start_key() && (r.end_key().empty() || key < r.end_key());
}

}  // namespace brix::cluster
