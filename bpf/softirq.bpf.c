// SPDX-License-Identifier: GPL-2.0
/* Time spent in each softirq vector per CPU: every run is counted, and 1 in N runs of each
 * vector on each CPU (--softirq.sample=N; the daemon times 1 in 8) is timed into a duration
 * histogram whose sum, times N, is the time. Two clock reads per timed run are most of the
 * probe's cost, hence the sampling. Opt-in, the delay from raising NET_RX to running it: the
 * raise program runs on every raise of every vector, so the daemon loads it only when asked.
 * Softirqs never nest on one CPU, so one start stamp per CPU suffices. Three attach flavours of
 * the same handlers; userspace loads one of them. */
#include "common/ts_bpf.h"
#include "softirq.bpf.h"

/* Set before load: without the raise program there is no raise stamp to look at. */
const volatile bool raise_delay = false;
/* N - 1 for --softirq.sample=N (a power of two): run k of a vector is timed when k & mask == 0. */
const volatile __u64 sample_mask = 0;

struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
  __uint(max_entries, 1);
  __type(key, __u32);
  __type(value, struct softirq_cpu_state);
} cpu_state SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
  __uint(max_entries, TS_NR_SOFTIRQS);
  __type(key, __u32);
  __type(value, struct ts_hist);
} durations SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
  __uint(max_entries, 1);
  __type(key, __u32);
  __type(value, struct ts_hist);
} net_rx_raise_delay SEC(".maps");

static __always_inline struct softirq_cpu_state* this_cpu(void) {
  __u32 zero = 0;
  return bpf_map_lookup_elem(&cpu_state, &zero);
}

static __always_inline int on_entry(unsigned int vec) {
  struct softirq_cpu_state* s = this_cpu();
  if (!s) return 0;
  bool timed = (s->runs[vec & (TS_SOFTIRQ_SLOTS - 1)]++ & sample_mask) == 0;
  bool raise = raise_delay && vec == TS_NET_RX_SOFTIRQ && s->net_rx_raised_ns;
  if (!timed && !raise) {
    s->entry_ns = 0;
    return 0;
  }
  __u64 now = bpf_ktime_get_ns();
  s->entry_ns = timed ? now : 0;
  if (raise) {
    __u32 zero = 0;
    struct ts_hist* h = bpf_map_lookup_elem(&net_rx_raise_delay, &zero);
    if (h) ts_hist_add(h, now - s->net_rx_raised_ns);
    s->net_rx_raised_ns = 0;
  }
  return 0;
}

static __always_inline int on_exit(unsigned int vec) {
  struct softirq_cpu_state* s = this_cpu();
  if (!s || !s->entry_ns) return 0;
  __u64 delta = bpf_ktime_get_ns() - s->entry_ns;
  s->entry_ns = 0;
  __u32 key = vec;
  struct ts_hist* h = bpf_map_lookup_elem(&durations, &key);
  if (h) ts_hist_add(h, delta);
  return 0;
}

/* Only the first raise counts: later raises before the run do not delay it further. */
static __always_inline int on_raise(unsigned int vec) {
  if (vec != TS_NET_RX_SOFTIRQ) return 0;
  struct softirq_cpu_state* s = this_cpu();
  if (s && !s->net_rx_raised_ns) s->net_rx_raised_ns = bpf_ktime_get_ns();
  return 0;
}

SEC("tp_btf/softirq_entry")
int BPF_PROG(ts_sirq_entry_btf, unsigned int vec) {
  return on_entry(vec);
}
SEC("tp_btf/softirq_exit")
int BPF_PROG(ts_sirq_exit_btf, unsigned int vec) {
  return on_exit(vec);
}
SEC("tp_btf/softirq_raise")
int BPF_PROG(ts_sirq_raise_btf, unsigned int vec) {
  return on_raise(vec);
}

SEC("raw_tp/softirq_entry")
int BPF_PROG(ts_sirq_entry_raw, unsigned int vec) {
  return on_entry(vec);
}
SEC("raw_tp/softirq_exit")
int BPF_PROG(ts_sirq_exit_raw, unsigned int vec) {
  return on_exit(vec);
}
SEC("raw_tp/softirq_raise")
int BPF_PROG(ts_sirq_raise_raw, unsigned int vec) {
  return on_raise(vec);
}

SEC("tracepoint/irq/softirq_entry")
int ts_sirq_entry_tp(struct trace_event_raw_softirq* ctx) {
  return on_entry(ctx->vec);
}
SEC("tracepoint/irq/softirq_exit")
int ts_sirq_exit_tp(struct trace_event_raw_softirq* ctx) {
  return on_exit(ctx->vec);
}
SEC("tracepoint/irq/softirq_raise")
int ts_sirq_raise_tp(struct trace_event_raw_softirq* ctx) {
  return on_raise(ctx->vec);
}

char LICENSE[] SEC("license") = "GPL";
