#include "cluster/node/ts_range_properties.h"

#include <rocksdb/table_properties.h>

#include <algorithm>
#include <string>

#include "cluster/mvcc.h"

namespace brix::cluster {
namespace {

constexpr const char* kMinTs = "brix.ts.min";
constexpr const char* kMaxTs = "brix.ts.max";

std::string EncodeTs(uint64_t ts) {
  std::string out(8, '\0');
  for (int i = 7; i >= 0; --i, ts >>= 8) out[static_cast<size_t>(i)] = static_cast<char>(ts & 0xff);
  return out;
}

bool DecodeTs(const rocksdb::UserCollectedProperties& props, const char* name, uint64_t* ts) {
  auto it = props.find(name);
  if (it == props.end() || it->second.size() != 8) return false;
  *ts = 0;
  for (unsigned char c : it->second) *ts = (*ts << 8) | c;
  return true;
}

class TsRangeCollector final : public rocksdb::TablePropertiesCollector {
 public:
  rocksdb::Status AddUserKey(const rocksdb::Slice& key, const rocksdb::Slice&, rocksdb::EntryType,
                             rocksdb::SequenceNumber, uint64_t) override {
    std::string_view user_key;
    uint64_t ts = 0;
    if (!DecodeMvccKey(std::string_view(key.data(), key.size()), &user_key, &ts)) {
      unknown_ = true;  // not an MVCC key: the file's range is not known
      return rocksdb::Status::OK();
    }
    min_ = std::min(min_, ts);
    max_ = std::max(max_, ts);
    return rocksdb::Status::OK();
  }

  rocksdb::Status Finish(rocksdb::UserCollectedProperties* props) override {
    if (!unknown_ && min_ <= max_) {
      (*props)[kMinTs] = EncodeTs(min_);
      (*props)[kMaxTs] = EncodeTs(max_);
    }
    return rocksdb::Status::OK();
  }

  rocksdb::UserCollectedProperties GetReadableProperties() const override {
    if (unknown_ || min_ > max_) return {};
    return {{kMinTs, std::to_string(min_)}, {kMaxTs, std::to_string(max_)}};
  }

  const char* Name() const override { return "brix.TsRangeCollector"; }

 private:
  uint64_t min_ = UINT64_MAX;
  uint64_t max_ = 0;
  bool unknown_ = false;
};

class TsRangeCollectorFactory final : public rocksdb::TablePropertiesCollectorFactory {
 public:
  rocksdb::TablePropertiesCollector* CreateTablePropertiesCollector(
      rocksdb::TablePropertiesCollectorFactory::Context) override {
    return new TsRangeCollector();
  }
  const char* Name() const override { return "brix.TsRangeCollectorFactory"; }
};

}  // namespace

std::shared_ptr<rocksdb::TablePropertiesCollectorFactory> NewTsRangeCollectorFactory() {
  return std::make_shared<TsRangeCollectorFactory>();
}

bool TableMayHoldTs(const rocksdb::TableProperties& props, uint64_t from_ts, uint64_t to_ts) {
  uint64_t min = 0, max = 0;
  if (!DecodeTs(props.user_collected_properties, kMinTs, &min) ||
      !DecodeTs(props.user_collected_properties, kMaxTs, &max)) {
    return true;
  }
  return max > from_ts && min <= to_ts;
}

}  // namespace brix::cluster
