// The metric names the reqlat probe exports, declared once: reqlat.cpp builds its families
// with them and the advisor reads them by name. No libbpf here, so the advisor includes it cheaply.
#pragma once

#include <string_view>

namespace tunescope::probes::reqlat_metrics {

inline constexpr char kLatency[] = "tunescope_request_latency_seconds";
inline constexpr char kArrivalToParsed[] = "tunescope_request_arrival_to_parsed_seconds";

// Every name above, for the probe catalogue.
inline constexpr std::string_view kAll[] = {kLatency, kArrivalToParsed};

}  // namespace tunescope::probes::reqlat_metrics
