/* Shared between softirq.bpf.c and daemon/probes/softirq.cpp. */
#ifndef TUNESCOPE_SOFTIRQ_H
#define TUNESCOPE_SOFTIRQ_H

#include "common/log2_hist.h"

#define TS_NR_SOFTIRQS 10
#define TS_NET_RX_SOFTIRQ 3
#define TS_SOFTIRQ_SLOTS 16 /* a power of two above TS_NR_SOFTIRQS, for index masks */

/* Per CPU. */
struct softirq_cpu_state {
  __u64 entry_ns;               /* start of the timed run in progress, 0 if none */
  __u64 net_rx_raised_ns;       /* first NET_RX raise not yet run (--softirq.raise-delay) */
  __u64 runs[TS_SOFTIRQ_SLOTS]; /* every run per vector; also picks the 1-in-N timed runs */
};

#endif
