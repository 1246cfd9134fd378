// The metric names the hardirq probe exports, declared once: hardirq.cpp builds its families
// with them and the advisor reads them by name. No libbpf here, so the advisor includes it cheaply.
#pragma once

#include <string_view>

namespace tunescope::probes::hardirq_metrics {

inline constexpr char kSeconds[] = "tunescope_hardirq_seconds_total";
inline constexpr char kHandled[] = "tunescope_hardirq_handled_total";

// Every name above, for the probe catalogue.
inline constexpr std::string_view kAll[] = {kSeconds, kHandled};

}  // namespace tunescope::probes::hardirq_metrics
