// SPDX-License-Identifier: GPL-2.0
/* Not a probe: programs run only at start-up. Two run the same loop through BPF_PROG_TEST_RUN;
 * one reads the clock on each turn, as every timing probe does on each event
 * (bpf_ktime_get_ns, which reads the current clocksource), the other does not. The difference
 * of their run times over TS_CLOCK_LOOPS turns is the cost of one clock read inside a BPF
 * program on this host. XDP because its test run repeats a program in the kernel and reports
 * the mean time per run. The third does nothing on a tracepoint that a cheap system call
 * fires (prctl PR_SET_NAME): attached for a moment, it shows what each run of a tracepoint
 * program costs beyond the run time BPF statistics record for it (the dispatch, and the
 * statistics' own clock reads). */
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

SEC("tp_btf/task_rename")
int ts_run_empty(void* ctx) {
  return 0;
}

char LICENSE[] SEC("license") = "GPL";
