#include <gtest/gtest.h>

#include "common/time_util.h"
#include "operator/api/cron.h"
#include "operator/api/go_time.h"
#include "operator/api/resources.h"
#include "operator/api/schema.h"

namespace brix::api {
namespace {

using namespace std::chrono;

TEST(GoDurationTest, ParsesLikeGo) {
  EXPECT_EQ(*ParseGoDuration("3h"), hours(3));
  EXPECT_EQ(*ParseGoDuration("72h"), hours(72));
  EXPECT_EQ(*ParseGoDuration("1h30m"), minutes(90));
  EXPECT_EQ(*ParseGoDuration("300ms"), milliseconds(300));
  EXPECT_EQ(*ParseGoDuration("1.5h"), minutes(90));
  EXPECT_EQ(*ParseGoDuration("-2s"), seconds(-2));
  EXPECT_EQ(*ParseGoDuration("0"), seconds(0));
  for (const char* bad : {"", "3d", "3", "h", "1h30", "1..5h", "abc", "-"}) {
    EXPECT_FALSE(ParseGoDuration(bad).ok()) << bad;
  }
  EXPECT_NE(ParseGoDuration("3d").status().message().find("unknown unit \"d\""), std::string::npos);
}

TEST(GoDurationTest, FormatsLikeGo) {
  EXPECT_EQ(FormatGoDuration(seconds(0)), "0s");
  EXPECT_EQ(FormatGoDuration(seconds(90)), "1m30s");
  EXPECT_EQ(FormatGoDuration(hours(3)), "3h0m0s");
  EXPECT_EQ(FormatGoDuration(milliseconds(1500)), "1.5s");
  EXPECT_EQ(FormatGoDuration(milliseconds(250)), "250ms");
}

TEST(CronTest, ParsesRobfigStandard) {
  for (const char* ok :
       {"*/2 * * * *", "* */2 * * *", "0 0 1 1 *", "0-30/5 1,2,3 ? JAN-mar sun", "@daily",
        "@midnight", "@hourly", "@weekly", "@monthly", "@yearly", "@annually", "@every 1h30m",
        "CRON_TZ=UTC 0 6 * * *", "TZ=Asia/Tokyo @daily", "5/10 * * * *"}) {
    EXPECT_TRUE(CronSchedule::Parse(ok).ok())
        << ok << ": " << CronSchedule::Parse(ok).status().ToString();
  }
  for (const char* bad :
       {"", "* * * *", "* * * * * *", "60 * * * *", "* 24 * * *", "* * 0 * *", "* * * 13 *",
        "* * * * 7", "*/0 * * * *", "5-1 * * * *", "a * * * *", "@every", "@every 1d",
        "@fortnightly", "CRON_TZ=Mars/Olympus 0 0 * * *"}) {
    EXPECT_FALSE(CronSchedule::Parse(bad).ok()) << bad;
  }
  EXPECT_NE(CronSchedule::Parse("* * * *").status().message().find("expected exactly 5 fields"),
            std::string::npos);
}

TEST(CronTest, NextActivation) {
  auto at = [](const char* iso) { return *ParseIso8601Utc(iso); };
  auto next = [&](const char* spec, const char* from) {
    auto c = CronSchedule::Parse(spec);
    EXPECT_TRUE(c.ok()) << spec;
    auto n = c->Next(at(from));
    return n ? FormatIso8601(*n) : std::string("never");
  };
  EXPECT_EQ(next("*/2 * * * *", "2024-01-01T00:00:30Z"), "2024-01-01T00:02:00Z");
  EXPECT_EQ(next("*/2 * * * *", "2024-01-01T00:02:00Z"), "2024-01-01T00:04:00Z");
  EXPECT_EQ(next("@daily", "2024-01-31T23:59:59Z"), "2024-02-01T00:00:00Z");
  EXPECT_EQ(next("0 6 * * mon", "2024-01-01T07:00:00Z"), "2024-01-08T06:00:00Z");  // a Monday
  // Day-of-month OR day-of-week when both are restricted.
  EXPECT_EQ(next("0 0 15 * sun", "2024-01-01T00:00:00Z"), "2024-01-07T00:00:00Z");
  EXPECT_EQ(next("0 0 29 2 *", "2024-03-01T00:00:00Z"), "2028-02-29T00:00:00Z");
  EXPECT_EQ(next("0 0 30 2 *", "2024-01-01T00:00:00Z"), "never");
  EXPECT_EQ(next("@every 90s", "2024-01-01T00:00:00Z"), "2024-01-01T00:01:30Z");
}

std::vector<std::string> Errors(const ResourceInfo& info, Json object) {
  DropNulls(&object);
  ApplyDefaults(*info.schema, &object);
  std::vector<std::string> out;
  for (const auto& e : Validate(*info.schema, object)) out.push_back(e.ToString());
  return out;
}

TEST(SchemaTest, VolumeSnapshotModesAreRefusedNamingTheFieldAndTheModesBrixRuns) {
  const ResourceInfo* bk = FindResource(kBrGroup, kBrVersion, "backups");
  const ResourceInfo* rt = FindResource(kBrGroup, kBrVersion, "restores");
  ASSERT_TRUE(bk && rt);
  auto one = [](std::vector<std::string> errors) {
    EXPECT_EQ(errors.size(), 1u) << ::testing::PrintToString(errors);
    return errors.empty() ? std::string() : errors[0];
  };
  EXPECT_EQ(one(Errors(*bk, Json::parse(R"({"spec":{"backupMode":"volume-snapshot",
                "br":{"cluster":"d"},"azblob":{"container":"c"}}})"))),
            "spec.backupMode: Unsupported value: \"volume-snapshot\": supported values: "
            "\"snapshot\", \"log\" (volume-snapshot backs up TiKV's disk volumes with cloud "
            "snapshots; brix does not implement it)");
  EXPECT_EQ(one(Errors(*rt, Json::parse(R"({"spec":{"restoreMode":"volume-snapshot",
                "br":{"cluster":"d"},"azblob":{"container":"c"}}})"))),
            "spec.restoreMode: Unsupported value: \"volume-snapshot\": supported values: "
            "\"snapshot\", \"pitr\" (volume-snapshot backs up TiKV's disk volumes with cloud "
            "snapshots; brix does not implement it)");
}

TEST(SchemaTest, BackupDefaultsAndRules) {
  const ResourceInfo* bk = FindResource(kBrGroup, kBrVersion, "backups");
  ASSERT_NE(bk, nullptr);
  Json ok = Json::parse(R"({"apiVersion":"br.pingcap.com/v1alpha1","kind":"Backup",
      "metadata":{"name":"b"},
      "spec":{"backupType":"full","br":{"cluster":"demo1","options":null},
              "azblob":{"secretName":"s","container":"c","prefix":"p"},
              "backoffRetryPolicy":{}}})");
  EXPECT_TRUE(Errors(*bk, ok).empty());
  Json defaulted = ok;
  DropNulls(&defaulted);
  ApplyDefaults(*bk->schema, &defaulted);
  EXPECT_EQ(defaulted["spec"]["backupMode"], "snapshot");
  EXPECT_FALSE(defaulted["spec"]["br"].contains("options"));
  EXPECT_EQ(defaulted["spec"]["backoffRetryPolicy"]["maxRetryTimes"], 2);
  EXPECT_FALSE(defaulted["spec"].contains("cleanPolicy"));
  EXPECT_EQ(defaulted["spec"]["azblob"]["accessTier"], "Cool");  // TiDB Operator's default

