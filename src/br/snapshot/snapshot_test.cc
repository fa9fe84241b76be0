// Snapshot backup and restore against real clusters (etcd, kvpd, kvnodes) and Azurite. Every
// restore is checked the oracle way: the target's table checksums equal the source's at the
// backup ts.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "br/restore_calibrate.h"
#include "br/restore_plan.h"
#include "br/snapshot/backup.h"
#include "br/snapshot/backup_meta.h"
#include "br/snapshot/restore.h"
#include "br/snapshot/validate.h"
#include "cluster/catalog.h"
#include "cluster/client/gc_pause_hold.h"
#include "common/crypto.h"
#include "common/net_util.h"
#include "common/process.h"
#include "playground/workload.h"
#include "storage/open_storage.h"
#include "testing/azurite.h"
#include "testing/cluster.h"
#include "testing/damage.h"
#include "testing/temp_dir.h"

namespace brix::br {
namespace {

namespace fs = std::filesystem;
const std::string kBrix = std::string(BRIX_BIN_DIR) + "/brix";

std::unique_ptr<testing::ClusterHarness> StartCluster(int nodes) {
  testing::ClusterOptions o;
  o.nodes = nodes;
  auto c = testing::ClusterHarness::Start(o);
  EXPECT_TRUE(c.ok()) << c.status().ToString();
  return c.ok() ? std::move(*c) : nullptr;
}

void Load(testing::ClusterHarness& c, std::vector<std::string> tables, uint64_t rows,
          size_t value_size = 100, uint64_t seed = 1) {
  playground::LoadArgs a;
  a.tables = std::move(tables);
  a.rows = rows;
  a.value_size = value_size;
  a.seed = seed;
  Status s = playground::RunLoad(c.kv(), a);
  ASSERT_TRUE(s.ok()) << s.ToString();
}

// "db.table kvs=.. bytes=.. crc64xor=..\n" lines for the tables `rules` select, at `ts` (0: now).
std::string Sums(testing::ClusterHarness& c, const std::vector<std::string>& rules,
                 uint64_t ts = 0) {
  if (ts == 0) ts = *c.pd().GetTs();
  auto filter = TableFilter::Parse(rules);
  EXPECT_TRUE(filter.ok());
  auto sums = cluster::ChecksumTables(c.kv(), ts, *filter);
  EXPECT_TRUE(sums.ok()) << sums.status().ToString();
  return sums.ok() ? cluster::FormatChecksums(*sums) : "";
}

// Every live key and value of the cluster (catalog, meta and rows), hashed: equal digests mean
// nothing was written.
std::string KeyspaceDigest(testing::ClusterHarness& c) {
  std::string all;
  Status s = c.kv().Scan("", "", *c.pd().GetTs(), [&](const cluster::KvPair& kv) {
    all += kv.key() + '\0' + kv.value() + '\0';
    return true;
  });
  EXPECT_TRUE(s.ok()) << s.ToString();
  return Sha256(all);
}

// Every object of a local location with its size and modification time.
std::string Listing(const std::string& url) {
  std::string out;
  for (const auto& e :
       fs::recursive_directory_iterator(url.substr(std::string("local://").size()))) {
    out += e.path().string() + " " + std::to_string(e.is_regular_file() ? e.file_size() : 0) + " " +
           std::to_string(e.last_write_time().time_since_epoch().count()) + "\n";
  }
  return out;
}

BackupOptions BackupTo(testing::ClusterHarness& c, const std::string& url,
                       std::vector<std::string> filter = {}) {
  BackupOptions o;
  o.pd = c.pd_addresses();
  o.storage_url = url;
  o.filter = std::move(filter);
  return o;
}

RestoreOptions RestoreFrom(testing::ClusterHarness& c, const std::string& url,
                           std::vector<std::string> filter = {}) {
  RestoreOptions o;
  o.pd = c.pd_addresses();
  o.storage_url = url;
  o.filter = std::move(filter);
  return o;
}

void FlipMiddleByte(const std::string& path) { testing::FlipByte(path); }

// Corruption naming `object` and its checksum.
void ExpectDamaged(const Status& s, const std::string& object) {
  EXPECT_EQ(s.code(), Status::Code::kCorruption) << s.ToString();
  EXPECT_NE(s.message().find(object), std::string::npos) << s.ToString();
  EXPECT_NE(s.message().find("checksum"), std::string::npos) << s.ToString();
}

class SnapshotTest : public ::testing::Test {
 protected:
  void SetUp() override {
    source_ = StartCluster(3);
    ASSERT_NE(source_, nullptr);
  }
  std::string Url(const std::string& name) { return "local://" + dir_.path() + "/" + name; }

