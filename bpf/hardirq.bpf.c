// SPDX-License-Identifier: GPL-2.0
/* Count and time of each hardirq handler per IRQ and CPU: shows whether NIC queue interrupts
 * are spread over CPUs or pinned. Handlers run with interrupts off, so they do not nest on a
 * CPU and one start stamp per CPU suffices. */
#include "common/ts_bpf.h"
#include "hardirq.bpf.h"

struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
  __uint(max_entries, 1);
  __type(key, __u32);
  __type(value, __u64);
} entry_ns SEC(".maps");

/* max_entries is set from a flag before load. */
struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_HASH);
  __uint(max_entries, 1024);
  __type(key, __u32);
  __type(value, struct hardirq_stat);
} stats SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, 1024);
  __type(key, __u32);
  __type(value, struct irq_name);
} names SEC(".maps");

static __always_inline __u64* start_slot(void) {
  __u32 zero = 0;
  return bpf_map_lookup_elem(&entry_ns, &zero);
}

/* The name is read once per IRQ; afterwards entry is one lookup and one store. */
static __always_inline void remember_name(__u32 irq, const char* kname) {
  if (bpf_map_lookup_elem(&names, &irq)) return;
  struct irq_name n = {};
  bpf_probe_read_kernel_str(n.name, sizeof(n.name), kname);
  if (bpf_map_update_elem(&names, &irq, &n, BPF_NOEXIST) == -E2BIG)
    ts_note_map_full(TS_HARDIRQ_MAP_FULL_NAMES);
}

static __always_inline void on_entry(void) {
  __u64* start = start_slot();
  if (start) *start = bpf_ktime_get_ns();
}

static __always_inline void on_exit(__u32 irq) {
  __u64* start = start_slot();
  if (!start || !*start) return;
  __u64 delta = bpf_ktime_get_ns() - *start;
  *start = 0;
  struct hardirq_stat* st = bpf_map_lookup_elem(&stats, &irq);
  if (!st) {
    struct hardirq_stat zero = {};
    if (bpf_map_update_elem(&stats, &irq, &zero, BPF_NOEXIST) == -E2BIG) {
      ts_note_map_full(TS_HARDIRQ_MAP_FULL_STATS);
      return;
    }
    st = bpf_map_lookup_elem(&stats, &irq);
    if (!st) return;
  }
  st->count += 1;
  st->time_ns += delta;
}

#define E2BIG 7

SEC("tp_btf/irq_handler_entry")
int BPF_PROG(ts_hirq_entry_btf, int irq, struct irqaction* action) {
  remember_name(irq, BPF_CORE_READ(action, name));
  on_entry();
  return 0;
}
SEC("tp_btf/irq_handler_exit")
int BPF_PROG(ts_hirq_exit_btf, int irq) {
  on_exit(irq);
  return 0;
}

SEC("raw_tp/irq_handler_entry")
int BPF_PROG(ts_hirq_entry_raw, int irq, struct irqaction* action) {
  remember_name(irq, BPF_CORE_READ(action, name));
  on_entry();
  return 0;
}
SEC("raw_tp/irq_handler_exit")
int BPF_PROG(ts_hirq_exit_raw, int irq) {
  on_exit(irq);
  return 0;
}

SEC("tracepoint/irq/irq_handler_entry")
int ts_hirq_entry_tp(struct trace_event_raw_irq_handler_entry* ctx) {
  /* __data_loc: low 16 bits are the offset of the string inside the record. */
  remember_name(ctx->irq, (const char*)ctx + (ctx->__data_loc_name & 0xFFFF));
  on_entry();
  return 0;
}
SEC("tracepoint/irq/irq_handler_exit")
int ts_hirq_exit_tp(struct trace_event_raw_irq_handler_exit* ctx) {
  on_exit(ctx->irq);
  return 0;
}

char LICENSE[] SEC("license") = "GPL";
