// The metric names the netfilter probe exports, declared once: netfilter.cpp builds its families
// with them and the advisor reads them by name. No libbpf here, so the advisor includes it cheaply.
#pragma once

#include <string_view>

namespace tunescope::probes::netfilter_metrics {

inline constexpr char kSeconds[] = "tunescope_netfilter_seconds_total";
inline constexpr char kPackets[] = "tunescope_netfilter_packets_total";
inline constexpr char kPacketCost[] = "tunescope_netfilter_packet_cost_seconds";
inline constexpr char kBracketSeconds[] = "tunescope_netfilter_bracket_seconds_total";
inline constexpr char kBracketSelfCost[] = "tunescope_netfilter_bracket_self_cost_seconds";
inline constexpr char kUnpaired[] = "tunescope_netfilter_unpaired_total";
inline constexpr char kNested[] = "tunescope_netfilter_nested_total";
inline constexpr char kNestedSeconds[] = "tunescope_netfilter_nested_seconds_total";
// Bracket mode with a target server in another network namespace: is the bracket there?
inline constexpr char kTargetNetnsMeasured[] = "tunescope_netfilter_target_netns_measured";

// Every name above, for the probe catalogue.
inline constexpr std::string_view kAll[] = {
    kSeconds,  kPackets, kPacketCost,    kBracketSeconds,     kBracketSelfCost,
    kUnpaired, kNested,  kNestedSeconds, kTargetNetnsMeasured};

}  // namespace tunescope::probes::netfilter_metrics
