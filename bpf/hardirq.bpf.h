/* Shared between hardirq.bpf.c and daemon/probes/hardirq.cpp. */
#ifndef TUNESCOPE_HARDIRQ_H
#define TUNESCOPE_HARDIRQ_H

#define TS_IRQ_NAME_LEN 32
#define TS_HARDIRQ_MAP_FULL_STATS 0
#define TS_HARDIRQ_MAP_FULL_NAMES 1

struct hardirq_stat {
  __u64 count;
  __u64 time_ns;
};

struct irq_name {
  char name[TS_IRQ_NAME_LEN];
};

#endif
