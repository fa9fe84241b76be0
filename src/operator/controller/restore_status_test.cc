// What `brix manager` writes into a Restore's status about its duration (status.phases,
// status.plan for spec.dryRun; operator/manager/restore_report.h), and the log Backup's lag
// column (api/resources.cc).
#include <gtest/gtest.h>

#include "common/time_util.h"
#include "common/tso.h"
#include "operator/api/resources.h"
#include "operator/client/fake_api_client.h"
#include "operator/manager/manager.h"

namespace brix {
namespace {

using api::Json;

struct RestoreRun {
  client::FakeApiClient api;
  int restores = 0, plans = 0;

  Json Run(bool dry_run) {
    Json restore = {
        {"apiVersion", "br.pingcap.com/v1alpha1"},
        {"kind", "Restore"},
        {"metadata", {{"name", "r1"}}},
        {"spec", {{"azblob", {{"container", "c"}, {"prefix", "p"}}}, {"br", Json::object()}}}};
    if (dry_run) restore["spec"]["dryRun"] = true;
    EXPECT_TRUE(api.Create(client::Restores(), "test1", restore).ok());
    manager::Engine engine;
    engine.restore = [this](const br::RestoreOptions&,
                            const br::ProgressFn&) -> Result<br::RestoreSummary> {
      ++restores;
      br::RestoreSummary s;
      s.phases = {{br::kPhaseDownload, 4 << 20, 2.0}, {br::kPhaseIngest, 4 << 20, 1.0}};
      return s;
    };
    engine.restore_plan = [this](const br::RestoreOptions&) -> Result<br::RestorePlan> {
      ++plans;
      br::RestorePlan p;
      p.kind = "full";
      p.snapshot = "azure://c/p";
      p.snapshot_ts = 42;
      p.restored_ts = 42;
      p.estimate.phases = {{br::kPhaseDownload, 4 << 20, 4 << 20, 2.5, 2e6, 0.4, 2}};
      p.estimate.overhead_seconds = 1;
      p.estimate.total_seconds = 3.5;
      p.estimate.runs = 2;
      return p;
    };
    manager::ManagerRequest req{"restore", "test1", "r1", "", ""};
    Status s = manager::RunManager(
        api, engine, req,
        MapEnv({{"BRIX_CLUSTER_PD", "127.0.0.1:1"}, {"AZURE_STORAGE_ACCOUNT", "acct"}}));
    EXPECT_TRUE(s.ok()) << s.ToString();
    return api.Get(client::Restores(), "test1", "r1").value()["status"];
  }
};

TEST(RestoreStatus, ARestoreRecordsBytesSecondsAndThroughputPerPhase) {
  RestoreRun run;
  Json st = run.Run(false);
  EXPECT_EQ(run.restores, 1);
  EXPECT_EQ(run.plans, 0);
  ASSERT_EQ(st["phases"].size(), 2u) << st.dump();
  EXPECT_EQ(st["phases"][0]["name"], "download");
  EXPECT_EQ(st["phases"][0]["bytes"], 4 << 20);
  EXPECT_EQ(st["phases"][0]["seconds"], 2.0);
  EXPECT_EQ(st["phases"][0]["bytesPerSecond"], 2 << 20);
  EXPECT_FALSE(st.contains("plan"));
}

TEST(RestoreStatus, ADryRunWritesThePlanAndRestoresNothing) {
  RestoreRun run;
  Json st = run.Run(true);
  EXPECT_EQ(run.restores, 0);
  EXPECT_EQ(run.plans, 1);
  EXPECT_EQ(st["phase"], "Complete") << st.dump();
  EXPECT_EQ(st["plan"]["snapshot"]["path"], "azure://c/p");
  EXPECT_EQ(st["plan"]["snapshot"]["ts"], "42");
  EXPECT_EQ(st["plan"]["estimatedSeconds"], 3.5);
  EXPECT_EQ(st["plan"]["rates"], "measured (2 restores)");
  EXPECT_EQ(st["plan"]["phases"][0]["estimatedSeconds"], 2.5);
  EXPECT_FALSE(st.contains("phases"));
  EXPECT_FALSE(st.contains("commitTs"));
  bool dry_run_reason = false;
  for (const auto& c : st["conditions"]) dry_run_reason |= c.value("reason", "") == "DryRun";
  EXPECT_TRUE(dry_run_reason) << st.dump();
}

TEST(BackupColumns, TheLagColumnIsSecondsSinceTheLogCheckpointOnlyWhileNotStopped) {
  const api::ResourceInfo* backups = nullptr;
  for (const auto& r : api::AllResources()) {
    if (r.plural == "backups") backups = &r;
  }
  ASSERT_NE(backups, nullptr);
  const api::PrinterColumn* lag = nullptr;
  for (const auto& c : backups->columns) {
    if (c.name == "LagSeconds") lag = &c;
  }
  ASSERT_NE(lag, nullptr);
  EXPECT_GT(lag->priority, 0);  // -o wide
  uint64_t ts = ComposeTs(static_cast<uint64_t>(UnixMillis() - 90'000), 0);
  Json b = {{"status", {{"phase", "Running"}, {"logCheckpointTs", std::to_string(ts)}}}};
  Json cell = lag->compute(b);
  ASSERT_TRUE(cell.is_number()) << cell.dump();
  EXPECT_GE(cell.get<int64_t>(), 90);
  EXPECT_LT(cell.get<int64_t>(), 120);
  b["status"]["phase"] = "Stopped";
  EXPECT_TRUE(lag->compute(b).is_null());
  EXPECT_TRUE(lag->compute(Json{{"status", Json::object()}}).is_null());
}

}  // namespace
}  // namespace brix
