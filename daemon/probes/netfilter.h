// netfilter: time packets spend in netfilter hooks (iptables/nftables rules, conntrack, ...),
// per family and hook, in the best of three modes this kernel allows (fentry, kprobe, or a
// bracket of BPF netfilter programs around the other hooks). fentry and kprobe see every
// network namespace; the bracket attaches in the daemon's and, for a target server in a
// container, in the server's too.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "probes/probe.h"

namespace tunescope::probes {

std::unique_ptr<Probe> MakeNetfilterProbe();

// The modes, best first: fentry, kprobe, bracket.
std::span<const ProbeMode> NetfilterModes();

// Labels of a stats slot of bpf/netfilter.bpf.h (family index * 8 + hook number).
struct NetfilterHookLabels {
  std::string family;  // ipv4, ipv6, arp, bridge, netdev, other
  std::string hook;    // iptables chain names: prerouting, input, forward, output, postrouting
};
NetfilterHookLabels NetfilterSlotLabels(uint32_t slot);

// Where the bracket attaches: every hook of IPv4 and IPv6, a first and a last program each.
struct NetfilterAttachPoint {
  int pf;        // NFPROTO_IPV4 / NFPROTO_IPV6
  int hook;      // NF_INET_PRE_ROUTING .. NF_INET_POST_ROUTING
  int priority;  // INT_MIN + 1 (first) or INT_MAX - 1 (last)
  bool first;
};
std::vector<NetfilterAttachPoint> BracketAttachPoints();
// The kernel allows one BPF netfilter program per hook and priority (EBUSY otherwise), e.g.
// when a second tunescope runs: each attach steps inwards from the edge priority this often.
inline constexpr int kBracketPrioritySteps = 8;

// The bracket's own share of each measured window: the mean over calibration samples (summed
// per CPU as {count, sum_ns} pairs); 0 without enough samples.
uint64_t BracketSelfNs(std::span<const uint64_t> counts, std::span<const uint64_t> sums_ns,
                       uint64_t min_samples);

}  // namespace tunescope::probes
