#include "core/metrics.h"

#include <fmt/format.h>

#include <algorithm>
#include <cassert>
#include <cmath>
#include <iterator>
#include <limits>
#include <string_view>
#include <variant>

#include "core/utf8.h"

namespace tidecast::core {
namespace detail {

struct MetricSeries {
  std::string labelBody;  // `a="x",b="y"`: sorted, escaped; also the identity within a family
  std::variant<std::monostate, std::unique_ptr<Counter>, std::unique_ptr<Gauge>,
               std::unique_ptr<Histogram>, std::function<double()>>
      value;
  // Sample lines up to the space before the value, built once so render() only appends
  // numbers. One line for counters, gauges and callbacks; for a histogram its bucket lines
  // (+Inf last), then _sum, then _count.
  std::vector<std::string> prefixes;
};

struct MetricFamily {
  std::string name;
  MetricType type = MetricType::kCounter;
  std::string header;                                 // the escaped `# HELP` and `# TYPE` lines
  std::vector<std::unique_ptr<MetricSeries>> series;  // registration order
  std::unordered_map<std::string, MetricSeries*> seriesByLabels;
};

}  // namespace detail

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

bool isAsciiLetter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool isAsciiDigit(char c) { return c >= '0' && c <= '9'; }

// [a-zA-Z_:][a-zA-Z0-9_:]*
bool isValidMetricName(std::string_view name) {
  for (size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    if (!isAsciiLetter(c) && c != '_' && c != ':' && (i == 0 || !isAsciiDigit(c))) return false;
  }
  return !name.empty();
}

// [a-zA-Z_][a-zA-Z0-9_]*, and names starting with `__` are reserved to Prometheus.
bool isValidLabelName(std::string_view name) {
  for (size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    if (!isAsciiLetter(c) && c != '_' && (i == 0 || !isAsciiDigit(c))) return false;
  }
  return !name.empty() && !name.starts_with("__");
}

Labels sortedLabels(const Labels& labels) {
  Labels sorted = labels;
  std::sort(sorted.begin(), sorted.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  return sorted;
}

bool areValidLabels(const Labels& sorted, MetricType type) {
  for (size_t i = 0; i < sorted.size(); ++i) {
    const std::string& name = sorted[i].first;
    if (!isValidLabelName(name) || (i > 0 && name == sorted[i - 1].first)) return false;
    if (type == MetricType::kHistogram && name == "le") return false;  // le is the bucket's
  }
  return true;
}

// Backslash and newline always; the double quote only inside label values (HELP text is not
// quoted). Invalid UTF-8 becomes U+FFFD: Prometheus rejects the whole scrape otherwise, and
// label values such as stream keys come from the network.
void appendEscaped(std::string& out, std::string_view text, bool quoted) {
  size_t i = 0;
  while (i < text.size()) {
    const char c = text[i];
    if (static_cast<unsigned char>(c) >= 0x80) {
      const size_t length = utf8SequenceLength(text, i);
      out += length == 0 ? kUtf8Replacement : text.substr(i, length);
      i += length == 0 ? 1 : length;
      continue;
    }
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '"' && quoted) {
      out += "\\\"";
    } else {
      out += c;
    }
    ++i;
  }
}

std::string labelBody(const Labels& sorted) {
  std::string body;
  for (const auto& [name, value] : sorted) {
    if (!body.empty()) body += ',';
    body += name;
    body += "=\"";
    appendEscaped(body, value, /*quoted=*/true);
    body += '"';
  }
  return body;
}

// Go's strconv.ParseFloat (the Prometheus parser) accepts fmt's shortest round-trip form
// ("0.25", "1e-05", "3"), but spells the special values its own way.
void appendNumber(std::string& out, double value) {
  if (std::isnan(value)) {
    out += "NaN";
  } else if (std::isinf(value)) {
    out += value > 0 ? "+Inf" : "-Inf";
  } else {
    fmt::format_to(std::back_inserter(out), "{}", value);
  }
}

void appendNumber(std::string& out, uint64_t value) {
  fmt::format_to(std::back_inserter(out), "{}", value);
}

std::string_view typeName(MetricType type) {
  switch (type) {
    case MetricType::kCounter:
      return "counter";
    case MetricType::kGauge:
      return "gauge";
    case MetricType::kHistogram:
      return "histogram";
  }
  return "untyped";
}

std::string familyHeader(const std::string& name, const std::string& help, MetricType type) {
  std::string header = "# HELP " + name + ' ';
  appendEscaped(header, help, /*quoted=*/false);
  header += "\n# TYPE " + name + ' ';
  header += typeName(type);
  header += '\n';
  return header;
}

// `name<suffix>{body,extra} `, braces only when there is a label.
std::string linePrefix(std::string_view name, std::string_view suffix, std::string_view body,
                       std::string_view extra = {}) {
  std::string line;
  line.append(name).append(suffix);
  if (!body.empty() || !extra.empty()) {
    line.append("{").append(body);
    if (!body.empty() && !extra.empty()) line += ',';
    line.append(extra).append("}");
  }
  line += ' ';
  return line;
}

std::vector<std::string> histogramPrefixes(const std::string& name, const std::string& body,
                                           const std::vector<double>& bounds) {
  std::vector<std::string> prefixes;
  prefixes.reserve(bounds.size() + 3);
  for (const double bound : bounds) {
    std::string le = "le=\"";
    appendNumber(le, bound);
    le += '"';
    prefixes.push_back(linePrefix(name, "_bucket", body, le));
  }
  prefixes.push_back(linePrefix(name, "_bucket", body, "le=\"+Inf\""));
  prefixes.push_back(linePrefix(name, "_sum", body));
  prefixes.push_back(linePrefix(name, "_count", body));
  return prefixes;
}

std::vector<std::string> seriesPrefixes(const std::string& name, const detail::MetricSeries& s) {
  if (const auto* histogram = std::get_if<std::unique_ptr<Histogram>>(&s.value)) {
    return histogramPrefixes(name, s.labelBody, (*histogram)->bounds());
  }
  return {linePrefix(name, "", s.labelBody)};
}

template <class Number>
void appendSample(std::string& out, const std::string& prefix, Number value) {
  out += prefix;
  appendNumber(out, value);
  out += '\n';
}

void appendHistogram(std::string& out, const detail::MetricSeries& s, const Histogram& h) {
  // Cumulated from one pass over the buckets, so +Inf and _count always agree even while
  // other threads observe.
  const size_t buckets = h.bounds().size() + 1;
  uint64_t cumulative = 0;
  for (size_t i = 0; i < buckets; ++i) {
    cumulative += h.bucketCount(i);
    appendSample(out, s.prefixes[i], cumulative);
  }
  appendSample(out, s.prefixes[buckets], h.sum());
  appendSample(out, s.prefixes[buckets + 1], cumulative);
}

void appendSeries(std::string& out, const detail::MetricSeries& s) {
  if (const auto* counter = std::get_if<std::unique_ptr<Counter>>(&s.value)) {
    appendSample(out, s.prefixes[0], (*counter)->value());
  } else if (const auto* gauge = std::get_if<std::unique_ptr<Gauge>>(&s.value)) {
    appendSample(out, s.prefixes[0], (*gauge)->value());
  } else if (const auto* fn = std::get_if<std::function<double()>>(&s.value)) {
    appendSample(out, s.prefixes[0], (*fn)());
  } else if (const auto* histogram = std::get_if<std::unique_ptr<Histogram>>(&s.value)) {
    appendHistogram(out, s, **histogram);
  }
}

std::vector<double> cleanBounds(std::vector<double> bounds) {
  std::erase_if(bounds, [](double b) { return std::isnan(b) || b == kInf; });
  std::sort(bounds.begin(), bounds.end());
  bounds.erase(std::unique(bounds.begin(), bounds.end()), bounds.end());
  return bounds;
}

}  // namespace