  Json bad = ok;
  bad["spec"]["logStop"] = true;
  bad["spec"]["logSubcommand"] = "log-stop";
  bad["spec"]["br"]["concurrency"] = "four";
  bad["spec"]["azblob"]["accessTier"] = "Cold";
  bad["spec"]["extra"] = 1;
  bad["spec"]["br"]["logLevel"] = "loud";
  bad["spec"]["br"].erase("cluster");
  bad["spec"]["commitTs"] = "2026-02-31 00:00:00";  // common/timestamp.h refuses it, named
  auto errors = Errors(*bk, bad);
  auto has = [&](const std::string& text) {
    for (const auto& e : errors) {
      if (e.find(text) != std::string::npos) return true;
    }
    return false;
  };
  EXPECT_TRUE(has("spec.logStop: Forbidden")) << ::testing::PrintToString(errors);
  EXPECT_TRUE(has("spec.br.concurrency: Invalid value: \"four\": must be of type integer"));
  EXPECT_TRUE(
      has("spec.azblob.accessTier: Unsupported value: \"Cold\": supported values: "
          "\"Hot\", \"Cool\", \"Archive\""));
  EXPECT_TRUE(has("spec.extra: Unknown field"));
  EXPECT_TRUE(
      has("spec.br.logLevel: Unsupported value: \"loud\": supported values: \"debug\", "
          "\"info\", \"warn\", \"error\", \"fatal\""));
  EXPECT_TRUE(has("spec.br.cluster: Required value"));
  EXPECT_TRUE(
      has("spec.commitTs: Invalid value: \"2026-02-31 00:00:00\": '2026-02-31 00:00:00' "
          "is not a real date (2026-02 has 28 days)"));

