// Rules: evidence -> Prediction, one per tuning or per family of tunings. Each reads measured
// numbers through Evidence only, and says plainly what is missing when it cannot judge.
#pragma once

#include "advisor/catalogue.h"

namespace tunescope::advisor {

// The payoff model (DESIGN.md): removing a share s of a saturated server's CPU time raises its
// throughput by s / (1 - s). s is clamped to [0, 0.95].
double ThroughputPayoff(double removed_share);

// Metric names the rules read; probes that have not landed yet are found by name when they do.
inline constexpr const char* kNetfilterSeconds = "tunescope_netfilter_seconds_total";
inline constexpr const char* kNetfilterPackets = "tunescope_netfilter_packets_total";
inline constexpr const char* kQdiscWaitSeconds = "tunescope_qdisc_lock_wait_seconds_total";
inline constexpr const char* kQdiscSeconds = "tunescope_qdisc_seconds_total";
inline constexpr const char* kQdiscPackets = "tunescope_qdisc_packets_total";
inline constexpr const char* kQdiscInfo = "tunescope_qdisc_info";
inline constexpr const char* kQdiscContentions = "tunescope_qdisc_lock_contentions_total";
inline constexpr const char* kQdiscUnpaired = "tunescope_qdisc_unpaired_packets_total";
inline constexpr const char* kQdiscDequeued = "tunescope_qdisc_dequeued_packets_total";
inline constexpr const char* kXcpuReads = "tunescope_xcpu_reads_total";
inline constexpr const char* kSoftirqSeconds = "tunescope_softirq_seconds_total";
inline constexpr const char* kNetRxRaiseDelay = "tunescope_softirq_net_rx_raise_delay_seconds";
inline constexpr const char* kHardirqSeconds = "tunescope_hardirq_seconds_total";
inline constexpr const char* kTargetRunqueue = "tunescope_runqueue_target_latency_seconds";

Prediction RuleAppCode(const Tuning&, const Evidence&);
Prediction RuleMitigations(const Tuning&, const Evidence&);
Prediction RuleAuditSeccomp(const Tuning&, const Evidence&);
Prediction RuleNetfilter(const Tuning&, const Evidence&);
Prediction RuleCpuIsolation(const Tuning&, const Evidence&);
Prediction RuleIrqAffinity(const Tuning&, const Evidence&);
Prediction RuleReuseportCbpf(const Tuning&, const Evidence&);
Prediction RuleXps(const Tuning&, const Evidence&);
Prediction RuleBusyPoll(const Tuning&, const Evidence&);
Prediction RuleAdaptiveRx(const Tuning&, const Evidence&);
Prediction RulePacketSockets(const Tuning&, const Evidence&);
Prediction RuleNoqueue(const Tuning&, const Evidence&);
Prediction RuleGroOff(const Tuning&, const Evidence&);
Prediction RuleCongestionReno(const Tuning&, const Evidence&);
Prediction RuleGovernor(const Tuning&, const Evidence&);
Prediction RuleNicRings(const Tuning&, const Evidence&);
Prediction RuleRpsRfs(const Tuning&, const Evidence&);
Prediction RuleFqBbr(const Tuning&, const Evidence&);
Prediction RuleNotsentLowat(const Tuning&, const Evidence&);
Prediction RuleNuma(const Tuning&, const Evidence&);
Prediction RuleSomaxconn(const Tuning&, const Evidence&);
Prediction RuleFileMax(const Tuning&, const Evidence&);
Prediction RuleTcpBuffers(const Tuning&, const Evidence&);
Prediction RuleTwReuse(const Tuning&, const Evidence&);
Prediction RulePreforkReuseport(const Tuning&, const Evidence&);

}  // namespace tunescope::advisor
