// Rules: evidence -> Prediction, one per tuning or per family of tunings. Each reads measured
// numbers through Evidence only, and says plainly what is missing when it cannot judge.
#pragma once

#include "advisor/catalogue.h"
#include "probes/bpf_stats_metrics.h"
#include "probes/hardirq_metrics.h"
#include "probes/netfilter_metrics.h"
#include "probes/probe_set_metrics.h"
#include "probes/qdisc_metrics.h"
#include "probes/runqlat_metrics.h"
#include "probes/softirq_metrics.h"
#include "probes/xcpu_metrics.h"

namespace tunescope::advisor {

// The payoff model (DESIGN.md): removing a share s of a saturated server's CPU time raises its
// throughput by s / (1 - s). s is clamped to [0, 0.95].
double ThroughputPayoff(double removed_share);

// Metric names the rules read: aliases of the probes' own constants (probes/<probe>_metrics.h),
// so that renaming a probe's metric renames it here; a name no probe declares fails
// tests/advisor/metric_names_test.cpp instead of silently leaving a rule without evidence.
inline constexpr const char* kNetfilterSeconds = probes::netfilter_metrics::kSeconds;
inline constexpr const char* kNetfilterPackets = probes::netfilter_metrics::kPackets;
inline constexpr const char* kNetfilterTargetNetns =
    probes::netfilter_metrics::kTargetNetnsMeasured;
inline constexpr const char* kQdiscWaitSeconds = probes::qdisc_metrics::kLockWaitSeconds;
inline constexpr const char* kQdiscSeconds = probes::qdisc_metrics::kSeconds;
inline constexpr const char* kQdiscPackets = probes::qdisc_metrics::kPackets;
inline constexpr const char* kQdiscInfo = probes::qdisc_metrics::kInfo;
inline constexpr const char* kQdiscContentions = probes::qdisc_metrics::kLockContentions;
inline constexpr const char* kQdiscUnpaired = probes::qdisc_metrics::kUnpairedPackets;
inline constexpr const char* kQdiscDequeued = probes::qdisc_metrics::kDequeuedPackets;
inline constexpr const char* kQdiscTimed = probes::qdisc_metrics::kTimedPackets;
inline constexpr const char* kXcpuReads = probes::xcpu_metrics::kReads;
inline constexpr const char* kXcpuBacklogSeconds = probes::xcpu_metrics::kBacklogSeconds;
inline constexpr const char* kXcpuBacklogPackets = probes::xcpu_metrics::kBacklogPackets;
inline constexpr const char* kXcpuSentAwaySeconds = probes::xcpu_metrics::kSentAwaySeconds;
inline constexpr const char* kSoftirqSeconds = probes::softirq_metrics::kSeconds;
inline constexpr const char* kNetRxRaiseDelay = probes::softirq_metrics::kNetRxRaiseDelay;
inline constexpr const char* kHardirqSeconds = probes::hardirq_metrics::kSeconds;
inline constexpr const char* kTargetRunqueue = probes::runqlat_metrics::kTargetLatency;
// tunescope's own programs' run time (the probe set's BPF stats, not a probe's metric).
inline constexpr const char* kProgramSeconds = probes::bpf_stats_metrics::kProgramRunSeconds;
inline constexpr const char* kProgramRuns = probes::bpf_stats_metrics::kProgramRuns;
// The mode each running probe chose (the probe set's, not a probe's metric).
inline constexpr const char* kProbeInfo = probes::probe_set_metrics::kProbeInfo;

// Every probe metric above, for that test.
inline constexpr const char* kRuleMetrics[] = {
    kNetfilterSeconds,   kNetfilterPackets,    kQdiscWaitSeconds, kQdiscSeconds,
    kQdiscPackets,       kQdiscInfo,           kQdiscContentions, kQdiscUnpaired,
    kQdiscDequeued,      kQdiscTimed,          kXcpuReads,        kSoftirqSeconds,
    kNetRxRaiseDelay,    kHardirqSeconds,      kTargetRunqueue,   kXcpuBacklogSeconds,
    kXcpuBacklogPackets, kXcpuSentAwaySeconds,
};

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
