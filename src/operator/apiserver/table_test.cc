#include "operator/apiserver/table.h"

#include <gtest/gtest.h>

#include "common/time_util.h"

namespace brix::apiserver {
namespace {

using namespace std::chrono;

TEST(HumanDurationTest, MatchesKubectl) {
  EXPECT_EQ(HumanDuration(-2s), "<invalid>");
  EXPECT_EQ(HumanDuration(-500ms), "0s");
  EXPECT_EQ(HumanDuration(0s), "0s");
  EXPECT_EQ(HumanDuration(119s), "119s");
  EXPECT_EQ(HumanDuration(2min), "2m");
  EXPECT_EQ(HumanDuration(5min + 3s), "5m3s");
  EXPECT_EQ(HumanDuration(10min + 3s), "10m");
  EXPECT_EQ(HumanDuration(179min), "179m");
  EXPECT_EQ(HumanDuration(3h), "3h");
  EXPECT_EQ(HumanDuration(3h + 20min), "3h20m");
  EXPECT_EQ(HumanDuration(8h + 20min), "8h");
  EXPECT_EQ(HumanDuration(47h), "47h");
  EXPECT_EQ(HumanDuration(48h), "2d");
  EXPECT_EQ(HumanDuration(52h), "2d4h");
  EXPECT_EQ(HumanDuration(24h * 30), "30d");
  EXPECT_EQ(HumanDuration(24h * 800), "2y70d");
  EXPECT_EQ(HumanDuration(24h * 365 * 9), "9y");
}

TEST(TableTest, BackupColumnsAndCells) {
  const api::ResourceInfo* info = api::FindResource("br.pingcap.com", "v1alpha1", "backups");
  ASSERT_NE(info, nullptr);
  auto now = system_clock::now();
  Json backup = {{"metadata", {{"name", "b1"}, {"creationTimestamp", FormatIso8601(now - 5min)}}},
                 {"spec", {{"backupType", "full"}, {"backupMode", "snapshot"}}},
                 {"status",
                  {{"phase", "Complete"},
                   {"backupPath", "azure://my-container/my-full-backup-folder/"},
                   {"commitTs", "436979621972148225"},
                   {"timeStarted", FormatIso8601(now - 3h)}}}};
  Json table = ToTable(*info, {backup}, now, "42");
  EXPECT_EQ(table["kind"], "Table");
  EXPECT_EQ(table["metadata"]["resourceVersion"], "42");
  const Json& defs = table["columnDefinitions"];
  ASSERT_EQ(defs.size(), 14u);
  EXPECT_EQ(defs[0]["name"], "Name");
  EXPECT_EQ(defs[9]["name"], "Started");
  EXPECT_EQ(defs[9]["priority"], 1);
  EXPECT_EQ(defs[12]["name"], "LagSeconds");  // log backups only (empty for a snapshot)
  EXPECT_EQ(defs[12]["priority"], 1);
  EXPECT_EQ(defs[13]["name"], "Age");
  const Json& cells = table["rows"][0]["cells"];
  ASSERT_EQ(cells.size(), defs.size());
  EXPECT_EQ(cells[0], "b1");
  EXPECT_EQ(cells[1], "full");
  EXPECT_EQ(cells[3], "Complete");
  EXPECT_EQ(cells[7], "436979621972148225");
  EXPECT_TRUE(cells[8].is_null());
  EXPECT_EQ(cells[9], "3h");
  EXPECT_TRUE(cells[12].is_null());
  EXPECT_EQ(cells[13], "5m");
  EXPECT_TRUE(ToTable(*info, {backup}, now, "42", false)["columnDefinitions"].is_null());
}

TEST(TableTest, ScheduleIntegerAndJobColumns) {
  auto now = system_clock::now();
  const api::ResourceInfo* bks = api::FindResource("br.pingcap.com", "v1alpha1", "backupschedules");
  Json schedule = {{"metadata", {{"name", "s"}}},
                   {"spec", {{"schedule", "*/2 * * * *"}, {"maxBackups", 5}}}};
  Json cells = ToTable(*bks, {schedule}, now, "1")["rows"][0]["cells"];
  EXPECT_EQ(cells[1], "*/2 * * * *");
  EXPECT_EQ(cells[2], 5);

  const api::ResourceInfo* jobs = api::FindResource("batch", "v1", "jobs");
  Json job = {
      {"metadata", {{"name", "j"}, {"creationTimestamp", FormatIso8601(now - 2min)}}},
      {"spec",
       {{"completions", 1},
        {"selector", {{"matchLabels", {{"a", "b"}}}}},
        {"template", {{"spec", {{"containers", {{{"name", "brix"}, {"image", "brix:1"}}}}}}}}}},
      {"status",
       {{"succeeded", 1},
        {"startTime", FormatIso8601(now - 90s)},
        {"completionTime", FormatIso8601(now - 30s)},
        {"conditions", {{{"type", "Complete"}, {"status", "True"}}}}}}};
  cells = ToTable(*jobs, {job}, now, "1")["rows"][0]["cells"];
  EXPECT_EQ(cells, Json({"j", "Complete", "1/1", "60s", "2m", "brix", "brix:1", "a=b"}));
}

}  // namespace
}  // namespace brix::apiserver
