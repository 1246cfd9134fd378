// SPDX-License-Identifier: GPL-2.0
/* Reference programs for bench/overhead/run.sh, on net:netif_rx (once per loopback packet; no
 * tunescope program uses it). With kernel.bpf_stats_enabled every program's run time includes
 * the stats' own clock reads: stats_floor, an empty program that is not the first on its
 * tracepoint, measures that share, which run.sh subtracts from every probe program run.
 * stats_floor_first takes the first-program penalty (the tracepoint's first call into BPF) so
 * that stats_floor does not, and stats_clock, one bpf_ktime_get_ns, prices the clock read the
 * probes' timing needs on this host. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

SEC("tp_btf/netif_rx")
int BPF_PROG(stats_floor_first, struct sk_buff* skb) {
  return 0;
}

SEC("tp_btf/netif_rx")
int BPF_PROG(stats_floor, struct sk_buff* skb) {
  return 0;
}

SEC("tp_btf/netif_rx")
int BPF_PROG(stats_clock, struct sk_buff* skb) {
  /* The comparison keeps the call; it is never true. */
  if (bpf_ktime_get_ns() == 1) bpf_printk("");
  return 0;
}

char LICENSE[] SEC("license") = "GPL";
