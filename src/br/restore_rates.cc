#include "br/restore_rates.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <thread>

#include "cluster/mvcc.h"

namespace brix::br {
namespace {

std::string RatesKey() { return std::string(1, cluster::kMetaPrefix) + "_br/restore_rates"; }

double DefaultRateOf(const std::string& phase) {
  for (const auto& d : kDefaultRates) {
    if (phase == d.phase) return d.bytes_per_second;
  }
  return kDefaultRates[0].bytes_per_second;
}

struct Point {
  double bytes, seconds;
};

// seconds = a + bytes / rate over the points (newest kFitRuns), or the default. A negative
// fitted a is kept (see below); an estimate is never below 0.
PhaseEstimate Fit(const std::string& phase, uint64_t bytes, uint64_t critical,
                  const std::vector<Point>& points) {
  PhaseEstimate e;
  e.name = phase;
  e.bytes = bytes;
  e.critical_bytes = critical;
  e.runs = points.size();
  double a = 0, per_byte = 1 / DefaultRateOf(phase);
  if (!points.empty()) {
    double n = static_cast<double>(points.size()), sb = 0, ss = 0, sbb = 0, sbs = 0;
    for (const auto& p : points) {
      sb += p.bytes;
      ss += p.seconds;
      sbb += p.bytes * p.bytes;
      sbs += p.bytes * p.seconds;
    }
    double var = sbb - sb * sb / n;
    bool line = false;
    // A line needs sizes apart by more than 10 % of their mean; else its slope is noise.
    if (points.size() >= 2 && var > 0 && std::sqrt(var / n) > 0.1 * sb / n) {
      double slope = (sbs - sb * ss / n) / var;
      double intercept = (ss - slope * sb) / n;
      // A negative intercept is kept (the phase got cheaper per byte with size, e.g. warm-up):
      // the line predicts larger restores best; the estimate is clamped at 0 below.
      if (slope > 0) {
        a = intercept;
        per_byte = slope;
        line = true;
      }
    }
    if (!line && sb > 0 && ss > 0) per_byte = sbb > 0 ? sbs / sbb : ss / sb;  // through the origin
    if (!line && sb == 0) a = ss / n;  // a phase that moved no bytes: its time is fixed
  }
  e.overhead_seconds = a;
  e.bytes_per_second = per_byte > 0 ? 1 / per_byte : 0;
  e.seconds = std::max(0.0, a + static_cast<double>(critical) * per_byte);
  return e;
}

double PhaseSeconds(const RestoreRunSample& run) {
  double s = 0;
  for (const auto& p : run.phases()) s += p.seconds();
  return s;
}

// What a phase's rate applies to: its critical path, or (old histories) its bytes.
uint64_t RatedBytes(uint64_t bytes, uint64_t critical) { return critical ? critical : bytes; }

}  // namespace

size_t RestoreLanes(int concurrency) {
  size_t cores = std::max(1u, std::thread::hardware_concurrency());
  return std::max<size_t>(1, std::min(static_cast<size_t>(std::max(1, concurrency)), cores));
}

uint64_t CriticalPathBytes(const std::vector<uint64_t>& items, size_t lanes) {
  std::vector<uint64_t> lane(std::max<size_t>(1, lanes), 0);
  for (uint64_t b : items) *std::min_element(lane.begin(), lane.end()) += b;
  return *std::max_element(lane.begin(), lane.end());
}

RestoreEstimate EstimateRestore(const RestoreRateHistory& history, const std::string& kind,
                                const std::vector<PhaseMeasure>& planned) {
  RestoreEstimate out;
  out.runs = static_cast<size_t>(history.runs_size());
  for (const auto& want : planned) {
    std::vector<Point> points;
    for (int i = history.runs_size() - 1; i >= 0 && points.size() < kFitRuns; --i) {
      for (const auto& p : history.runs(i).phases()) {
        if (p.name() != want.name) continue;
        points.push_back(
            {static_cast<double>(RatedBytes(p.bytes(), p.critical_bytes())), p.seconds()});
      }
    }
    out.phases.push_back(
        Fit(want.name, want.bytes, RatedBytes(want.bytes, want.critical_bytes), points));
  }
  // The fixed overhead: the same kind's runs first, any run's when there is none of it.
  for (bool same_kind : {true, false}) {
    double sum = 0;
    size_t n = 0;
    for (int i = history.runs_size() - 1; i >= 0 && n < kFitRuns; --i) {
      const auto& run = history.runs(i);
      if (same_kind && run.kind() != kind) continue;
      sum += std::max(0.0, run.seconds() - PhaseSeconds(run));
      ++n;
    }
    if (n > 0) {
      out.overhead_seconds = sum / static_cast<double>(n);
      break;
    }
    out.overhead_seconds = kDefaultOverheadSeconds;
  }
  out.total_seconds = out.overhead_seconds;
  for (const auto& p : out.phases) out.total_seconds += p.seconds;
  return out;
}

Result<RestoreRateHistory> ReadRateHistory(cluster::KvClient& kv, uint64_t ts) {
  BRIX_ASSIGN_OR_RETURN(auto value, kv.Get(RatesKey(), ts));
  RestoreRateHistory history;
  if (value && !history.ParseFromString(*value)) {
    return Status::Corruption("the target cluster's restore rates (" + RatesKey() +
                              ") do not parse");
  }
  return history;
}

cluster::KvMutation RateHistoryMutation(RestoreRateHistory history, const std::string& kind,
                                        double seconds, const std::vector<PhaseMeasure>& phases,
                                        bool calibration) {
  RestoreRunSample* run = history.add_runs();
  run->set_kind(kind);
  run->set_calibration(calibration);
  run->set_unix_ms(std::chrono::duration_cast<std::chrono::milliseconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count());
  run->set_seconds(seconds);
  for (const auto& p : phases) {
    auto* s = run->add_phases();
    s->set_name(p.name);
    s->set_bytes(p.bytes);
    s->set_seconds(p.seconds);
    s->set_critical_bytes(p.critical_bytes);
  }
  while (static_cast<size_t>(history.runs_size()) > kRateHistoryRuns) {
    history.mutable_runs()->DeleteSubrange(0, 1);
  }
  return {RatesKey(), false, history.SerializeAsString()};
}

}  // namespace brix::br