  testing::TempDir dir_;
  std::unique_ptr<testing::ClusterHarness> source_;
};

TEST_F(SnapshotTest, FullDbTableAndFilterBackupsRestoreExactlyIntoOneAndThreeNodes) {
  Load(*source_, {"app.t1", "app.t2", "web.u", "web.v"}, 3000);
  auto full = RunBackup(BackupTo(*source_, Url("full")));
  ASSERT_TRUE(full.ok()) << full.status().ToString();
  EXPECT_EQ(full->tables, 4u);
  EXPECT_EQ(full->total_kvs, 12000u);
  // Later writes must not leak into restores of the backup.
  Load(*source_, {"app.t1", "web.v"}, 500, 100, /*seed=*/2);
  auto db = RunBackup(BackupTo(*source_, Url("db"), {"app.*"}));
  ASSERT_TRUE(db.ok()) << db.status().ToString();
  auto table = RunBackup(BackupTo(*source_, Url("table"), {"web.u"}));
  ASSERT_TRUE(table.ok()) << table.status().ToString();
  auto filtered = RunBackup(BackupTo(*source_, Url("filter"), {"web.*", "!web.u"}));
  ASSERT_TRUE(filtered.ok()) << filtered.status().ToString();
  EXPECT_EQ(filtered->tables, 1u);

  for (int nodes : {1, 3}) {
    auto target = StartCluster(nodes);
    ASSERT_NE(target, nullptr);
    // Into the 1-node target the tables get the source's ids: each file is staged as it is.
    // In the 3-node target a table made first shifts the ids: every key is rewritten.
    const bool shifted = nodes == 3;
    if (shifted) {
      ASSERT_TRUE(cluster::CreateTable(target->kv(), "other", "x").ok());
    }
    auto r = RunRestore(RestoreFrom(*target, Url("full")));
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_EQ(r->files_as_is, shifted ? 0u : r->files) << nodes << " nodes";
    EXPECT_EQ(Sums(*target, {"app.*", "web.*"}), Sums(*source_, {}, full->backup_ts))
        << nodes << " nodes";
    EXPECT_GT(*target->pd().GetTs(), full->backup_ts);
  }
  // db, table and filter backups restore side by side into one target.
  auto target = StartCluster(1);
  ASSERT_NE(target, nullptr);
  // A dry-run plans what the restore restores and writes nothing, to the target or the storage.
  const std::string target_before = KeyspaceDigest(*target), storage_before = Listing(Url("db"));
  auto plan = PlanRestore(RestoreFrom(*target, Url("db")));
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  EXPECT_EQ(plan->tables, 2u);
  EXPECT_EQ(plan->snapshot_ts, db->backup_ts);
  EXPECT_EQ(plan->snapshot_files, db->files);
  EXPECT_EQ(plan->estimate.runs, 0u);  // never restored: the default calibration
  ASSERT_EQ(plan->estimate.phases.size(), 3u);
  EXPECT_GT(plan->estimate.total_seconds, 0);
  EXPECT_EQ(KeyspaceDigest(*target), target_before);
  EXPECT_EQ(Listing(Url("db")), storage_before);
  // A calibration run measures the rates and leaves nothing a user sees: no table, no key under
  // the ids it used; the tables can still be restored for real.
  auto calibrated = CalibrateRestore(RestoreFrom(*target, Url("db")));
  ASSERT_TRUE(calibrated.ok()) << calibrated.status().ToString();
  ASSERT_EQ(calibrated->unpublished.size(), 2u);
  {
    uint64_t now = *target->pd().GetTs();
    auto tables = cluster::ListTables(target->kv(), now);
    ASSERT_TRUE(tables.ok());
    EXPECT_TRUE(tables->empty());
    for (const auto& t : calibrated->unpublished) {
      size_t keys = 0;
      ASSERT_TRUE(target->kv()
                      .Scan(cluster::TablePrefix(t.id), cluster::TablePrefix(t.id + 1), now,
                            [&](const cluster::KvPair&) { return ++keys, true; })
                      .ok());
      EXPECT_EQ(keys, 0u) << t.FullName();
    }
    auto measured = PlanRestore(RestoreFrom(*target, Url("db")));
    ASSERT_TRUE(measured.ok());
    EXPECT_EQ(measured->estimate.runs, 1u);
  }
  for (const char* name : {"db", "table", "filter"}) {
    auto r = RunRestore(RestoreFrom(*target, Url(name)));
    ASSERT_TRUE(r.ok()) << name << ": " << r.status().ToString();
    // The measured phases carry the plan's bytes.
    ASSERT_EQ(r->phases.size(), 3u) << name;
    EXPECT_EQ(r->phases[0].name, kPhaseDownload);
    EXPECT_GT(r->phases[0].seconds, 0);
    if (std::string(name) == "db") {
      for (size_t i = 0; i < 3; ++i) EXPECT_EQ(r->phases[i].bytes, plan->estimate.phases[i].bytes);
    }
  }
  // The rates the restores measured are the next plan's, also through the CLI.
  auto cli = RunCommand({kBrix, "restore", "full", "--dry-run", "--pd", target->pd_addresses(),
                         "-s", Url("full"), "--output", "json"},
                        {});
  ASSERT_TRUE(cli.ok());
  ASSERT_EQ(cli->exit_code, 0) << cli->output;
  auto j = nlohmann::json::parse(cli->output.substr(cli->output.find('{')), nullptr, false);
  ASSERT_TRUE(j.is_object()) << cli->output;
  EXPECT_EQ(j["rates"], "measured (4 restores)");  // the calibration and the three
  EXPECT_EQ(j["snapshot"]["ts"], std::to_string(full->backup_ts));
  EXPECT_EQ(j["phases"][0]["measuredRuns"], 4);
  EXPECT_GT(j["estimatedSeconds"].get<double>(), 0);
  EXPECT_EQ(Sums(*target, {"app.*"}), Sums(*source_, {"app.*"}, db->backup_ts));
  EXPECT_EQ(Sums(*target, {"web.u"}), Sums(*source_, {"web.u"}, table->backup_ts));
  EXPECT_EQ(Sums(*target, {"web.v"}), Sums(*source_, {"web.v"}, filtered->backup_ts));
  // A restore filter picks tables out of a full backup; tables that exist are refused.
  auto again = RunRestore(RestoreFrom(*target, Url("full"), {"web.u"}));
  ASSERT_FALSE(again.ok());
  EXPECT_NE(again.status().message().find("web.u already exists"), std::string::npos);
}

TEST_F(SnapshotTest, AzuriteBackupRestoresExactly) {
  auto azurite = testing::AzuriteServer::Start();
  ASSERT_TRUE(azurite.ok()) << azurite.status().ToString();
  Load(*source_, {"app.t1", "app.t2"}, 4000, 200);
  std::string url = "azure://backups/snap/full";
  EnvLookup env = MapEnv((*azurite)->SharedKeyEnv());
  BackupOptions bo = BackupTo(*source_, url);
  bo.env = env;
  bo.sst_max_bytes = 256 << 10;  // several files per table
  auto b = RunBackup(bo);
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  EXPECT_GT(b->files, 4u);
  auto target = StartCluster(3);
  ASSERT_NE(target, nullptr);
  RestoreOptions ro = RestoreFrom(*target, url);
  ro.env = env;
  auto r = RunRestore(ro);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(Sums(*target, {}), Sums(*source_, {}, b->backup_ts));
  auto report = ValidateBackup(url, env);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_TRUE(report->ok()) << report->problems.front();
  EXPECT_EQ(report->files, b->files);
}

TEST_F(SnapshotTest, IncrementalChainWithDeletesRestoresInOrderOnly) {
  Load(*source_, {"app.t1", "app.t2"}, 2000);
  auto full = RunBackup(BackupTo(*source_, Url("full")));
  ASSERT_TRUE(full.ok()) << full.status().ToString();
  uint64_t last = full->backup_ts;
  std::vector<uint64_t> links;
  auto t1 = cluster::FindTable(source_->kv(), "app", "t1", *source_->pd().GetTs());
  ASSERT_TRUE(t1.ok());
  for (int round = 0; round < 2; ++round) {
    // Overwrite some rows, delete others, add a table.
    std::vector<cluster::KvMutation> muts;
    for (int i = 0; i < 200; ++i) {
      std::string row(8, '\0');
      row[7] = static_cast<char>(i);
      row[6] = static_cast<char>(round);
      muts.push_back({cluster::RowKey(t1->id, row), i % 3 == 0, "v" + std::to_string(round)});
    }
    ASSERT_TRUE(source_->kv().Write(muts).ok());
    Load(*source_, {"app.new" + std::to_string(round)}, 300, 50, 10 + round);
    BackupOptions o = BackupTo(*source_, Url("inc" + std::to_string(round)));
    o.last_backup_ts = last;
    auto inc = RunBackup(o);
    ASSERT_TRUE(inc.ok()) << inc.status().ToString();
    EXPECT_EQ(inc->last_backup_ts, last);
    last = inc->backup_ts;
    links.push_back(last);
  }
  auto target = StartCluster(2);
  ASSERT_NE(target, nullptr);
  // Out of order: refused before anything is written.
  auto early = RunRestore(RestoreFrom(*target, Url("inc0")));
  ASSERT_FALSE(early.ok());
  EXPECT_NE(early.status().message().find("restore the full backup"), std::string::npos);
  ASSERT_TRUE(RunRestore(RestoreFrom(*target, Url("full"))).ok());
  EXPECT_EQ(Sums(*target, {}), Sums(*source_, {}, full->backup_ts));
  auto skip = RunRestore(RestoreFrom(*target, Url("inc1")));
  ASSERT_FALSE(skip.ok());
  for (int round = 0; round < 2; ++round) {
    auto r = RunRestore(RestoreFrom(*target, Url("inc" + std::to_string(round))));
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_EQ(Sums(*target, {}), Sums(*source_, {}, links[round])) << "after link " << round;
  }
}

TEST_F(SnapshotTest, FlippedByteIsNamedByValidateAndRefusedByRestore) {
  Load(*source_, {"app.t1", "app.t2"}, 2000);
  auto b = RunBackup(BackupTo(*source_, Url("bk")));
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  auto storage = storage::OpenStorage(Url("bk"));
  ASSERT_TRUE(storage.ok());
  auto meta = ReadBackupMeta(**storage);
  ASSERT_TRUE(meta.ok());
  std::string victim = meta->files(meta->files_size() - 1).name();
  std::string path = dir_.path() + "/bk/" + victim;
  {
    std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
    f.seekg(100);
    char c;
    f.get(c);
    f.seekp(100);
    f.put(static_cast<char>(c ^ 0x01));
  }
  auto report = ValidateBackup(Url("bk"), ProcessEnv());
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  ASSERT_EQ(report->problems.size(), 1u);
  EXPECT_NE(report->problems[0].find(victim), std::string::npos) << report->problems[0];
  // The CLI says the same and exits non-zero.
  auto cli = RunCommand({kBrix, "validate", "-s", Url("bk")}, {});
  ASSERT_TRUE(cli.ok());
  EXPECT_NE(cli->exit_code, 0);
  EXPECT_NE(cli->output.find(victim), std::string::npos) << cli->output;

  auto target = StartCluster(1);
  ASSERT_NE(target, nullptr);
  auto r = RunRestore(RestoreFrom(*target, Url("bk")));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find(victim), std::string::npos) << r.status().ToString();
  EXPECT_NE(r.status().message().find("nothing was ingested"), std::string::npos);
  auto tables = cluster::ListTables(target->kv(), *target->pd().GetTs());
  ASSERT_TRUE(tables.ok());
  EXPECT_TRUE(tables->empty()) << "a refused restore published tables";
}

TEST_F(SnapshotTest, FlippedByteInTheLockACheckpointOrTheBackupmetaIsRefusedNamingIt) {
  Load(*source_, {"app.t1", "app.t2"}, 500);
  // The backupmeta cannot be written: the lock and the checkpoints stay, as after a crash.
  BackupOptions o = BackupTo(*source_, Url("bk"));
  o.env = MapEnv({{"BRIX_STORAGE_FAULTS", "fail-put=backupmeta"}});
  auto first = RunBackup(o);
  ASSERT_FALSE(first.ok());
  const std::string root = dir_.path() + "/bk/";
  ASSERT_TRUE(fs::exists(root + kBackupLockName));
  ASSERT_FALSE(fs::is_empty(root + kCheckpointPrefix));
  o.env = ProcessEnv();
  // Resuming with a damaged lock or checkpoint is refused, naming it.
  std::string checkpoint =
      std::string(kCheckpointPrefix) +
      fs::directory_iterator(root + kCheckpointPrefix)->path().filename().string();
  for (const std::string& object : {std::string(kBackupLockName), checkpoint}) {
    FlipMiddleByte(root + object);
    auto r = RunBackup(o);
    ASSERT_FALSE(r.ok()) << "resumed over a damaged " << object;
    ExpectDamaged(r.status(), object);
    FlipMiddleByte(root + object);
  }
  auto resumed = RunBackup(o);
  ASSERT_TRUE(resumed.ok()) << resumed.status().ToString();
  EXPECT_TRUE(resumed->resumed);
  // A damaged backupmeta: restore refused before anything is written.
  FlipMiddleByte(root + kBackupMetaName);
  auto target = StartCluster(1);
  ASSERT_NE(target, nullptr);
  auto refused = RunRestore(RestoreFrom(*target, Url("bk")));
  ASSERT_FALSE(refused.ok());
  ExpectDamaged(refused.status(), kBackupMetaName);
  auto tables = cluster::ListTables(target->kv(), *target->pd().GetTs());
  ASSERT_TRUE(tables.ok());
  EXPECT_TRUE(tables->empty()) << "a refused restore wrote to the target";
  FlipMiddleByte(root + kBackupMetaName);
  ASSERT_TRUE(RunRestore(RestoreFrom(*target, Url("bk"))).ok());
  EXPECT_EQ(Sums(*target, {}), Sums(*source_, {}, resumed->backup_ts));
}

TEST_F(SnapshotTest, BadInputIsRefusedWithClearMessages) {
  Load(*source_, {"app.t1"}, 100);
  auto target = StartCluster(1);
  ASSERT_NE(target, nullptr);
  auto missing = RunRestore(RestoreFrom(*target, Url("nothing-here")));
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("backupmeta is missing"), std::string::npos);

