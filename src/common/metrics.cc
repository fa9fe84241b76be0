#include "common/metrics.h"

#include <fmt/format.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace brix::metrics {

namespace {

bool ValidName(const std::string& s, bool colon) {
  if (s.empty()) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (colon && c == ':') ||
              (i > 0 && c >= '0' && c <= '9');
    if (!ok) return false;
  }
  return true;
}

[[noreturn]] void Die(const std::string& why) {
  std::fprintf(stderr, "metrics: %s\n", why.c_str());
  std::abort();
}

std::string FormatValue(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  return fmt::format("{}", v);
}

// HELP text escapes backslash and newline; label values also the double quote.
std::string Escape(const std::string& s, bool quote) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else if (quote && c == '"') {
      out += "\\\"";
    } else {
      out += c;
    }
  }
  return out;
}

using LabelPairs = std::vector<std::pair<std::string, std::string>>;

std::string LabelText(const LabelPairs& labels) {
  if (labels.empty()) return "";
  std::string out = "{";
  for (size_t i = 0; i < labels.size(); ++i) {
    if (i > 0) out += ',';
    out += labels[i].first + "=\"" + Escape(labels[i].second, true) + '"';
  }
  return out + "}";
}

LabelPairs Pairs(const std::vector<std::string>& names, const LabelValues& values) {
  LabelPairs out;
  for (size_t i = 0; i < names.size(); ++i) out.emplace_back(names[i], values[i]);
  return out;
}

void Header(std::string& out, const std::string& name, const std::string& help, Type type) {
  static constexpr const char* kTypes[] = {"counter", "gauge", "histogram"};
  out += "# HELP " + name + " " + Escape(help, false) + "\n";
  out += "# TYPE " + name + " " + kTypes[static_cast<int>(type)] + "\n";
}

template <typename T>
std::unique_ptr<T> MakeSeries(const Family<T>&) {
  return std::make_unique<T>();
}
template <>
std::unique_ptr<Histogram> MakeSeries(const Family<Histogram>& f) {
  return std::make_unique<Histogram>(&f.bounds());
}

}  // namespace

void Gauge::SetCallback(std::function<double()> fn) {
  std::lock_guard<std::mutex> lock(mu_);
  callback_ = std::move(fn);
}

double Gauge::value() const {
  std::lock_guard<std::mutex> lock(mu_);
  if (callback_) return callback_();
  return value_.load(std::memory_order_relaxed);
}

Histogram::Histogram(const std::vector<double>* bounds)
    : bounds_(bounds), buckets_(new std::atomic<uint64_t>[bounds->size() + 1]) {
  for (size_t i = 0; i <= bounds_->size(); ++i) buckets_[i].store(0);
}

void Histogram::Observe(double v) {
  size_t i = 0;
  while (i < bounds_->size() && v > (*bounds_)[i]) ++i;
  buckets_[i].fetch_add(1, std::memory_order_relaxed);
  sum_.fetch_add(v, std::memory_order_relaxed);
  count_.fetch_add(1, std::memory_order_relaxed);
}

std::vector<uint64_t> Histogram::CumulativeCounts() const {
  std::vector<uint64_t> out;
  uint64_t total = 0;
  for (size_t i = 0; i <= bounds_->size(); ++i) {
    total += buckets_[i].load(std::memory_order_relaxed);
    out.push_back(total);
  }
  return out;
}

template <typename T>
T& Family<T>::WithLabels(const LabelValues& values) {
  if (values.size() != label_names_.size()) {
    Die(fmt::format("{}: {} label values for {} labels", name_, values.size(),
                    label_names_.size()));
  }
  std::lock_guard<std::mutex> lock(mu_);
  auto& slot = series_[values];
  if (!slot) slot = MakeSeries(*this);
  return *slot;
}

template <typename T>
void Family<T>::Remove(const LabelValues& values) {
  std::lock_guard<std::mutex> lock(mu_);
  series_.erase(values);
}

template <typename T>
void Family<T>::ForEach(const std::function<void(const LabelValues&, const T&)>& fn) const {
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& [values, series] : series_) fn(values, *series);
}

template class Family<Counter>;
template class Family<Gauge>;
template class Family<Histogram>;

template <typename F>
F& Registry::Register(std::map<std::string, std::unique_ptr<F>>& families, Type type,
                      const std::string& name, const std::string& help,
                      std::vector<std::string> label_names, std::vector<double> bounds) {
  if (!ValidName(name, true)) Die("bad metric name '" + name + "'");
  for (const auto& l : label_names) {
    if (!ValidName(l, false) || l.starts_with("__") || (type == Type::kHistogram && l == "le")) {
      Die(name + ": bad label name '" + l + "'");
    }
  }
  for (size_t i = 1; i < bounds.size(); ++i) {
    if (!(bounds[i] > bounds[i - 1])) Die(name + ": bucket bounds must increase");
  }
  std::lock_guard<std::mutex> lock(mu_);
  auto [t, fresh] = types_.emplace(name, type);
  if (!fresh && t->second != type) Die(name + " registered twice with different types");
  auto& slot = families[name];
  if (slot) {
    if (slot->label_names() != label_names || slot->bounds() != bounds) {
      Die(name + " registered twice with different labels or buckets");
    }
    return *slot;
  }
  slot = std::make_unique<F>(name, help, std::move(label_names), std::move(bounds));
  return *slot;
}

