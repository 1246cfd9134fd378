// SPDX-License-Identifier: GPL-2.0
/* Time packets spend in netfilter hooks, per family and hook, three ways (userspace loads one):
 *
 *  fentry:  fentry/fexit on nf_hook_slow, the function that runs every hook function
 *           registered on one family/hook for one packet.
 *  kprobe:  kprobe/kretprobe on the same function (slower per event, needs CONFIG_KPROBES).
 *  bracket: BPF netfilter programs at the first (INT_MIN+1) and last (INT_MAX-1) priority of
 *           every hook; the time between them is the cost of the hooks in between. The window
 *           between the two stamps also holds a small part of the bracket itself; userspace
 *           calibrates it in an empty network namespace and writes it to bracket_self_ns,
 *           which is subtracted from every sample and accounted separately in self_ns.
 *
 * fentry/kprobe keep a per-CPU stack of entry stamps: nf_hook_slow calls nest on one CPU
 * (LOCAL_OUT in process context interrupted by a softirq running PRE_ROUTING), and nesting is
 * LIFO. A frame remembers the task, so an exit on another task (the caller was migrated while
 * preempted inside the hooks) discards the stack instead of pairing the wrong stamps. The
 * bracket keys its stamps by skb (an LRU hash): a packet may be interrupted between the two
 * programs by a softirq that runs the same hook for another packet. */
#include "common/ts_bpf.h"

#include "netfilter.bpf.h"

#define TS_NF_ACCEPT 1
#define TS_NFPROTO_IPV4 2
#define TS_NFPROTO_ARP 3
#define TS_NFPROTO_NETDEV 5
#define TS_NFPROTO_BRIDGE 7
#define TS_NFPROTO_IPV6 10

/* Set by userspace after load (calibration); .bss, so it can change while attached. */
__u64 bracket_self_ns = 0;
__u32 calibrating = 0;

struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
  __uint(max_entries, TS_NF_SLOTS);
  __type(key, __u32);
  __type(value, struct nf_stat);
} stats SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
  __uint(max_entries, TS_NF_SLOTS);
  __type(key, __u32);
  __type(value, struct ts_hist);
} costs SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
  __uint(max_entries, 1);
  __type(key, __u32);
  __type(value, struct nf_calib);
} calib SEC(".maps");

static __always_inline __u32 slot_of(__u8 pf, __u32 hook) {
  __u32 fam;
  switch (pf) {
    case TS_NFPROTO_IPV4:
      fam = 0;
      break;
    case TS_NFPROTO_IPV6:
      fam = 1;
      break;
    case TS_NFPROTO_ARP:
      fam = 2;
      break;
    case TS_NFPROTO_BRIDGE:
      fam = 3;
      break;
    case TS_NFPROTO_NETDEV:
      fam = 4;
      break;
    default:
      fam = 5;
      break;
  }
  if (hook >= TS_NF_HOOKS) hook = TS_NF_HOOKS - 1;
  return fam * TS_NF_HOOKS + hook;
}

/* Calibration samples above this are interrupted windows, not the bracket's cost. */
#define TS_NF_CALIB_MAX_NS 20000

static __always_inline void account(__u32 slot, __u64 raw, __u64 self) {
  if (calibrating) {
    __u32 zero = 0;
    struct nf_calib* c = bpf_map_lookup_elem(&calib, &zero);
    if (c && raw < TS_NF_CALIB_MAX_NS) {
      c->count += 1;
      c->sum_ns += raw;
    }
    return;
  }
  if (self > raw) self = raw;
  __u64 cost = raw - self;
  struct nf_stat* st = bpf_map_lookup_elem(&stats, &slot);
  if (st) {
    st->packets += 1;
    st->time_ns += cost;
    st->self_ns += self;
  }
  struct ts_hist* h = bpf_map_lookup_elem(&costs, &slot);
  if (h) ts_hist_add(h, cost);
}

/* ---- fentry / kprobe: per-CPU stack of entry stamps ---- */

struct nf_frame {
  __u64 start_ns;
  __u64 task;
  __u32 slot;
  __u32 pad;
};

struct nf_stack {
  __u32 depth;
  __u32 pad;
  struct nf_frame frames[TS_NF_STACK];
};

struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
  __uint(max_entries, 1);
  __type(key, __u32);
  __type(value, struct nf_stack);
} stacks SEC(".maps");