  EXPECT_TRUE(Errors(*bk, Json::parse(R"({"spec":{"br":{"cluster":"d","logLevel":"WARN"},
      "azblob":{"container":"c"}}})"))
                  .empty());

  Json no_storage = ok;
  no_storage["spec"].erase("azblob");
  EXPECT_EQ(Errors(*bk, no_storage).size(), 1u);
  Json no_spec = ok;
  no_spec.erase("spec");
  EXPECT_EQ(Errors(*bk, no_spec), std::vector<std::string>{"spec: Required value"});
}

TEST(SchemaTest, ScheduleTemplatesAreBackupSpecs) {
  const ResourceInfo* bks = FindResource(kBrGroup, kBrVersion, "backupschedules");
  Json s = Json::parse(R"({"spec":{"schedule":"*/2 * * * *","maxReservedTime":"3h",
      "backupTemplate":{"br":{"cluster":"demo1"},"azblob":{"container":"c"}},
      "logBackupTemplate":{"backupMode":"log","br":{"cluster":"demo1"},"azblob":{"container":"c"}},
      "compactBackupTemplate":{"br":{"cluster":"demo1"},"azblob":{"container":"c"}}}})");
  EXPECT_TRUE(Errors(*bks, s).empty()) << ::testing::PrintToString(Errors(*bks, s));
  Json d = s;
  ApplyDefaults(*bks->schema, &d);
  EXPECT_EQ(d["spec"]["backupTemplate"]["backupMode"], "snapshot");
  EXPECT_EQ(d["spec"]["logBackupTemplate"]["backupMode"], "log");
  EXPECT_EQ(d["spec"]["compactBackupTemplate"]["concurrency"], 4);
  s["spec"]["logBackupTemplate"]["br"].erase("cluster");
  s["spec"]["schedule"] = "every day";
  auto errors = Errors(*bks, s);
  ASSERT_EQ(errors.size(), 2u) << ::testing::PrintToString(errors);
  EXPECT_NE(errors[0].find("spec.logBackupTemplate.br.cluster: Required value"), std::string::npos);
  EXPECT_NE(errors[1].find("spec.schedule: Invalid value: \"every day\""), std::string::npos);
}

TEST(SchemaTest, PruneUnknownForFieldValidationIgnore) {
  const ResourceInfo* rt = FindResource(kBrGroup, kBrVersion, "restores");
  Json r = Json::parse(R"({"spec":{"br":{"cluster":"c","bogus":1},"azblob":{"container":"c"},
                                   "resources":{"limits":{"cpu":"1"}},"typo":true}})");
  PruneUnknown(*rt->schema, &r);
  EXPECT_FALSE(r["spec"].contains("typo"));
  EXPECT_FALSE(r["spec"]["br"].contains("bogus"));
  EXPECT_EQ(r["spec"]["resources"]["limits"]["cpu"], "1");  // Kubernetes types kept as written
}

}  // namespace
}  // namespace brix::api
