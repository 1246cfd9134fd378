// SPDX-License-Identifier: GPL-2.0
/* Run-queue latency: time from a task becoming runnable (wakeup, or preemption while still
 * runnable) to it running, as a histogram per CPU and a second histogram for the threads of
 * the target processes (the API server being tuned).
 *
 * Two ways to know when a task was queued. The sched_info flavour reads the stamp the
 * scheduler itself keeps (task->sched_info.last_queued, in the run queue's clock, cleared only
 * after the sched_switch tracepoint): one program on sched_switch, no map writes besides the
 * histogram. The tp_btf and raw_tp flavours stamp wakeups and preemptions into a hash map
 * themselves, as libbpf-tools' runqlat does: three programs and a hash update and delete per
 * switch, for kernels without sched_info. */
#include "common/ts_bpf.h"
#include "runqlat.bpf.h"

#define TASK_RUNNING 0

/* Set before load: skip the target lookups entirely when no target was given. */
const volatile bool has_target_pids = false;
const volatile bool has_target_comms = false;

/* max_entries is set from a flag before load. */
struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, 16384);
  __type(key, __u32);
  __type(value, __u64);
} enqueued_ns SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, 64);
  __type(key, __u32);
  __type(value, __u8);
} target_tgids SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, 16);
  __type(key, struct comm_key);
  __type(value, __u8);
} target_comms SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
  __uint(max_entries, 1);
  __type(key, __u32);
  __type(value, struct ts_hist);
} cpu_hist SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
  __uint(max_entries, 1);
  __type(key, __u32);
  __type(value, struct ts_hist);
} target_hist SEC(".maps");

/* Older kernels call the field `state`; CO-RE picks whichever this kernel has. */
struct task_struct___pre514 {
  long state;
} __attribute__((preserve_access_index));

static __always_inline long task_state(struct task_struct* t) {
  if (bpf_core_field_exists(t->__state)) return BPF_CORE_READ(t, __state);
  return BPF_CORE_READ((struct task_struct___pre514*)t, state);
}

static __always_inline void mark_enqueued(struct task_struct* t) {
  __u32 pid = BPF_CORE_READ(t, pid);
  if (!pid) return; /* idle */
  __u64 now = bpf_ktime_get_ns();
  if (bpf_map_update_elem(&enqueued_ns, &pid, &now, BPF_ANY) == -E2BIG)
    ts_note_map_full(TS_RUNQLAT_MAP_FULL_START);
}

static __always_inline bool is_target(struct task_struct* t) {
  if (has_target_pids) {
    __u32 tgid = BPF_CORE_READ(t, tgid);
    if (bpf_map_lookup_elem(&target_tgids, &tgid)) return true;
  }
  if (has_target_comms) {
    struct comm_key key = {};
    BPF_CORE_READ_STR_INTO(&key.comm, t, comm);
    if (bpf_map_lookup_elem(&target_comms, &key)) return true;
  }
  return false;
}

static __always_inline void record(struct task_struct* next, __u64 delta) {
  __u32 zero = 0;
  struct ts_hist* h = bpf_map_lookup_elem(&cpu_hist, &zero);
  if (h) ts_hist_add(h, delta);
  if ((has_target_pids || has_target_comms) && is_target(next)) {
    h = bpf_map_lookup_elem(&target_hist, &zero);
    if (h) ts_hist_add(h, delta);
  }
}

static __always_inline int on_switch(struct task_struct* prev, struct task_struct* next) {
  if (task_state(prev) == TASK_RUNNING) mark_enqueued(prev);

  __u32 pid = BPF_CORE_READ(next, pid);
  __u64* start = bpf_map_lookup_elem(&enqueued_ns, &pid);
  if (!start) return 0;
  __u64 delta = bpf_ktime_get_ns() - *start;
  bpf_map_delete_elem(&enqueued_ns, &pid);
  record(next, delta);
  return 0;
}

SEC("tp_btf/sched_switch")
int BPF_PROG(ts_rq_switch_si, bool preempt, struct task_struct* prev, struct task_struct* next) {
  /* Zero when next was neither woken nor preempted (or is the idle task). */
  __u64 queued = next->sched_info.last_queued;
  if (!queued) return 0;
  /* This CPU's run queue, reached through next's fair-class queue (CONFIG_FAIR_GROUP_SCHED)
   * rather than the per-CPU symbol `runqueues`, which kernels without KALLSYMS_ALL hide.
   * Its clock is the one the stamp was taken with. After a wakeup that preempts, __schedule
   * skips the clock update, so such waits read 0, exactly as the kernel accounts them. */
  __u64 now = next->se.cfs_rq->rq->clock;
  if (now >= queued) record(next, now - queued);
  return 0;
}

SEC("tp_btf/sched_wakeup")
int BPF_PROG(ts_rq_wakeup_btf, struct task_struct* p) {
  mark_enqueued(p);
  return 0;
}
SEC("tp_btf/sched_wakeup_new")
int BPF_PROG(ts_rq_wnew_btf, struct task_struct* p) {
  mark_enqueued(p);
  return 0;
}
SEC("tp_btf/sched_switch")
int BPF_PROG(ts_rq_switch_btf, bool preempt, struct task_struct* prev, struct task_struct* next) {
  return on_switch(prev, next);
}

SEC("raw_tp/sched_wakeup")
int BPF_PROG(ts_rq_wakeup_raw, struct task_struct* p) {
  mark_enqueued(p);
  return 0;
}
SEC("raw_tp/sched_wakeup_new")
int BPF_PROG(ts_rq_wnew_raw, struct task_struct* p) {
  mark_enqueued(p);
  return 0;
}
SEC("raw_tp/sched_switch")
int BPF_PROG(ts_rq_switch_raw, bool preempt, struct task_struct* prev, struct task_struct* next) {
  return on_switch(prev, next);
}

char LICENSE[] SEC("license") = "GPL";
