// Finds samples in collected metric families, for tests that check what a probe exports.
#pragma once

#include <prometheus/metric_family.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <string>
#include <vector>

namespace tunescope::testing {

using LabelFilter = std::map<std::string, std::string>;

inline bool Matches(const prometheus::ClientMetric& m, const LabelFilter& filter) {
  for (const auto& [name, value] : filter) {
    bool found = std::any_of(m.label.begin(), m.label.end(),
                             [&](const auto& l) { return l.name == name && l.value == value; });
    if (!found) return false;
  }
  return true;
}

inline const prometheus::MetricFamily* FindFamily(
    const std::vector<prometheus::MetricFamily>& families, const std::string& name) {
  for (const auto& f : families) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

// Sum of counter or gauge values of the samples matching `filter`.
inline double SumValues(const std::vector<prometheus::MetricFamily>& families,
                        const std::string& name, const LabelFilter& filter = {}) {
  const prometheus::MetricFamily* f = FindFamily(families, name);
  if (f == nullptr) return 0;
  double sum = 0;
  for (const auto& m : f->metric) {
    if (!Matches(m, filter)) continue;
    sum += f->type == prometheus::MetricType::Counter ? m.counter.value : m.gauge.value;
  }
  return sum;
}

// Cumulative bucket counts (by le) of all histograms matching `filter`, summed.
inline std::map<double, double> Buckets(const std::vector<prometheus::MetricFamily>& families,
                                        const std::string& name, const LabelFilter& filter = {}) {
  std::map<double, double> out;
  const prometheus::MetricFamily* f = FindFamily(families, name);
  if (f == nullptr) return out;
  for (const auto& m : f->metric) {
    if (!Matches(m, filter)) continue;
    for (const auto& b : m.histogram.bucket)
      out[b.upper_bound] += static_cast<double>(b.cumulative_count);
  }
  return out;
}

// Subtracts an earlier snapshot of cumulative buckets (what happened in between).
inline std::map<double, double> Delta(const std::map<double, double>& after,
                                      const std::map<double, double>& before) {
  std::map<double, double> out = after;
  for (auto& [le, count] : out) {
    auto it = before.find(le);
    if (it != before.end()) count -= it->second;
  }
  return out;
}

// The smallest `le` whose cumulative count reaches quantile q of the total (+Inf bucket).
inline double QuantileUpperBound(const std::map<double, double>& cumulative, double q) {
  if (cumulative.empty()) return NAN;
  double total = cumulative.rbegin()->second;
  if (total <= 0) return NAN;
  for (const auto& [le, count] : cumulative) {
    if (count >= q * total) return le;
  }
  return INFINITY;
}

}  // namespace tunescope::testing
