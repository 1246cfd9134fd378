/* Shared between softirq.bpf.c and daemon/probes/softirq.cpp. */
#ifndef TUNESCOPE_SOFTIRQ_H
#define TUNESCOPE_SOFTIRQ_H

#include "common/log2_hist.h"

#define TS_NR_SOFTIRQS 10
#define TS_NET_RX_SOFTIRQ 3

#endif
