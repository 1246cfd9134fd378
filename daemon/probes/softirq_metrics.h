// The metric names the softirq probe exports, declared once: softirq.cpp builds its families
// with them and the advisor reads them by name. No libbpf here, so the advisor includes it cheaply.
#pragma once

#include <string_view>

namespace tunescope::probes::softirq_metrics {

inline constexpr char kSeconds[] = "tunescope_softirq_seconds_total";
inline constexpr char kRuns[] = "tunescope_softirq_runs_total";
inline constexpr char kDuration[] = "tunescope_softirq_duration_seconds";
inline constexpr char kNetRxRaiseDelay[] = "tunescope_softirq_net_rx_raise_delay_seconds";

// Every name above, for the probe catalogue.
inline constexpr std::string_view kAll[] = {kSeconds, kRuns, kDuration, kNetRxRaiseDelay};

}  // namespace tunescope::probes::softirq_metrics
