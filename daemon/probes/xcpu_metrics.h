// The metric names the xcpu probe exports, declared once: xcpu.cpp builds its families
// with them and the advisor reads them by name. No libbpf here, so the advisor includes it cheaply.
#pragma once

#include <string_view>

namespace tunescope::probes::xcpu_metrics {

inline constexpr char kReads[] = "tunescope_xcpu_reads_total";
inline constexpr char kXdpRxPackets[] = "tunescope_xdp_rx_packets_total";
inline constexpr char kBacklogSeconds[] = "tunescope_xcpu_backlog_seconds_total";
inline constexpr char kBacklogPackets[] = "tunescope_xcpu_backlog_packets_total";
inline constexpr char kSentAwaySeconds[] = "tunescope_xcpu_backlog_sent_away_seconds_total";

// Every name above, for the probe catalogue.
inline constexpr std::string_view kAll[] = {kReads, kXdpRxPackets, kBacklogSeconds, kBacklogPackets,
                                            kSentAwaySeconds};

}  // namespace tunescope::probes::xcpu_metrics
