// Metrics: counters, gauges and histograms with labels, rendered in the Prometheus text
// exposition format 0.0.4 (docs/metrics.md lists every series brix exports).
//
// Hand-written because Debian (bookworm) packages no Prometheus client library for C++
// (prometheus-cpp is not in Debian) and the format is small: HELP/TYPE lines, escaped label
// values, `_bucket{le=...}`/`_sum`/`_count` for histograms.
//
// Contract:
// - A family (name, help, label names) is registered once per registry; registering the same
//   name again returns the same family when type and label names match (so two objects of one
//   process may share a family) and aborts the program when they do not (a programming error).
// - Series: family.WithLabels({values...}) returns a reference that stays valid for the life of
//   the registry; hot paths look it up once and keep it. Updates are lock-free atomics; only the
//   lookup takes the family's mutex.
// - Gauges either hold a value (Set/Add) or read one at scrape time (a callback per series).
// - Collectors produce whole families at scrape time (for series that come and go with objects,
//   e.g. one per custom resource): nothing stale remains after the object is gone.
// - Render() emits families sorted by name, series in label order; values are the shortest text
//   that reads back as the same double ("+Inf", "-Inf", "NaN" for the special values).
// - Names must match [a-zA-Z_:][a-zA-Z0-9_:]*, label names [a-zA-Z_][a-zA-Z0-9_]* (checked at
//   registration, abort on a bad one). Label values are any UTF-8; never put secrets or
//   unbounded values (keys, file names) in them.
//
// Default() is the process's registry; /metrics (net/status_server.h, brixd's API) serves it.
#pragma once

#include <atomic>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace brix::metrics {

using LabelValues = std::vector<std::string>;

class Counter {
 public:
  void Inc(double v = 1) { value_.fetch_add(v, std::memory_order_relaxed); }
  double value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0};
};

class Gauge {
 public:
  void Set(double v) { value_.store(v, std::memory_order_relaxed); }
  void Add(double v) { value_.fetch_add(v, std::memory_order_relaxed); }
  // From now on the value is read by calling `fn` at scrape time (it must be thread-safe).
  void SetCallback(std::function<double()> fn);
  double value() const;

 private:
  std::atomic<double> value_{0};
  mutable std::mutex mu_;
  std::function<double()> callback_;
};

class Histogram {
 public:
  explicit Histogram(const std::vector<double>* bounds);
  void Observe(double v);
  // Cumulative counts per bound (then +Inf), sum and count; a consistent-enough snapshot.
  std::vector<uint64_t> CumulativeCounts() const;
  double sum() const { return sum_.load(std::memory_order_relaxed); }
  uint64_t count() const { return count_.load(std::memory_order_relaxed); }

 private:
  const std::vector<double>* bounds_;
  std::unique_ptr<std::atomic<uint64_t>[]> buckets_;  // bounds_->size() + 1 (the +Inf bucket)
  std::atomic<double> sum_{0};
  std::atomic<uint64_t> count_{0};
};

enum class Type { kCounter, kGauge, kHistogram };

// One family's samples as a collector produces them (counters and gauges only).
struct Sample {
  std::vector<std::pair<std::string, std::string>> labels;
  double value = 0;
};
struct CollectedFamily {
  std::string name;
  std::string help;
  Type type = Type::kGauge;
  std::vector<Sample> samples;
};

template <typename T>
class Family {
 public:
  Family(std::string name, std::string help, std::vector<std::string> label_names,
         std::vector<double> bounds = {})
      : name_(std::move(name)),
        help_(std::move(help)),
        label_names_(std::move(label_names)),
        bounds_(std::move(bounds)) {}

  // The series with these label values (one per label name, in order); made on first use.
  T& WithLabels(const LabelValues& values);
  // Drops a series (e.g. a log task that was deleted); references to it become dangling.
  void Remove(const LabelValues& values);

  const std::string& name() const { return name_; }
  const std::string& help() const { return help_; }
  const std::vector<std::string>& label_names() const { return label_names_; }
  const std::vector<double>& bounds() const { return bounds_; }
  // Calls fn(values, series) for each series in label order, under the family's lock.
  void ForEach(const std::function<void(const LabelValues&, const T&)>& fn) const;

 private:
  const std::string name_, help_;
  const std::vector<std::string> label_names_;
  const std::vector<double> bounds_;
  mutable std::mutex mu_;
  std::map<LabelValues, std::unique_ptr<T>> series_;
};

using CounterFamily = Family<Counter>;
using GaugeFamily = Family<Gauge>;
using HistogramFamily = Family<Histogram>;

class Registry {
 public:
  CounterFamily& Counter(const std::string& name, const std::string& help,
                         std::vector<std::string> label_names = {});
  GaugeFamily& Gauge(const std::string& name, const std::string& help,
                     std::vector<std::string> label_names = {});
  // `bounds`: the buckets' upper bounds, strictly increasing (+Inf is added).
  HistogramFamily& Histogram(const std::string& name, const std::string& help,
                             std::vector<double> bounds, std::vector<std::string> label_names = {});
  // Adds a collector; called at every Render() (from the scraping thread). Returns its id.
  int AddCollector(std::function<std::vector<CollectedFamily>()> collect);
  // After it returns the collector is never called again (it waits for a Render() in progress),
  // so what the collector reads may be destroyed. Must not be called from a collector.
  void RemoveCollector(int id);

  // The text exposition format 0.0.4.
  std::string Render() const;

 private:
  template <typename F>
  F& Register(std::map<std::string, std::unique_ptr<F>>& families, Type type,
              const std::string& name, const std::string& help,
              std::vector<std::string> label_names, std::vector<double> bounds);

  mutable std::mutex mu_;
  mutable std::mutex collect_mu_;  // held while collectors run; taken before mu_
  std::map<std::string, Type> types_;
  std::map<std::string, std::unique_ptr<CounterFamily>> counters_;
  std::map<std::string, std::unique_ptr<GaugeFamily>> gauges_;
  std::map<std::string, std::unique_ptr<HistogramFamily>> histograms_;
  std::map<int, std::function<std::vector<CollectedFamily>()>> collectors_;
  int next_collector_ = 1;
};

// The process's registry.
Registry& Default();

// Exponential bucket bounds: start, start*factor, ... (count bounds).
std::vector<double> ExponentialBuckets(double start, double factor, int count);

// The content type of Render()'s output.
inline constexpr char kContentType[] = "text/plain; version=0.0.4; charset=utf-8";

}  // namespace brix::metrics
