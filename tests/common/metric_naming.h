// Prometheus naming conventions that tunescope promises for every family it exports.
#pragma once

#include <prometheus/check_names.h>
#include <prometheus/metric_family.h>

#include <string>
#include <vector>

namespace tunescope::testing {

inline bool EndsWith(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

inline std::vector<std::string> NamingProblems(
    const std::vector<prometheus::MetricFamily>& families) {
  std::vector<std::string> problems;
  for (const auto& f : families) {
    const std::string& n = f.name;
    if (!prometheus::CheckMetricName(n)) problems.push_back(n + ": invalid metric name");
    if (n.rfind("tunescope_", 0) != 0) problems.push_back(n + ": missing tunescope_ prefix");
    if (f.help.empty()) problems.push_back(n + ": no help text");
    const bool total = EndsWith(n, "_total");
    if (f.type == prometheus::MetricType::Counter && !total) {
      problems.push_back(n + ": counter without _total");
    }
    if (f.type != prometheus::MetricType::Counter && total) {
      problems.push_back(n + ": _total on a non-counter");
    }
    if (f.type == prometheus::MetricType::Histogram && !EndsWith(n, "_seconds") &&
        !EndsWith(n, "_bytes")) {
      problems.push_back(n + ": histogram without a base unit (_seconds or _bytes)");
    }
    for (const char* bad_unit :
         {"_ms", "_us", "_ns", "_milliseconds", "_microseconds", "_nanoseconds", "_kb", "_mb"}) {
      if (n.find(std::string(bad_unit) + "_") != std::string::npos || EndsWith(n, bad_unit)) {
        problems.push_back(n + ": not in base units");
      }
    }
    for (const auto& m : f.metric) {
      for (const auto& l : m.label) {
        if (!prometheus::CheckLabelName(l.name)) {
          problems.push_back(n + ": invalid label " + l.name);
        }
        // Unbounded label sets are forbidden: no per-process or per-connection labels.
        if (l.name == "pid" || l.name == "tid" || l.name == "comm" || l.name == "fd") {
          problems.push_back(n + ": unbounded label " + l.name);
        }
      }
    }
  }
  return problems;
}

}  // namespace tunescope::testing
