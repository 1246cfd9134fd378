#include "metrics/family.h"

#include <utility>

namespace tunescope::metrics {

Family::Family(std::string name, std::string help, prometheus::MetricType type) {
  family_.name = std::move(name);
  family_.help = std::move(help);
  family_.type = type;
}

Family& Family::Counter(Labels labels, double value) {
  prometheus::ClientMetric m;
  m.label = std::move(labels);
  m.counter.value = value;
  family_.metric.push_back(std::move(m));
  return *this;
}

Family& Family::Gauge(Labels labels, double value) {
  prometheus::ClientMetric m;
  m.label = std::move(labels);
  m.gauge.value = value;
  family_.metric.push_back(std::move(m));
  return *this;
}

Family& Family::Histogram(Labels labels, prometheus::ClientMetric::Histogram histogram) {
  prometheus::ClientMetric m;
  m.label = std::move(labels);
  m.histogram = std::move(histogram);
  family_.metric.push_back(std::move(m));
  return *this;
}

void Append(std::vector<prometheus::MetricFamily>& out, Family family) {
  if (!family.empty()) out.push_back(family.Take());
}

}  // namespace tunescope::metrics