static __always_inline int push(__u8 pf, __u32 hook) {
  __u32 zero = 0;
  struct nf_stack* s = bpf_map_lookup_elem(&stacks, &zero);
  if (!s) return 0;
  __u32 d = s->depth;
  if (d >= TS_NF_STACK) {
    /* Deeper than any real nesting: frames were orphaned; start over. */
    ts_note_map_full(TS_NF_FULL_STACK);
    d = 0;
  }
  struct nf_frame* f = &s->frames[d & (TS_NF_STACK - 1)];
  f->task = bpf_get_current_task();
  f->slot = slot_of(pf, hook);
  s->depth = d + 1;
  f->start_ns = bpf_ktime_get_ns(); /* last, so the window holds as little of us as possible */
  return 0;
}

static __always_inline int pop(void) {
  __u64 now = bpf_ktime_get_ns();
  __u32 zero = 0;
  struct nf_stack* s = bpf_map_lookup_elem(&stacks, &zero);
  if (!s) return 0;
  __u32 d = s->depth;
  if (d == 0 || d > TS_NF_STACK) return 0;
  d -= 1;
  struct nf_frame* f = &s->frames[d & (TS_NF_STACK - 1)];
  if (f->task != bpf_get_current_task()) {
    s->depth = 0;
    return 0;
  }
  s->depth = d;
  account(f->slot, now - f->start_ns, 0);
  return 0;
}

SEC("fentry/nf_hook_slow")
int BPF_PROG(ts_nf_enter_fentry, struct sk_buff* skb, const struct nf_hook_state* state) {
  return push(state->pf, state->hook);
}

SEC("fexit/nf_hook_slow")
int BPF_PROG(ts_nf_exit_fentry) {
  return pop();
}

SEC("kprobe/nf_hook_slow")
int BPF_KPROBE(ts_nf_enter_kprobe, struct sk_buff* skb, const struct nf_hook_state* state) {
  return push(BPF_CORE_READ(state, pf), BPF_CORE_READ(state, hook));
}

SEC("kretprobe/nf_hook_slow")
int BPF_KRETPROBE(ts_nf_exit_kprobe) {
  return pop();
}

/* ---- bracket: netfilter programs at the first and last priority of each hook ---- */

struct nf_key {
  __u64 skb;
  __u32 slot;
  __u32 pad;
};

/* Per-CPU LRU lists (BPF_F_NO_COMMON_LRU): entry and exit of one traversal normally run on
 * one CPU, and a common LRU list's lock is most of an insert's cost. */
struct {
  __uint(type, BPF_MAP_TYPE_LRU_HASH);
  __uint(map_flags, BPF_F_NO_COMMON_LRU);
  __uint(max_entries, 65536); /* userspace sets --netfilter.max-inflight */
  __type(key, struct nf_key);
  __type(value, __u64);
} inflight SEC(".maps");

SEC("netfilter")
int ts_nf_first_bracket(struct bpf_nf_ctx* ctx) {
  const struct nf_hook_state* state = ctx->state;
  struct nf_key key = {.skb = (__u64)ctx->skb, .slot = slot_of(state->pf, state->hook)};
  __u64 zero = 0;
  /* Insert first and stamp last: the insert's cost stays out of the measured window. */
  if (bpf_map_update_elem(&inflight, &key, &zero, BPF_ANY) != 0) return TS_NF_ACCEPT;
  __u64* stamp = bpf_map_lookup_elem(&inflight, &key);
  if (stamp) *stamp = bpf_ktime_get_ns();
  return TS_NF_ACCEPT;
}

SEC("netfilter")
int ts_nf_last_bracket(struct bpf_nf_ctx* ctx) {
  __u64 now = bpf_ktime_get_ns();
  const struct nf_hook_state* state = ctx->state;
  struct nf_key key = {.skb = (__u64)ctx->skb, .slot = slot_of(state->pf, state->hook)};
  __u64* stamp = bpf_map_lookup_elem(&inflight, &key);
  if (!stamp || *stamp == 0) {
    /* No entry stamp: evicted by the LRU (too many packets in flight) or attached meanwhile. */
    ts_note_map_full(TS_NF_FULL_INFLIGHT);
    return TS_NF_ACCEPT;
  }
  __u64 start = *stamp;
  /* Zeroing instead of deleting: cheaper, and the LRU evicts the stale key first. */
  *stamp = 0;
  if (now > start) account(key.slot, now - start, bracket_self_ns);
  return TS_NF_ACCEPT;
}

char LICENSE[] SEC("license") = "GPL";
