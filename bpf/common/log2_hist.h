/* Log2 histogram slots shared by the BPF programs and the daemon, so the slot a value lands
 * in and the Prometheus `le` bound userspace gives that slot come from one definition.
 *
 * Slot i holds values v with 2^(i-1) < v <= 2^i (slot 0 holds v <= 1). The upper bound is
 * inclusive, exactly like a Prometheus `le`, so slot i converts to le = 2^i units with no
 * off-by-one: a 1000 ns run lands in slot 10 and is counted under le = 1.024e-06 s. */
#ifndef TUNESCOPE_LOG2_HIST_H
#define TUNESCOPE_LOG2_HIST_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

/* A power of two, so BPF code can bound a slot index with a mask (see ts_hist_add). Slot 63
 * (2^63 ns) also takes anything larger. */
#define TS_HIST_SLOTS 64

struct ts_hist {
  __u64 slots[TS_HIST_SLOTS];
  __u64 sum; /* in the unit of the samples (ns) */
};

/* floor(log2(v)) for v > 0, without loops or a clz instruction (BPF has none). */
static inline __u32 ts_log2_floor(__u64 v) {
  __u32 r, shift;
  r = (__u32)(v > 0xFFFFFFFFULL) << 5;
  v >>= r;
  shift = (__u32)(v > 0xFFFF) << 4;
  v >>= shift;
  r |= shift;
  shift = (__u32)(v > 0xFF) << 3;
  v >>= shift;
  r |= shift;
  shift = (__u32)(v > 0xF) << 2;
  v >>= shift;
  r |= shift;
  shift = (__u32)(v > 0x3) << 1;
  v >>= shift;
  r |= shift;
  r |= (__u32)(v >> 1);
  return r;
}

/* The smallest i with v <= 2^i, clamped to the last slot. */
static inline __u32 ts_hist_slot(__u64 v) {
  __u32 slot;
  if (v <= 1) return 0;
  slot = ts_log2_floor(v - 1) + 1;
  return slot < TS_HIST_SLOTS ? slot : TS_HIST_SLOTS - 1;
}

#endif
