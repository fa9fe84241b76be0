#include "br/meta_seal.h"

#include <gtest/gtest.h>

#include <memory>

#include "br/proto/log.pb.h"
#include "br/snapshot/backup_meta.h"
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

// A local storage in a fresh temp folder.
struct LocalLocation {
  testing::TempDir dir;
  std::unique_ptr<storage::ExternalStorage> storage;
  LocalLocation() {
    auto opened = storage::OpenLocalStorage(dir.path());
    EXPECT_TRUE(opened.ok()) << opened.status().ToString();
    if (opened.ok()) storage = std::move(*opened);
  }
};

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
  LocalLocation at;
  ASSERT_TRUE(at.storage);
  auto* storage = &at.storage;
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

TEST(MetaSealTest, RefusesAnUnknownSealVersionNamingTheObjectAndTheVersion) {
  LogMeta m;
  m.set_flush_ts(7);
  std::string sealed = SealMessage(kMetaLogMeta, m);
  ASSERT_EQ(sealed.rfind("brixmeta 1 ", 0), 0u);
  sealed.replace(0, 11, "brixmeta 2 ");
  ExpectRefused(UnsealMeta(kMetaLogMeta, "v1/backupmeta/x.meta", sealed),
                "checksum seal version 2 is not readable by this brix (it reads version 1)");
}

TEST(BackupMetaVersionTest, AReaderRefusesAnUnknownVersionNamingTheLocationAndTheVersion) {
  LocalLocation at;
  ASSERT_TRUE(at.storage);
  storage::ExternalStorage& storage = *at.storage;
  BackupMeta meta;
  meta.set_version(kBackupMetaVersion);
  meta.set_end_version(42);
  ASSERT_TRUE(PutMeta(storage, kMetaBackupMeta, kBackupMetaName, meta).ok());
  auto read = ReadBackupMeta(storage);
  ASSERT_TRUE(read.ok()) << read.status().ToString();
  EXPECT_EQ(read->end_version(), 42u);

  for (uint32_t version : {0u, kBackupMetaVersion + 1}) {
    meta.set_version(version);
    ASSERT_TRUE(storage.Delete(kBackupMetaName).ok());
    ASSERT_TRUE(PutMeta(storage, kMetaBackupMeta, kBackupMetaName, meta).ok());
    auto refused = ReadBackupMeta(storage);
    ASSERT_FALSE(refused.ok()) << "version " << version;
    EXPECT_EQ(refused.status().code(), Status::Code::kNotSupported) << refused.status().ToString();
    EXPECT_NE(refused.status().message().find("backupmeta at " + storage.Describe() +
                                              " has version " + std::to_string(version)),
              std::string::npos)
        << refused.status().ToString();
    EXPECT_NE(refused.status().message().find("it reads version 1"), std::string::npos)
        << refused.status().ToString();
  }
}

}  // namespace
}  // namespace brix::br
