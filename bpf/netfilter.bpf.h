/* Shared between netfilter.bpf.c and daemon/probes/netfilter.cpp. */
#ifndef TUNESCOPE_NETFILTER_H
#define TUNESCOPE_NETFILTER_H

#include "common/log2_hist.h"

/* Families (index into the stats arrays): ipv4, ipv6, arp, bridge, netdev, other. */
#define TS_NF_FAMILIES 6
#define TS_NF_HOOKS 8 /* hook numbers above 6 fold into 7 */
#define TS_NF_SLOTS (TS_NF_FAMILIES * TS_NF_HOOKS)

/* Open hook traversals on one CPU: nesting (process context, a softirq on top of it, a hook
 * that sends a packet itself) plus frames of packets dropped between the bracket's programs,
 * which stay until they are found above a pairing frame or the stack fills up. */
#define TS_NF_STACK 8

/* ts_map_full slots. */
#define TS_NF_FULL_STACK 0 /* fentry/kprobe: nesting deeper than TS_NF_STACK */

struct nf_stat {
  __u64 packets;   /* hook traversals measured */
  __u64 time_ns;   /* time in the hooks, the bracket's own and nested traversals' subtracted */
  __u64 self_ns;   /* bracket mode: the bracket's own cost that was subtracted */
  __u64 nested;    /* measured traversals during which the same hook ran again on this CPU */
  __u64 nested_ns; /* their time (a single stamp per CPU and hook lost these samples) */
  __u64 unpaired;  /* exits with no open traversal to pair with: samples lost */
  __u64 orphaned;  /* traversals opened but never closed (packet dropped or stolen) */
};

struct nf_calib {
  __u64 count;
  __u64 sum_ns;
};

#endif