// ---- Histogram ------------------------------------------------------------------------

Histogram::Histogram(std::vector<double> bounds)
    : bounds_(cleanBounds(std::move(bounds))),
      buckets_(std::make_unique<std::atomic<uint64_t>[]>(bounds_.size() + 1)) {}

void Histogram::observe(double value) {
  // NaN compares false with every bound; it goes to +Inf, as in the Go client.
  const size_t index =
      std::isnan(value)
          ? bounds_.size()
          : static_cast<size_t>(std::lower_bound(bounds_.begin(), bounds_.end(), value) -
                                bounds_.begin());
  buckets_[index].fetch_add(1, std::memory_order_relaxed);
  sum_.fetch_add(value, std::memory_order_relaxed);
}

uint64_t Histogram::count() const {
  uint64_t total = 0;
  for (size_t i = 0; i <= bounds_.size(); ++i) total += bucketCount(i);
  return total;
}

// ---- MetricsRegistry ------------------------------------------------------------------

MetricsRegistry::MetricsRegistry() = default;
MetricsRegistry::~MetricsRegistry() = default;

// nullptr after a programming error (asserted in debug builds).
MetricsRegistry::Series* MetricsRegistry::findOrAdd(const std::string& name,
                                                    const std::string& help, MetricType type,
                                                    const Labels& labels) {
  Family* family = nullptr;
  if (const auto it = familiesByName_.find(name); it != familiesByName_.end()) {
    family = it->second;
  } else if (isValidMetricName(name)) {
    family = families_.emplace_back(std::make_unique<Family>()).get();
    family->name = name;
    family->type = type;
    family->header = familyHeader(name, help, type);
    familiesByName_.emplace(name, family);
  } else {
    assert(false && "invalid metric name");
    return nullptr;
  }
  if (family->type != type) {
    assert(false && "metric name registered with two types");
    return nullptr;
  }
  const Labels sorted = sortedLabels(labels);
  if (!areValidLabels(sorted, type)) {
    assert(false && "invalid or duplicate label name");
    return nullptr;
  }
  auto [it, inserted] = family->seriesByLabels.try_emplace(labelBody(sorted), nullptr);
  if (inserted) {
    family->series.push_back(std::make_unique<Series>());
    family->series.back()->labelBody = it->first;
    it->second = family->series.back().get();
  }
  return it->second;
}