CounterFamily& Registry::Counter(const std::string& name, const std::string& help,
                                 std::vector<std::string> label_names) {
  return Register(counters_, Type::kCounter, name, help, std::move(label_names), {});
}

GaugeFamily& Registry::Gauge(const std::string& name, const std::string& help,
                             std::vector<std::string> label_names) {
  return Register(gauges_, Type::kGauge, name, help, std::move(label_names), {});
}

HistogramFamily& Registry::Histogram(const std::string& name, const std::string& help,
                                     std::vector<double> bounds,
                                     std::vector<std::string> label_names) {
  if (bounds.empty()) Die(name + ": a histogram needs bucket bounds");
  return Register(histograms_, Type::kHistogram, name, help, std::move(label_names),
                  std::move(bounds));
}

int Registry::AddCollector(std::function<std::vector<CollectedFamily>()> collect) {
  std::lock_guard<std::mutex> lock(mu_);
  int id = next_collector_++;
  collectors_[id] = std::move(collect);
  return id;
}

void Registry::RemoveCollector(int id) {
  std::lock_guard<std::mutex> collecting(collect_mu_);
  std::lock_guard<std::mutex> lock(mu_);
  collectors_.erase(id);
}

std::string Registry::Render() const {
  // Each family's text by name, so that collected and registered families interleave in order.
  std::map<std::string, std::string> texts;
  std::vector<std::function<std::vector<CollectedFamily>()>> collectors;
  std::lock_guard<std::mutex> collecting(collect_mu_);
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& [name, f] : counters_) {
      std::string& out = texts[name];
      Header(out, name, f->help(), Type::kCounter);
      f->ForEach([&](const LabelValues& v, const metrics::Counter& c) {
        out += name + LabelText(Pairs(f->label_names(), v)) + " " + FormatValue(c.value()) + "\n";
      });
    }
    for (const auto& [name, f] : gauges_) {
      std::string& out = texts[name];
      Header(out, name, f->help(), Type::kGauge);
      f->ForEach([&](const LabelValues& v, const metrics::Gauge& g) {
        out += name + LabelText(Pairs(f->label_names(), v)) + " " + FormatValue(g.value()) + "\n";
      });
    }
    for (const auto& [name, f] : histograms_) {
      std::string& out = texts[name];
      Header(out, name, f->help(), Type::kHistogram);
      f->ForEach([&](const LabelValues& v, const metrics::Histogram& h) {
        LabelPairs labels = Pairs(f->label_names(), v);
        std::vector<uint64_t> counts = h.CumulativeCounts();
        for (size_t i = 0; i < counts.size(); ++i) {
          LabelPairs with_le = labels;
          with_le.emplace_back("le", i < f->bounds().size() ? FormatValue(f->bounds()[i]) : "+Inf");
          out += name + "_bucket" + LabelText(with_le) + " " + std::to_string(counts[i]) + "\n";
        }
        out += name + "_sum" + LabelText(labels) + " " + FormatValue(h.sum()) + "\n";
        // The count is the +Inf bucket's, so that the two always agree.
        out += name + "_count" + LabelText(labels) + " " + std::to_string(counts.back()) + "\n";
      });
    }
    for (const auto& [id, c] : collectors_) collectors.push_back(c);
  }
  for (const auto& collect : collectors) {
    for (const CollectedFamily& f : collect()) {
      if (texts.contains(f.name) || !ValidName(f.name, true) || f.type == Type::kHistogram) {
        continue;  // a name is exported once; collectors export counters and gauges only
      }
      std::string& out = texts[f.name];
      Header(out, f.name, f.help, f.type);
      for (const Sample& s : f.samples) {
        out += f.name + LabelText(s.labels) + " " + FormatValue(s.value) + "\n";
      }
    }
  }
  std::string all;
  for (const auto& [name, text] : texts) all += text;
  return all;
}

Registry& Default() {
  static Registry* registry = new Registry();  // never destroyed: threads may scrape at exit
  return *registry;
}

std::vector<double> ExponentialBuckets(double start, double factor, int count) {
  std::vector<double> out;
  double v = start;
  for (int i = 0; i < count; ++i, v *= factor) out.push_back(v);
  return out;
}

}  // namespace brix::metrics
