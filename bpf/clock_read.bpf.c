// SPDX-License-Identifier: GPL-2.0
/* Not a probe: programs that are never attached, only run at start-up through
 * BPF_PROG_TEST_RUN. Two run the same loop; one reads the clock on each turn, as every timing
 * probe does on each event (bpf_ktime_get_ns, which reads the current clocksource), the other
 * does not. The difference of their run times over TS_CLOCK_LOOPS turns is the cost of one
 * clock read inside a BPF program on this host. The third does nothing: its test runs with
 * the kernel's BPF statistics off and on differ by what statistics add to every program run
 * outside the run time they record. XDP because its test run repeats a program in the kernel
 * and reports the mean time per run. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

#include "clock_read.bpf.h"

SEC("xdp")
int ts_clock_reads(struct xdp_md* ctx) {
  __u64 acc = 0;
#pragma clang loop unroll(disable)
  for (int i = 0; i < TS_CLOCK_LOOPS; i++) {
    acc += bpf_ktime_get_ns();
    barrier_var(acc);
  }
  return XDP_PASS;
}

SEC("xdp")
int ts_clock_base(struct xdp_md* ctx) {
  __u64 acc = 0;
#pragma clang loop unroll(disable)
  for (int i = 0; i < TS_CLOCK_LOOPS; i++) {
    acc += i;
    barrier_var(acc);
  }
  return XDP_PASS;
}

SEC("xdp")
int ts_stats_empty(struct xdp_md* ctx) {
  return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
