// SPDX-License-Identifier: GPL-2.0
/* An empty program on softirq_entry: with kernel.bpf_stats_enabled its mean run time is what
 * the stats' own clock reads add to every program, which bench/overhead/run.sh subtracts from
 * the probes' accounted time. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

SEC("tp_btf/softirq_entry")
int BPF_PROG(stats_floor, unsigned int vec) { return 0; }

char LICENSE[] SEC("license") = "GPL";
