#include "common/metrics.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <thread>

#include "common/process.h"

namespace brix::metrics {
namespace {

TEST(Metrics, CountersAndGaugesRenderWithHelpTypeAndEscapedLabels) {
  Registry r;
  r.Counter("brix_test_requests_total", "Requests.\nSecond \\ line", {"op"})
      .WithLabels({"put \"x\"\n"})
      .Inc(3);
  r.Gauge("brix_test_depth", "Depth.").WithLabels({}).Set(2.5);
  EXPECT_EQ(r.Render(),
            "# HELP brix_test_depth Depth.\n"
            "# TYPE brix_test_depth gauge\n"
            "brix_test_depth 2.5\n"
            "# HELP brix_test_requests_total Requests.\\nSecond \\\\ line\n"
            "# TYPE brix_test_requests_total counter\n"
            "brix_test_requests_total{op=\"put \\\"x\\\"\\n\"} 3\n");
}

TEST(Metrics, HistogramHasCumulativeBucketsSumAndCount) {
  Registry r;
  auto& h = r.Histogram("brix_test_seconds", "Durations.", {0.1, 1}, {"task"}).WithLabels({"t"});
  h.Observe(0.05);
  h.Observe(0.1);  // on a bound: counted in that bucket (le means <=)
  h.Observe(5);
  EXPECT_EQ(r.Render(),
            "# HELP brix_test_seconds Durations.\n"
            "# TYPE brix_test_seconds histogram\n"
            "brix_test_seconds_bucket{task=\"t\",le=\"0.1\"} 2\n"
            "brix_test_seconds_bucket{task=\"t\",le=\"1\"} 2\n"
            "brix_test_seconds_bucket{task=\"t\",le=\"+Inf\"} 3\n"
            "brix_test_seconds_sum{task=\"t\"} 5.15\n"
            "brix_test_seconds_count{task=\"t\"} 3\n");
}

TEST(Metrics, SeriesReferencesAreStableAndUpdatesFromManyThreadsAddUp) {
  Registry r;
  auto& family = r.Counter("brix_test_total", "T.", {"k"});
  Counter& held = family.WithLabels({"a"});
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 10000; ++i) held.Inc();
      family.WithLabels({"b" + std::to_string(t)}).Inc();
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(&held, &family.WithLabels({"a"}));
  EXPECT_EQ(held.value(), 40000);
  // Registering the same family again gives the same one.
  EXPECT_EQ(&family, &r.Counter("brix_test_total", "T.", {"k"}));
}

TEST(Metrics, CallbackGaugesAndCollectorsAreReadAtScrapeTime) {
  Registry r;
  double now = 1;
  r.Gauge("brix_test_callback", "C.").WithLabels({}).SetCallback([&] { return now; });
  std::vector<Sample> samples;
  int id = r.AddCollector([&] {
    return std::vector<CollectedFamily>{
        {"brix_test_collected", "Collected.", Type::kGauge, samples}};
  });
  EXPECT_NE(r.Render().find("brix_test_callback 1\n"), std::string::npos);
  now = 7;
  samples.push_back({{{"namespace", "ns"}, {"name", "n"}}, 42});
  std::string text = r.Render();
  EXPECT_NE(text.find("brix_test_callback 7\n"), std::string::npos);
  EXPECT_NE(text.find("brix_test_collected{namespace=\"ns\",name=\"n\"} 42\n"), std::string::npos);
  r.RemoveCollector(id);
  EXPECT_EQ(r.Render().find("brix_test_collected"), std::string::npos);
}

TEST(Metrics, SpecialValuesUsePrometheusSpelling) {
  Registry r;
  auto& g = r.Gauge("brix_test_values", "V.", {"v"});
  g.WithLabels({"inf"}).Set(std::numeric_limits<double>::infinity());
  g.WithLabels({"nan"}).Set(std::numeric_limits<double>::quiet_NaN());
  g.WithLabels({"big"}).Set(4.6e18);
  std::string text = r.Render();
  EXPECT_NE(text.find("{v=\"inf\"} +Inf\n"), std::string::npos);
  EXPECT_NE(text.find("{v=\"nan\"} NaN\n"), std::string::npos);
  EXPECT_NE(text.find("{v=\"big\"} 4.6e+18\n"), std::string::npos);
}

TEST(Metrics, RejectsBadNamesAndMismatchedRegistrations) {
  Registry r;
  r.Counter("brix_ok_total", "x", {"a"});
  EXPECT_DEATH(r.Counter("brix-bad", "x"), "bad metric name");
  EXPECT_DEATH(r.Gauge("brix_g", "x", {"__reserved"}), "bad label name");
  EXPECT_DEATH(r.Counter("brix_ok_total", "x", {"b"}), "different labels");
  EXPECT_DEATH(r.Gauge("brix_ok_total", "x", {"a"}), "different types");
  EXPECT_DEATH(r.Counter("brix_ok_total", "x", {"a"}).WithLabels({}), "label values");
}

// The rendered text passes Prometheus's own checker (promtool, Debian package `prometheus`,
// which scripts/setup installs).
TEST(Metrics, RenderedTextPassesPromtoolCheckMetrics) {
  auto which = RunCommand({"sh", "-c", "command -v promtool"});
  if (!which.ok() || which->exit_code != 0) {
    GTEST_SKIP() << "promtool not installed (scripts/setup installs Debian's prometheus)";
  }
  Registry r;
  r.Counter("brix_test_requests_total", "Requests by result.", {"op", "result"})
      .WithLabels({"get", "ok"})
      .Inc();
  r.Gauge("brix_test_checkpoint_ts", "A TSO.", {"task"}).WithLabels({"a\"b\\c\nd"}).Set(4.6e17);
  r.Histogram("brix_test_flush_duration_seconds", "Flush durations.",
              ExponentialBuckets(0.001, 4, 8), {"task"})
      .WithLabels({"t"})
      .Observe(0.2);
  r.AddCollector([] {
    return std::vector<CollectedFamily>{
        {"brix_test_collected_bytes", "Collected.", Type::kGauge, {{{{"name", "x"}}, 1}}}};
  });
  std::string file = std::filesystem::temp_directory_path() /
                     ("brix-metrics-" + std::to_string(::getpid()) + ".txt");
  std::ofstream(file) << r.Render();
  auto result = RunCommand({"sh", "-c", "promtool check metrics < " + file});
  std::filesystem::remove(file);
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_EQ(result->exit_code, 0) << result->output;
  EXPECT_EQ(result->output, "");
}

}  // namespace
}  // namespace brix::metrics
