/* Shared between qdisc.bpf.c and daemon/probes/qdisc.cpp. */
#ifndef TUNESCOPE_QDISC_H
#define TUNESCOPE_QDISC_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

#define TS_QDISC_NAME_LEN 16

/* ts_map_full slots. */
#define TS_QDISC_FULL_DEVICES 0
#define TS_QDISC_FULL_STATS 1

/* One device seen on the transmit path (key: struct net_device pointer). */
struct qdisc_dev {
  __u64 last_qdisc; /* the per-queue qdisc whose locks were learned last */
  __u64 root_qdisc; /* dev->qdisc when name and kind were read */
  __u64 learned_ns; /* when: of two entries with one name, the later one's kind holds */
  __u32 ifindex;
  __u32 netns;      /* inode number of the device's network namespace: names repeat across them */
  __u32 has_parent; /* a bus device below it (a NIC); 0: virtual (lo, veth, bridge, ...) */
  __u32 pad;
  char name[TS_QDISC_NAME_LEN];
  char kind[TS_QDISC_NAME_LEN]; /* root qdisc's ops->id: "pfifo", "htb", "mq", "noqueue" */
};

/* Per device and CPU (a per-CPU hash value). */
struct qdisc_stat {
  __u64 packets;     /* handed to a qdisc with an enqueue function */
  __u64 contentions; /* contended enqueues + contended root/busylock acquisitions */
  __u64 wait_ns;     /* time spent waiting in those acquisitions */
  __u64 path_ns;     /* CPU time in the qdisc path: enqueue side + dequeue side (qdisc.bpf.c) */
  __u64 timed;       /* packets timed from net_dev_queue to their own start_xmit here */
  __u64 unpaired;    /* packets that entered here but did not reach the driver here */
  __u64 dequeued;    /* packets dequeued here for a later or another CPU's enqueue */
};

#endif
