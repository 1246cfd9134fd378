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
 * bracket keeps one stamp per CPU and hook, tagged with its skb (see below). */
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

/* One stamp per CPU and family/hook. Both programs of one traversal run on one CPU, and a
 * traversal of the same hook can only nest inside another on that CPU when a softirq
 * interrupts process context in the few hundred ns between the two programs: the inner one
 * then overwrites the outer stamp, and the skb check drops the outer sample instead of pairing
 * wrong stamps. A packet dropped or stolen between the programs leaves a stamp that the next
 * traversal overwrites, so nothing accumulates (an LRU hash keyed by skb cost ~4x more). */
struct nf_stamp {
  __u64 skb;
  __u64 start_ns;
};

struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
  __uint(max_entries, TS_NF_SLOTS);
  __type(key, __u32);
  __type(value, struct nf_stamp);
} stamps SEC(".maps");

SEC("netfilter")
int ts_nf_first_bracket(struct bpf_nf_ctx* ctx) {
  const struct nf_hook_state* state = ctx->state;
  __u32 slot = slot_of(state->pf, state->hook);
  struct nf_stamp* st = bpf_map_lookup_elem(&stamps, &slot);
  if (!st) return TS_NF_ACCEPT;
  st->skb = (__u64)ctx->skb;
  st->start_ns = bpf_ktime_get_ns(); /* last, so the window holds as little of us as possible */
  return TS_NF_ACCEPT;
}

SEC("netfilter")
int ts_nf_last_bracket(struct bpf_nf_ctx* ctx) {
  __u64 now = bpf_ktime_get_ns();
  const struct nf_hook_state* state = ctx->state;
  __u32 slot = slot_of(state->pf, state->hook);
  struct nf_stamp* st = bpf_map_lookup_elem(&stamps, &slot);
  /* No stamp for this skb: a nested traversal overwrote it, or the bracket was attached
   * between the two programs. */
  if (!st || st->skb != (__u64)ctx->skb) return TS_NF_ACCEPT;
  st->skb = 0;
  if (now > st->start_ns) account(slot, now - st->start_ns, bracket_self_ns);
  return TS_NF_ACCEPT;
}

char LICENSE[] SEC("license") = "GPL";
