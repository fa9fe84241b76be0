#include "br/meta_seal.h"

#include <gtest/gtest.h>

#include "br/proto/log.pb.h"
#include "storage/local/local_storage.h"
#include "testing/temp_dir.h"

namespace brix::br {
namespace {

void ExpectRefused(const Result<std::string>& r, const std::string& want) {
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Status::Code::kCorruption) << r.status().ToString();
  EXPECT_NE(r.status().message().find("log-meta v1/backupmeta/x.meta"), std::string::npos)
      << r.status().ToString();
  EXPECT_NE(r.status().message().find(want), std::string::npos) << r.status().ToString();
}

TEST(MetaSealTest, RoundTripsAndRefusesEverySingleFlippedByteNamingTheObject) {
  LogMeta m;
  m.set_store_id(3);
  m.set_flush_ts(449000000000000000ull);
  auto* f = m.add_files();
  f->set_name("v1/20261129/17/3/449000000000000000-abc.log");
  f->set_min_ts(448999999999999999ull);
  const std::string sealed = SealMessage(kMetaLogMeta, m);
  LogMeta back;
  ASSERT_TRUE(UnsealMessage(kMetaLogMeta, "v1/backupmeta/x.meta", sealed, &back).ok());
  EXPECT_EQ(back.SerializeAsString(), m.SerializeAsString());
  for (size_t i = 0; i < sealed.size(); ++i) {
    for (int bit = 0; bit < 8; ++bit) {
      std::string damaged = sealed;
      damaged[i] = static_cast<char>(damaged[i] ^ (1 << bit));
      auto r = UnsealMeta(kMetaLogMeta, "v1/backupmeta/x.meta", damaged);
      ASSERT_NO_FATAL_FAILURE(ExpectRefused(r, "checksum")) << "byte " << i << " bit " << bit;
    }
  }
  // Cut short or extended by a byte.
  ExpectRefused(
      UnsealMeta(kMetaLogMeta, "v1/backupmeta/x.meta", sealed.substr(0, sealed.size() - 1)),
      "checksum mismatch");
  ExpectRefused(UnsealMeta(kMetaLogMeta, "v1/backupmeta/x.meta", sealed + "x"),
                "checksum mismatch");
}

TEST(MetaSealTest, RefusesObjectsWithoutASealAndObjectsOfAnotherKind) {
  LogMeta m;
  m.set_flush_ts(7);
  ExpectRefused(UnsealMeta(kMetaLogMeta, "v1/backupmeta/x.meta", m.SerializeAsString()),
                "predates metadata checksums");
  ExpectRefused(UnsealMeta(kMetaLogMeta, "v1/backupmeta/x.meta", ""), "predates");
  ExpectRefused(
      UnsealMeta(kMetaLogMeta, "v1/backupmeta/x.meta", SealMessage(kMetaCompactionPlan, m)),
      "sealed as a 'compaction-plan'");
}

TEST(MetaSealTest, GetMetaNamesTheObjectAndTheStorageAndPassesNotFoundThrough) {
  testing::TempDir dir;
  auto storage = storage::OpenLocalStorage(dir.path());
  ASSERT_TRUE(storage.ok());
  LogLocation loc;
  loc.set_task("t");
  ASSERT_TRUE(PutMeta(**storage, kMetaLogLocation, "v1/task", loc).ok());
  LogLocation back;
  ASSERT_TRUE(GetMeta(**storage, kMetaLogLocation, "v1/task", &back).ok());
  EXPECT_EQ(back.task(), "t");
  EXPECT_TRUE(GetMeta(**storage, kMetaLogLocation, "v1/none", &back).IsNotFound());
  ASSERT_TRUE((*storage)->Put("v1/task", loc.SerializeAsString()).ok());
  Status old = GetMeta(**storage, kMetaLogLocation, "v1/task", &back);
  EXPECT_EQ(old.code(), Status::Code::kCorruption) << old.ToString();
  EXPECT_NE(old.message().find("log-location v1/task at " + (*storage)->Describe()),
            std::string::npos)
      << old.ToString();
}

}  // namespace
}  // namespace brix::br
