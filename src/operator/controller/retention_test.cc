// Edge cases of BackupSchedule retention (retention.h); the reference scenarios are in
// controller_unit_test.cc.
#include "operator/controller/retention.h"

#include <gtest/gtest.h>

#include "operator/api/go_time.h"

namespace brix::controller {
namespace {

uint64_t Ts(int64_t seconds) { return api::TsoFromUnixMillis(seconds * 1000); }
using Names = std::vector<std::string>;

TEST(RetentionEdges, EmptyInputDeletesAndTruncatesNothing) {
  RetentionInput in;
  in.max_backups = 1;
  in.log = LogEntry{Ts(1), Ts(2)};
  RetentionPlan plan = PlanRetention(in);
  EXPECT_TRUE(plan.delete_names.empty());
  EXPECT_EQ(plan.truncate_until, 0u);
  EXPECT_FALSE(plan.all_deleted);
}

TEST(RetentionEdges, MaxBackupsAtTheLimitKeepsEverySnapshot) {
  RetentionInput in;
  in.max_backups = 2;
  in.snapshots = {{"a", "Complete", Ts(100)}, {"b", "Complete", Ts(200)}};
  EXPECT_TRUE(PlanRetention(in).delete_names.empty());
}

TEST(RetentionEdges, AgeIsTheCommitTsNotTheCreationOrder) {
  RetentionInput in;
  in.max_backups = 2;
  in.snapshots = {
      {"a", "Complete", Ts(300)}, {"b", "Complete", Ts(100)}, {"c", "Complete", Ts(200)}};
  EXPECT_EQ(PlanRetention(in).delete_names, (Names{"b"}));
}

TEST(RetentionEdges, EqualCommitTsKeepTheLaterCreatedOne) {
  RetentionInput in;
  in.max_backups = 1;
  in.snapshots = {{"a", "Complete", Ts(100)}, {"b", "Complete", Ts(100)}};
  EXPECT_EQ(PlanRetention(in).delete_names, (Names{"a"}));
}

TEST(RetentionEdges, WithoutLogASnapshotExactlyAtTheExpiryIsKept) {
  RetentionInput in;
  in.max_reserved_time = std::chrono::seconds(1000);
  in.now_ts = Ts(10'000);  // expired = 9000 s
  in.snapshots = {
      {"a", "Complete", Ts(8'999)}, {"b", "Complete", Ts(9'000)}, {"c", "Complete", Ts(9'500)}};
  EXPECT_EQ(PlanRetention(in).delete_names, (Names{"a"}));
}

TEST(RetentionEdges, WithLogTheNewestSnapshotAtTheExpiryIsKeptAndTruncatesThere) {
  RetentionInput in;
  in.max_reserved_time = std::chrono::seconds(1000);
  in.log = LogEntry{Ts(100), Ts(10'000)};  // latest = 10000 s, expired = 9000 s
  in.snapshots = {
      {"a", "Complete", Ts(8'000)}, {"b", "Complete", Ts(9'000)}, {"c", "Complete", Ts(9'500)}};
  RetentionPlan plan = PlanRetention(in);
  EXPECT_EQ(plan.delete_names, (Names{"a"}));
  EXPECT_EQ(plan.truncate_until, Ts(9'000));
}

TEST(RetentionEdges, ATruncationPointOutsideTheLogRangeIsNotUsed) {
  RetentionInput in;
  in.max_backups = 1;
  in.log = LogEntry{Ts(2'000), Ts(5'000)};
  // The oldest kept snapshot (b) is before the log starts: nothing of the log is older.
  in.snapshots = {{"a", "Complete", Ts(1'000)}, {"b", "Complete", Ts(1'500)}};
  RetentionPlan plan = PlanRetention(in);
  EXPECT_EQ(plan.delete_names, (Names{"a"}));
  EXPECT_EQ(plan.truncate_until, 0u);
  // Inside the range it is used, and exactly at the checkpoint too.
  in.snapshots = {{"a", "Complete", Ts(1'000)}, {"b", "Complete", Ts(5'000)}};
  EXPECT_EQ(PlanRetention(in).truncate_until, Ts(5'000));
}

TEST(RetentionEdges, CompactionProgressAheadOfTheTruncationDoesNotRaiseIt) {
  RetentionInput in;
  in.max_backups = 1;
  in.log = LogEntry{Ts(100), Ts(5'000)};
  in.snapshots = {{"a", "Complete", Ts(1'000)}, {"b", "Complete", Ts(2'000)}};
  in.compact_progress = Ts(4'000);
  EXPECT_EQ(PlanRetention(in).truncate_until, Ts(2'000));
  in.compact_progress = 0;  // compactions that have done nothing yet hold truncation at 0
  EXPECT_EQ(PlanRetention(in).truncate_until, 0u);
}

TEST(RetentionEdges, NameTimestampsAtTheEpochAndAcrossMidnight) {
  using Clock = std::chrono::system_clock;
  EXPECT_EQ(NameTimestamp(Clock::time_point{}), "1970-01-01t00-00-00");
  EXPECT_EQ(WindowTimestamp(Clock::time_point{}), "1970-01-01 00:00:00");
  Clock::time_point midnight{std::chrono::seconds(1678320000)};  // 2023-03-09 00:00:00 UTC
  EXPECT_EQ(NameTimestamp(midnight - std::chrono::seconds(1)), "2023-03-08t23-59-59");
  EXPECT_EQ(WindowTimestamp(midnight), "2023-03-09 00:00:00");
}

}  // namespace
}  // namespace brix::controller
