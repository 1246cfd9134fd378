// Renders Advice: a terminal report for a person, JSON for /advice and --json, and the
// tunescope_tuning_* metrics.
#pragma once

#include <prometheus/collectable.h>

#include <memory>
#include <mutex>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>

#include "advisor/advisor.h"

namespace tunescope::advisor {

// "measured", "documented" or "none": whether the payoff comes from this host's numbers.
std::string_view Basis(const Prediction& p);
// "+22% req/s", "-18% CPU/request", "-42 us/timeslice", "-667 ms/connection", "+28% (documented)",
// or "-".
std::string PayoffText(const Prediction& p);

std::string TextReport(const Advice& advice);
std::string JsonReport(const Advice& advice);

// The text of a JSON document as /advice and every --json write it: one line ending in '\n',
// keys in the order they were added (readers of --json see the report's order), UTF-8 kept as
// is, invalid UTF-8 (a comm name, a load's output) replaced by U+FFFD so the output always
// parses, and NaN or infinity written as null (a number that could not be computed).
std::string JsonText(const nlohmann::ordered_json& doc);
// A number that may be missing: null when it is.
nlohmann::ordered_json NumberOrNull(std::optional<double> v);
// A tuning's source URL, null when none is known.
nlohmann::ordered_json SourceUrl(const Tuning& t);

// tunescope_tuning_payoff_ratio (measured here) / _documented_payoff_ratio (the source's
// figure) / _latency_removed_seconds / _weakens_security / _applied / _rank {tuning}, from the
// latest Advice. Labels are catalogue ids only.
std::vector<prometheus::MetricFamily> AdviceMetrics(const Advice& advice);

// Holds the latest Advice for /advice and /metrics (thread-safe).
class AdviceBoard : public prometheus::Collectable {
 public:
  void Publish(Advice advice);
  // nullptr until the first window finished.
  std::shared_ptr<const Advice> Latest() const;
  // How often a ranking is due (serve's window period): with the window-end timestamp, an
  // alert can tell advice that is no longer refreshed.
  void SetInterval(double seconds);
  // The advice metrics, the window-end timestamp (the board's creation until the first
  // window ends, so that one that never ends shows as old) and the interval.
  std::vector<prometheus::MetricFamily> Collect() const override;

 private:
  mutable std::mutex mutex_;
  std::shared_ptr<const Advice> latest_;
  std::optional<double> interval_s_;
  const std::chrono::system_clock::time_point created_ = std::chrono::system_clock::now();
};

}  // namespace tunescope::advisor