template <class T, class Make>
T& MetricsRegistry::object(const std::string& name, const std::string& help, MetricType type,
                           const Labels& labels, Make make) {
  Series* series = findOrAdd(name, help, type, labels);
  if (series != nullptr && std::holds_alternative<std::monostate>(series->value)) {
    series->value = make();
    series->prefixes = seriesPrefixes(name, *series);
  }
  if (series != nullptr) {
    if (auto* existing = std::get_if<std::unique_ptr<T>>(&series->value)) return **existing;
    assert(false && "metric series registered both as an object and as a callback");
  }
  // One unrendered stand-in per type, so a misuse on a hot path cannot grow memory.
  for (auto& orphan : orphans_) {
    if (auto* existing = std::get_if<std::unique_ptr<T>>(&orphan->value)) return **existing;
  }
  orphans_.push_back(std::make_unique<Series>());
  return *orphans_.back()->value.template emplace<std::unique_ptr<T>>(make());
}

Counter& MetricsRegistry::counter(const std::string& name, const std::string& help,
                                  const Labels& labels) {
  return object<Counter>(name, help, MetricType::kCounter, labels,
                         [] { return std::make_unique<Counter>(); });
}

Gauge& MetricsRegistry::gauge(const std::string& name, const std::string& help,
                              const Labels& labels) {
  return object<Gauge>(name, help, MetricType::kGauge, labels,
                       [] { return std::make_unique<Gauge>(); });
}

Histogram& MetricsRegistry::histogram(const std::string& name, const std::string& help,
                                      std::vector<double> bounds, const Labels& labels) {
  return object<Histogram>(name, help, MetricType::kHistogram, labels,
                           [&] { return std::make_unique<Histogram>(std::move(bounds)); });
}

void MetricsRegistry::callback(const std::string& name, const std::string& help, MetricType type,
                               std::function<double()> fn, const Labels& labels) {
  Series* series = findOrAdd(name, help, type, labels);
  if (series == nullptr) return;
  if (std::holds_alternative<std::monostate>(series->value)) {
    series->value = std::move(fn);
    series->prefixes = seriesPrefixes(name, *series);
  } else if (auto* existing = std::get_if<std::function<double()>>(&series->value)) {
    *existing = std::move(fn);
  } else {
    assert(false && "metric series registered both as an object and as a callback");
  }
}

void MetricsRegistry::counterCallback(const std::string& name, const std::string& help,
                                      std::function<double()> fn, const Labels& labels) {
  callback(name, help, MetricType::kCounter, std::move(fn), labels);
}

void MetricsRegistry::gaugeCallback(const std::string& name, const std::string& help,
                                    std::function<double()> fn, const Labels& labels) {
  callback(name, help, MetricType::kGauge, std::move(fn), labels);
}

void MetricsRegistry::addCollectHook(std::function<void()> hook) {
  collectHooks_.push_back(std::move(hook));
}

bool MetricsRegistry::remove(const std::string& name, const Labels& labels) {
  const auto familyIt = familiesByName_.find(name);
  if (familyIt == familiesByName_.end()) return false;
  Family& family = *familyIt->second;
  const auto seriesIt = family.seriesByLabels.find(labelBody(sortedLabels(labels)));
  if (seriesIt == family.seriesByLabels.end()) return false;
  const Series* doomed = seriesIt->second;
  family.seriesByLabels.erase(seriesIt);
  std::erase_if(family.series, [doomed](const auto& s) { return s.get() == doomed; });
  return true;
}

std::string MetricsRegistry::render() const {
  for (const auto& hook : collectHooks_) hook();
  std::string out;
  out.reserve(families_.size() * 128);
  for (const auto& family : families_) {
    if (family->series.empty()) continue;
    out += family->header;
    for (const auto& series : family->series) appendSeries(out, *series);
  }
  return out;
}

}  // namespace tidecast::core
