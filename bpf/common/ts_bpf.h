/* Common includes and helpers for tunescope's BPF programs. Program names start with "ts_"
 * so that tests and operators can find what tunescope loaded (bpftool prog show). */
#ifndef TUNESCOPE_TS_BPF_H
#define TUNESCOPE_TS_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "common/log2_hist.h"
#include "common/map_full.h"

/* A kernel struct field, read with a plain load where the verifier knows the pointer's BTF type
 * (tp_btf arguments and what they point to) and with bpf_probe_read_kernel otherwise (raw_tp
 * arguments, pointers found through probe reads), a helper call that costs more than the rest
 * of a small program. `btf` must be a constant where the helper using it is inlined, so that
 * the other branch is compiled out. */
#define TS_READ(btf, ptr, field) ((btf) ? (ptr)->field : BPF_CORE_READ(ptr, field))

/* errno values are macros, which vmlinux.h cannot carry. */
#define E2BIG 7

/* Counts failed inserts per map index (see map_full.h) instead of losing data silently. */
struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
  __uint(max_entries, TS_MAP_FULL_SLOTS);
  __type(key, __u32);
  __type(value, __u64);
} ts_map_full SEC(".maps");

static __always_inline void ts_note_map_full(__u32 map_index) {
  __u64* n = bpf_map_lookup_elem(&ts_map_full, &map_index);
  if (n) *n += 1;
}

/* Per-CPU histograms only: plain increments, no atomics on the hot path. */
static __always_inline void ts_hist_add(struct ts_hist* h, __u64 v) {
  __u32 slot = ts_hist_slot(v);
  /* clang knows slot < TS_HIST_SLOTS and would drop any bound check, and older verifiers (6.1)
   * lose that bound through its 32-bit arithmetic and reject the access as unbounded: hide
   * the value from clang, then bound it with a mask the verifier can follow. */
  barrier_var(slot);
  h->slots[slot & (TS_HIST_SLOTS - 1)] += 1;
  h->sum += v;
}

#endif
