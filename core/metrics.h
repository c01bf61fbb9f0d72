// Metrics registry rendered in the Prometheus text exposition format 0.0.4 (`/metrics`).
//
// One MetricsRegistry per loop context, passed explicitly; there is no global instance.
// Names follow `tidecast_<room>_<what>_<unit>` (the standard `process_*` names excepted);
// the registry checks only that names and labels are syntactically valid.
//
// Threads: the registry itself (registration, remove, render) belongs to its loop thread and
// is not synchronised. The metric objects it hands out (Counter, Gauge, Histogram) may be
// updated from any thread: updates are relaxed atomics, cheap enough for hot paths.
// Callbacks and collect hooks run on the thread that calls render().
//
// Lifetime: a reference returned by counter()/gauge()/histogram() stays valid until the
// series is remove()d or the registry is destroyed.
//
// Programming errors (a name registered again with another type, an object series
// re-registered as a callback or the reverse, an invalid metric or label name, a duplicate
// label name, `le` on a histogram) assert in debug builds. In release builds they must not
// take the server down: the call returns a working but unrendered object (or ignores the
// callback), so the only symptom is a missing series.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

namespace tidecast::core {

// Label name/value pairs. Order does not matter: the registry sorts them by name, so
// {a,b} and {b,a} are the same series.
using Labels = std::vector<std::pair<std::string, std::string>>;

enum class MetricType { kCounter, kGauge, kHistogram };

namespace detail {
struct MetricSeries;  // defined in metrics.cpp
struct MetricFamily;
}  // namespace detail

class Counter {
 public:
  void inc(uint64_t n = 1) { value_.fetch_add(n, std::memory_order_relaxed); }
  uint64_t value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> value_{0};
};

class Gauge {
 public:
  void set(double value) { value_.store(value, std::memory_order_relaxed); }
  void add(double delta) { value_.fetch_add(delta, std::memory_order_relaxed); }
  double value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0.0};
};

// Buckets with inclusive upper bounds (`le`), plus the implicit +Inf bucket. Counts are kept
// per bucket and made cumulative at render time, so observe() touches one bucket and the sum.
class Histogram {
 public:
  // Bounds are sorted and deduplicated; NaN and +Inf are dropped (+Inf is always present).
  explicit Histogram(std::vector<double> bounds);

  void observe(double value);

  const std::vector<double>& bounds() const { return bounds_; }
  // Observations in bucket i alone (not cumulative); i == bounds().size() is +Inf.
  uint64_t bucketCount(size_t i) const { return buckets_[i].load(std::memory_order_relaxed); }
  uint64_t count() const;
  double sum() const { return sum_.load(std::memory_order_relaxed); }

 private:
  std::vector<double> bounds_;
  std::unique_ptr<std::atomic<uint64_t>[]> buckets_;  // bounds_.size() + 1 entries
  std::atomic<double> sum_{0.0};
};

class MetricsRegistry {
 public:
  MetricsRegistry();
  ~MetricsRegistry();
  MetricsRegistry(const MetricsRegistry&) = delete;
  MetricsRegistry& operator=(const MetricsRegistry&) = delete;

  // The series `name{labels}`, created on first use. The same name and labels return the
  // same object; `help` (and a histogram's bounds) of the first registration win.
  Counter& counter(const std::string& name, const std::string& help, const Labels& labels = {});
  Gauge& gauge(const std::string& name, const std::string& help, const Labels& labels = {});
  Histogram& histogram(const std::string& name, const std::string& help, std::vector<double> bounds,
                       const Labels& labels = {});

  // Series whose value is sampled by `fn` at render time. Registering the same name and
  // labels again replaces the function (a restarted stream re-registers its own).
  void counterCallback(const std::string& name, const std::string& help, std::function<double()> fn,
                       const Labels& labels = {});
  void gaugeCallback(const std::string& name, const std::string& help, std::function<double()> fn,
                     const Labels& labels = {});

  // Runs once at the start of every render(), before any callback: lets several callbacks
  // share one expensive sample (one read of /proc for all process_* metrics).
  void addCollectHook(std::function<void()> hook);

  // Drops a series (a stream that ended). References to it dangle afterwards, and a
  // callback's captures are released. Returns false when there was no such series.
  bool remove(const std::string& name, const Labels& labels = {});

  // The exposition text: `# HELP` and `# TYPE` once per family, families in registration
  // order, series in registration order within a family. Families without series are left
  // out. Collect hooks and callbacks may change their own captured state, never the registry.
  std::string render() const;

 private:
  using Series = detail::MetricSeries;
  using Family = detail::MetricFamily;

  Series* findOrAdd(const std::string& name, const std::string& help, MetricType type,
                    const Labels& labels);
  template <class T, class Make>
  T& object(const std::string& name, const std::string& help, MetricType type, const Labels& labels,
            Make make);
  void callback(const std::string& name, const std::string& help, MetricType type,
                std::function<double()> fn, const Labels& labels);

  std::vector<std::unique_ptr<Family>> families_;  // registration order
  std::unordered_map<std::string, Family*> familiesByName_;
  std::vector<std::unique_ptr<Series>> orphans_;  // stand-ins handed out after misuse
  std::vector<std::function<void()>> collectHooks_;
};

}  // namespace tidecast::core
