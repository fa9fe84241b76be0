// The restore estimate's model (br/restore_rates.h) and the plan's log choice (br/restore_plan.h).
#include "br/restore_rates.h"

#include <gtest/gtest.h>

#include "br/restore_plan.h"

namespace brix::br {
namespace {

// A run whose phases took overhead + bytes / rate exactly.
void AddRun(RestoreRateHistory* h, const std::string& kind, uint64_t bytes, double rate,
            double phase_overhead, double run_overhead) {
  auto* run = h->add_runs();
  run->set_kind(kind);
  double total = run_overhead;
  for (const char* name : {kPhaseDownload, kPhaseIngest}) {
    auto* p = run->add_phases();
    p->set_name(name);
    p->set_bytes(bytes);
    p->set_seconds(phase_overhead + static_cast<double>(bytes) / rate);
    total += p->seconds();
  }
  run->set_seconds(total);
}

std::vector<PhaseMeasure> Planned(uint64_t bytes) {
  return {{kPhaseDownload, bytes, 0, 0}, {kPhaseIngest, bytes, 0, 0}};
}

TEST(RestoreEstimate, AClusterThatNeverRestoredGetsTheDefaultCalibration) {
  RestoreEstimate e = EstimateRestore({}, "full", Planned(100'000'000));
  ASSERT_EQ(e.phases.size(), 2u);
  EXPECT_EQ(e.runs, 0u);
  EXPECT_EQ(e.phases[0].runs, 0u);
  EXPECT_DOUBLE_EQ(e.phases[0].seconds, 1.0);  // 100 MB at the default 100 MB/s
  EXPECT_DOUBLE_EQ(e.phases[1].seconds, 0.5);  // 100 MB at the default 200 MB/s
  EXPECT_DOUBLE_EQ(e.overhead_seconds, kDefaultOverheadSeconds);
  EXPECT_DOUBLE_EQ(e.total_seconds, 2.5);
}

TEST(RestoreEstimate, TwoSizesFitOverheadAndRateAndExtrapolate) {
  RestoreRateHistory h;
  AddRun(&h, "full", 10'000'000, 50e6, 0.3, 2.0);
  AddRun(&h, "full", 40'000'000, 50e6, 0.3, 2.0);
  RestoreEstimate e = EstimateRestore(h, "full", Planned(100'000'000));
  ASSERT_EQ(e.phases.size(), 2u);
  EXPECT_EQ(e.phases[0].runs, 2u);
  EXPECT_NEAR(e.phases[0].bytes_per_second, 50e6, 1);
  EXPECT_NEAR(e.phases[0].overhead_seconds, 0.3, 1e-9);
  EXPECT_NEAR(e.phases[0].seconds, 2.3, 1e-9);
  EXPECT_NEAR(e.overhead_seconds, 2.0, 1e-9);
  EXPECT_NEAR(e.total_seconds, 2.0 + 2 * 2.3, 1e-9);
}

TEST(RestoreEstimate, OneRunGivesARateThroughTheOrigin) {
  RestoreRateHistory h;
  AddRun(&h, "point", 20'000'000, 10e6, 0, 1.5);
  RestoreEstimate e = EstimateRestore(h, "full", Planned(40'000'000));
  EXPECT_NEAR(e.phases[0].seconds, 4.0, 1e-9);
  EXPECT_NEAR(e.overhead_seconds, 1.5, 1e-9);  // no "full" run: any run's overhead
}

TEST(RestoreEstimate, OnlyTheNewestRunsCountAndTheHistoryIsBounded) {
  RestoreRateHistory h;
  for (int i = 0; i < 20; ++i) AddRun(&h, "full", 10'000'000 * (1 + i % 2), 1e6, 0, 0);
  for (size_t i = 0; i < kFitRuns; ++i) AddRun(&h, "full", 10'000'000 * (1 + i % 2), 100e6, 0, 0);
  RestoreEstimate e = EstimateRestore(h, "full", Planned(100'000'000));
  EXPECT_NEAR(e.phases[0].bytes_per_second, 100e6, 1e3);

  cluster::KvMutation m = RateHistoryMutation(h, "full", 1.0, Planned(5));
  RestoreRateHistory kept;
  ASSERT_TRUE(kept.ParseFromString(m.value));
  EXPECT_EQ(static_cast<size_t>(kept.runs_size()), kRateHistoryRuns);
  EXPECT_EQ(kept.runs(kept.runs_size() - 1).phases(0).bytes(), 5u);
}

TEST(RestoreEstimate, LanesTakeItemsInOrderAndTheBusiestOneIsTheCriticalPath) {
  EXPECT_EQ(CriticalPathBytes({100, 100, 60}, 1), 260u);
  EXPECT_EQ(CriticalPathBytes({100, 100, 60}, 2), 160u);  // the third waits for a free lane
  EXPECT_EQ(CriticalPathBytes({100, 100, 60}, 8), 100u);  // all at once: the largest
  EXPECT_EQ(CriticalPathBytes({}, 4), 0u);
  EXPECT_GE(RestoreLanes(0), 1u);
  EXPECT_LE(RestoreLanes(1), 1u);
}

TEST(RestoreEstimate, TheRateAppliesToTheCriticalPathNotTheTotalBytes) {
  // Runs of 1 and 2 files whose critical paths were 40 and 80 MB.
  RestoreRateHistory h;
  for (uint64_t files : {1, 2}) {
    auto* run = h.add_runs();
    run->set_kind("full");
    auto* p = run->add_phases();
    p->set_name(kPhaseDownload);
    p->set_bytes(files * 50'000'000);
    p->set_critical_bytes(files * 40'000'000);
    p->set_seconds(0.2 + static_cast<double>(p->critical_bytes()) / 100e6);
    run->set_seconds(p->seconds());
  }
  // Eight files of 50 MB on two lanes: 200 MB on the critical path, not 400 MB.
  RestoreEstimate e = EstimateRestore(h, "full", {{kPhaseDownload, 400'000'000, 0, 200'000'000}});
  EXPECT_NEAR(e.phases[0].bytes_per_second, 100e6, 1);
  EXPECT_NEAR(e.phases[0].seconds, 2.2, 1e-9);
  EXPECT_EQ(e.phases[0].bytes, 400'000'000u);
}

TEST(RestoreEstimate, AHistoryWrittenBeforeCriticalBytesCountsItsTotalBytes) {
  RestoreRateHistory h;
  AddRun(&h, "full", 20'000'000, 10e6, 0, 0);  // no critical_bytes: as before
  RestoreEstimate e = EstimateRestore(h, "full", Planned(40'000'000));
  EXPECT_NEAR(e.phases[0].seconds, 4.0, 1e-9);
  cluster::KvMutation m = RateHistoryMutation(h, "full", 1.0, {{kPhaseDownload, 8, 1.0, 3}});
  RestoreRateHistory kept;
  ASSERT_TRUE(kept.ParseFromString(m.value));
  EXPECT_EQ(kept.runs(1).phases(0).critical_bytes(), 3u);
}

LogFile File(const std::string& name, uint64_t min_ts, uint64_t max_ts, uint64_t raw) {
  LogFile f;
  f.set_name(name);
  f.set_min_ts(min_ts);
  f.set_max_ts(max_ts);
  f.set_raw_size(raw);
  return f;
}

TEST(RestorePlan, CompactionsReplaceTheirInputsAndOnlyTheWindowCounts) {
  LogMeta m;
  *m.add_files() = File("before", 1, 10, 1000);  // ends at the snapshot ts: not needed
  *m.add_files() = File("a", 11, 20, 100);
  *m.add_files() = File("b", 21, 30, 200);
  *m.add_files() = File("after", 41, 50, 4000);  // starts after the restored ts
  LogCompaction c;
  c.set_name("c1");
  c.add_input_files("a");
  c.set_input_min_ts(11);
  c.set_input_max_ts(20);
  auto* sst = c.add_subcompactions()->add_ssts();
  sst->set_start_version(11);
  sst->set_end_version(20);
  sst->set_total_bytes(70);
  std::vector<LogCompaction> compactions = {c};
  LogReplayPlan plan = PlanLogReplay({m}, compactions, 10, 40);
  ASSERT_EQ(plan.compactions.size(), 1u);
  ASSERT_EQ(plan.raw.size(), 1u);
  EXPECT_EQ(plan.raw[0].name(), "b");
  EXPECT_EQ(plan.ssts, 1u);
  EXPECT_EQ(plan.bytes, 270u);
}

}  // namespace
}  // namespace brix::br
