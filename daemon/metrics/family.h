// Builds prometheus-cpp MetricFamily values at scrape time. Probes export what their BPF maps
// hold right now (ebpf_exporter's "metric = map" model), so they implement
// prometheus::Collectable and build families on each scrape instead of mirroring counters.
#pragma once

#include <prometheus/client_metric.h>
#include <prometheus/metric_family.h>

#include <string>
#include <vector>

namespace tunescope::metrics {

using Labels = std::vector<prometheus::ClientMetric::Label>;

class Family {
 public:
  Family(std::string name, std::string help, prometheus::MetricType type);

  Family& Counter(Labels labels, double value);
  Family& Gauge(Labels labels, double value);
  Family& Histogram(Labels labels, prometheus::ClientMetric::Histogram histogram);

  bool empty() const { return family_.metric.empty(); }
  prometheus::MetricFamily Take() { return std::move(family_); }

 private:
  prometheus::MetricFamily family_;
};

inline Family CounterFamily(std::string name, std::string help) {
  return Family(std::move(name), std::move(help), prometheus::MetricType::Counter);
}
inline Family GaugeFamily(std::string name, std::string help) {
  return Family(std::move(name), std::move(help), prometheus::MetricType::Gauge);
}
inline Family HistogramFamily(std::string name, std::string help) {
  return Family(std::move(name), std::move(help), prometheus::MetricType::Histogram);
}

// Appends a family unless it has no samples (an empty family is noise in the exposition).
void Append(std::vector<prometheus::MetricFamily>& out, Family family);

}  // namespace tunescope::metrics