  BackupOptions bad = BackupTo(*source_, Url("x"));
  bad.compression = "snappy";
  auto b = RunBackup(bad);
  ASSERT_FALSE(b.ok());
  EXPECT_NE(b.status().message().find("--compression"), std::string::npos);
  EXPECT_NE(b.status().message().find("zstd, lz4, none"), std::string::npos);

  auto none = RunBackup(BackupTo(*source_, Url("y"), {"nosuch.*"}));
  ASSERT_FALSE(none.ok());
  EXPECT_NE(none.status().message().find("selects no table"), std::string::npos);

  ASSERT_TRUE(RunBackup(BackupTo(*source_, Url("z"))).ok());
  auto twice = RunBackup(BackupTo(*source_, Url("z")));
  ASSERT_FALSE(twice.ok());
  EXPECT_NE(twice.status().message().find("already holds a backup"), std::string::npos);

  // CLI: a bad flag value names the flag and exits non-zero.
  auto cli = RunCommand({kBrix, "backup", "full", "--pd", source_->pd_addresses(), "-s", Url("w"),
                         "--backupts", "yesterday"},
                        {});
  ASSERT_TRUE(cli.ok());
  EXPECT_NE(cli->exit_code, 0);
  EXPECT_NE(cli->output.find("--backupts"), std::string::npos) << cli->output;

