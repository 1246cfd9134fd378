// The metric names the runqlat probe exports, declared once: runqlat.cpp builds its families
// with them and the advisor reads them by name. No libbpf here, so the advisor includes it cheaply.
#pragma once

#include <string_view>

namespace tunescope::probes::runqlat_metrics {

inline constexpr char kLatency[] = "tunescope_runqueue_latency_seconds";
inline constexpr char kTargetLatency[] = "tunescope_runqueue_target_latency_seconds";

// Every name above, for the probe catalogue.
inline constexpr std::string_view kAll[] = {kLatency, kTargetLatency};

}  // namespace tunescope::probes::runqlat_metrics
