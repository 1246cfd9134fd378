// The metric names the qdisc probe exports, declared once: qdisc.cpp builds its families
// with them and the advisor reads them by name. No libbpf here, so the advisor includes it cheaply.
#pragma once

#include <string_view>

namespace tunescope::probes::qdisc_metrics {

inline constexpr char kLockContentions[] = "tunescope_qdisc_lock_contentions_total";
inline constexpr char kLockWaitSeconds[] = "tunescope_qdisc_lock_wait_seconds_total";
inline constexpr char kPackets[] = "tunescope_qdisc_packets_total";
inline constexpr char kSeconds[] = "tunescope_qdisc_seconds_total";
inline constexpr char kTimedPackets[] = "tunescope_qdisc_timed_packets_total";
inline constexpr char kUnpairedPackets[] = "tunescope_qdisc_unpaired_packets_total";
inline constexpr char kDequeuedPackets[] = "tunescope_qdisc_dequeued_packets_total";
inline constexpr char kInfo[] = "tunescope_qdisc_info";

// Every name above, for the probe catalogue.
inline constexpr std::string_view kAll[] = {
    kLockContentions, kLockWaitSeconds, kPackets,         kSeconds,
    kTimedPackets,    kUnpairedPackets, kDequeuedPackets, kInfo};

}  // namespace tunescope::probes::qdisc_metrics