  // A GC pause handed in by the caller (PITR hands in its own) is the one the restore trusts:
  // once it has lapsed, the restore fails before its commit point and publishes nothing.
  auto hold = cluster::GcPauseHold::Acquire(target->pd(), "test-caller",
                                            {std::chrono::seconds(5), std::chrono::seconds(30)});
  ASSERT_TRUE(hold.ok()) << hold.status().ToString();
  ASSERT_TRUE(target->pd().GcPause("test-caller", std::chrono::seconds(0)).ok());  // under it
  ASSERT_TRUE(PollUntil([&] { return !(*hold)->Check().ok(); }, std::chrono::seconds(10)));
  RestoreOptions given = RestoreFrom(*target, Url("z"));
  given.gc_pause = hold->get();
  auto lapsed = RunRestore(given);
  ASSERT_FALSE(lapsed.ok());
  EXPECT_NE(lapsed.status().message().find("lapsed"), std::string::npos)
      << lapsed.status().ToString();
  auto listed = cluster::ListTables(target->kv(), *target->pd().GetTs());
  ASSERT_TRUE(listed.ok()) << listed.status().ToString();
  EXPECT_TRUE(listed->empty()) << listed->front().FullName();
}

TEST_F(SnapshotTest, ResumesAfterKillOfBrixAndRestoreRefusesTheInterruptedBackup) {
  Load(*source_, {"app.t1", "app.t2", "app.t3", "app.t4"}, 4000, 500);
  std::string url = Url("bk");
  auto args = std::vector<std::string>{kBrix,
                                       "backup",
                                       "full",
                                       "--pd",
                                       source_->pd_addresses(),
                                       "-s",
                                       url,
                                       "--ratelimit",
                                       "2",
                                       "--compression",
                                       "none",
                                       "--sst-max-bytes",
                                       "262144",
                                       "--output",
                                       "json"};
  auto first = ChildProcess::Start(args, {}, dir_.path() + "/first.log");
  ASSERT_TRUE(first.ok());
  // Kill once some ranges are checkpointed but not all.
  auto checkpointed = [&] {
    return fs::exists(dir_.path() + "/bk/checkpoints") &&
           !fs::is_empty(dir_.path() + "/bk/checkpoints");
  };
  ASSERT_TRUE(brix::PollUntil(checkpointed, std::chrono::seconds(60)));
  first->Kill();
  ASSERT_FALSE(fs::exists(dir_.path() + "/bk/backupmeta"));

  auto target = StartCluster(1);
  ASSERT_NE(target, nullptr);
  auto refused = RunRestore(RestoreFrom(*target, url));
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find("incomplete backup"), std::string::npos);
  auto report = ValidateBackup(url, ProcessEnv());
  EXPECT_FALSE(report.ok());

  args[8] = "0";  // same arguments but the rate limit, which only slowed the first run down
  auto second = RunCommand(args, {});
  ASSERT_TRUE(second.ok());
  ASSERT_EQ(second->exit_code, 0) << second->output;
  auto summary = nlohmann::json::parse(second->output.substr(second->output.find('{')));
  EXPECT_TRUE(summary["resumed"].get<bool>());
  uint64_t ts = summary["backup_ts"].get<uint64_t>();
  ASSERT_TRUE(RunRestore(RestoreFrom(*target, url)).ok());
  EXPECT_EQ(Sums(*target, {}), Sums(*source_, {}, ts));
}

