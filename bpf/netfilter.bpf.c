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
 * All modes keep a per-CPU stack of open traversals (see below). */
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

static __always_inline void account(__u32 slot, __u64 raw, __u64 self, __u64 nested_ns,
                                    __u32 same_nested) {
  if (calibrating) {
    __u32 zero = 0;
    struct nf_calib* c = bpf_map_lookup_elem(&calib, &zero);
    if (c && raw < TS_NF_CALIB_MAX_NS) {
      c->count += 1;
      c->sum_ns += raw;
    }
    return;
  }
  /* The nested traversals were measured (and accounted) on their own. */
  __u64 own = raw > nested_ns ? raw - nested_ns : 0;
  if (self > own) self = own;
  __u64 cost = own - self;
  struct nf_stat* st = bpf_map_lookup_elem(&stats, &slot);
  if (st) {
    st->packets += 1;
    st->time_ns += cost;
    st->self_ns += self;
    if (same_nested) {
      st->nested += 1;
      st->nested_ns += cost;
    }
  }
  struct ts_hist* h = bpf_map_lookup_elem(&costs, &slot);
  if (h) ts_hist_add(h, cost);
}

static __always_inline void count_lost(__u32 slot, bool unpaired) {
  struct nf_stat* st = bpf_map_lookup_elem(&stats, &slot);
  if (!st) return;
  if (unpaired)
    st->unpaired += 1;
  else
    st->orphaned += 1;
}

/* ---- per-CPU stack of open traversals, shared by all modes ----
 *
 * Traversals nest on one CPU: a LOCAL_OUT traversal in process context is interrupted by a
 * softirq that runs PRE_ROUTING, INPUT or LOCAL_OUT itself (an ACK sent from softirq), and a
 * hook may send a packet of its own (REJECT). Nesting is LIFO, so each open traversal is a
 * frame on a per-CPU stack, found again by its key: the skb in bracket mode, the task in
 * fentry/kprobe mode. A nested traversal's time is subtracted from the one it interrupted,
 * which would otherwise count it twice. Frames above the one found belong to packets that
 * were dropped or stolen between the two ends (bracket) or to callers that migrated
 * (fentry/kprobe): they are discarded and counted. */

struct nf_frame {
  __u64 key;
  __u64 start_ns;
  __u64 nested_ns; /* time of traversals nested in this one */
  __u32 slot;
  __u32 same_nested; /* one of them ran the same hook */
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

static __always_inline void push(__u32 slot, __u64 key) {
  __u32 zero = 0;
  struct nf_stack* s = bpf_map_lookup_elem(&stacks, &zero);
  if (!s) return;
  __u32 d = s->depth;
  if (d >= TS_NF_STACK) {
    /* Full of orphans (dropped packets, migrated callers): start over. */
    ts_note_map_full(TS_NF_FULL_STACK);
    d = 0;
  }
  struct nf_frame* f = &s->frames[d & (TS_NF_STACK - 1)];
  f->key = key;
  f->slot = slot;
  f->nested_ns = 0;
  f->same_nested = 0;
  s->depth = d + 1;
  f->start_ns = bpf_ktime_get_ns(); /* last, so the window holds as little of us as possible */
}

static __always_inline void pop(__u32 slot, __u64 key, __u64 now, __u64 self) {
  __u32 zero = 0;
  struct nf_stack* s = bpf_map_lookup_elem(&stacks, &zero);
  if (!s) return;
  __u32 d = s->depth;
  if (d > TS_NF_STACK) d = TS_NF_STACK;
  /* Almost always the top frame; deeper only above orphans. */
  for (__u32 i = 0; i < TS_NF_STACK; ++i) {
    if (i >= d) break;
    __u32 at = (d - 1 - i) & (TS_NF_STACK - 1);
    struct nf_frame* f = &s->frames[at];
    if (f->key != key) continue;
    __u64 raw = now > f->start_ns ? now - f->start_ns : 0;
    __u64 nested_ns = f->nested_ns;
    __u32 fslot = f->slot;
    __u32 same = f->same_nested;
    /* The frames above were orphans: count them where they were opened. */
    for (__u32 j = 0; j < i && j < TS_NF_STACK; ++j)
      count_lost(s->frames[(d - 1 - j) & (TS_NF_STACK - 1)].slot, false);
    s->depth = at;
    if (at > 0) {
      struct nf_frame* outer = &s->frames[(at - 1) & (TS_NF_STACK - 1)];
      outer->nested_ns += raw;
      if (outer->slot == fslot) outer->same_nested = 1;
    }
    account(fslot, raw, self, nested_ns, same);
    return;
  }
  /* Nothing to pair with: attached mid-traversal, or the stack was reset. */
  count_lost(slot, true);
}

SEC("fentry/nf_hook_slow")
int BPF_PROG(ts_nf_enter_fentry, struct sk_buff* skb, const struct nf_hook_state* state) {
  push(slot_of(state->pf, state->hook), bpf_get_current_task());
  return 0;
}

/* fexit sees the arguments too: the slot names the hook when nothing pairs. */
SEC("fexit/nf_hook_slow")
int BPF_PROG(ts_nf_exit_fentry, struct sk_buff* skb, const struct nf_hook_state* state) {
  __u64 now = bpf_ktime_get_ns();
  pop(slot_of(state->pf, state->hook), bpf_get_current_task(), now, 0);
  return 0;
}

SEC("kprobe/nf_hook_slow")
int BPF_KPROBE(ts_nf_enter_kprobe, struct sk_buff* skb, const struct nf_hook_state* state) {
  push(slot_of(BPF_CORE_READ(state, pf), BPF_CORE_READ(state, hook)), bpf_get_current_task());
  return 0;
}

/* kretprobe has no arguments: an unpaired exit is counted on the "other" slot. */
SEC("kretprobe/nf_hook_slow")
int BPF_KRETPROBE(ts_nf_exit_kprobe) {
  __u64 now = bpf_ktime_get_ns();
  pop(TS_NF_SLOTS - 1, bpf_get_current_task(), now, 0);
  return 0;
}

/* ---- bracket: netfilter programs at the first and last priority of each hook ---- */

SEC("netfilter")
int ts_nf_first_bracket(struct bpf_nf_ctx* ctx) {
  const struct nf_hook_state* state = ctx->state;
  push(slot_of(state->pf, state->hook), (__u64)ctx->skb);
  return TS_NF_ACCEPT;
}

SEC("netfilter")
int ts_nf_last_bracket(struct bpf_nf_ctx* ctx) {
  __u64 now = bpf_ktime_get_ns();
  const struct nf_hook_state* state = ctx->state;
  pop(slot_of(state->pf, state->hook), (__u64)ctx->skb, now, bracket_self_ns);
  return TS_NF_ACCEPT;
}

char LICENSE[] SEC("license") = "GPL";