TEST_F(SnapshotTest, FinishesWhenANodeIsKilledAndRestartedMidBackup) {
  Load(*source_, {"app.t1", "app.t2", "app.t3", "app.t4", "app.t5", "app.t6"}, 3000, 500);
  BackupOptions o = BackupTo(*source_, Url("bk"));
  o.ratelimit_mib = 3;
  o.compression = "none";
  o.sst_max_bytes = 256 << 10;
  std::atomic<uint64_t> bytes{0};
  Result<BackupSummary> result = Status::Internal("not run");
  std::thread run([&] { result = RunBackup(o, [&](const Progress& p) { bytes = p.bytes; }); });
  ASSERT_TRUE(brix::PollUntil([&] { return bytes.load() > 0; }, std::chrono::seconds(60)));
  source_->KillNode(1);
  ASSERT_TRUE(source_->RestartNode(1).ok());
  run.join();
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  auto target = StartCluster(3);
  ASSERT_NE(target, nullptr);
  ASSERT_TRUE(RunRestore(RestoreFrom(*target, Url("bk"))).ok());
  EXPECT_EQ(Sums(*target, {}), Sums(*source_, {}, result->backup_ts));
}

TEST_F(SnapshotTest, TenPercentStorageFaultsStillGiveAnExactBackupAndRestore) {
  Load(*source_, {"app.t1", "app.t2", "web.u"}, 3000, 200);
  auto faulty = MapEnv({{"BRIX_STORAGE_FAULTS", "rate=0.1,seed=42"}});
  BackupOptions bo = BackupTo(*source_, Url("bk"));
  bo.env = faulty;
  bo.sst_max_bytes = 32 << 10;  // many files: many uploads for faults to hit
  auto b = RunBackup(bo);
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  auto target = StartCluster(3);
  ASSERT_NE(target, nullptr);
  RestoreOptions ro = RestoreFrom(*target, Url("bk"));
  ro.env = faulty;
  auto r = RunRestore(ro);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(Sums(*target, {}), Sums(*source_, {}, b->backup_ts));
  auto report = ValidateBackup(Url("bk"), ProcessEnv());
  ASSERT_TRUE(report.ok());
  EXPECT_TRUE(report->ok());
  // The faults reached the nodes' uploads (which retry them: whole-object Puts are retried
  // above the fault layer, and the node retries a failed file whole).
  int faulted = 0;
  for (int i = 0; i < 3; ++i) {
    std::ifstream log(source_->dir() + "/node-" + std::to_string(i) + ".log");
    for (std::string line; std::getline(log, line);)
      faulted += line.find("injected fault: put") != std::string::npos;
  }
  EXPECT_GT(faulted, 0) << "no injected fault was seen by a node's upload";
}

}  // namespace
}  // namespace brix::br
