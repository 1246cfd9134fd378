/* Shared between xcpu.bpf.c and daemon/probes/xcpu.cpp. */
#ifndef TUNESCOPE_XCPU_H
#define TUNESCOPE_XCPU_H

#define TS_XCPU_MAX_PORTS 64 /* distinct --target-port values */
#define TS_XDP_MAX_QUEUES 64 /* rx queues counted per device; higher ones are counted as full */

/* reads[port_slot * 2 + locality] */
#define TS_XCPU_SAME_CPU 0
#define TS_XCPU_OTHER_CPU 1

/* The receive processing of target-port packets that went through a CPU's backlog (netif_rx:
 * loopback, veth, RPS), per CPU that processed them, keyed by the CPU that enqueued them. */
struct xcpu_backlog {
  __u64 ns;
  __u64 packets;
};

/* The packet a CPU is processing: from its netif_receive_skb to the next one or the end of
 * the NET_RX run. enqueued_on is the enqueuing CPU + 1, 0 for a packet not timed. */
struct xcpu_rx_state {
  __u64 start_ns;
  __u32 enqueued_on;
  __u32 pad;
};

/* ts_map_full slots. */
#define TS_XCPU_FULL_SOCKETS 0
#define TS_XCPU_FULL_XDP_QUEUES 1
#define TS_XCPU_FULL_PACKETS 2

/* Slots of the skb -> enqueuing CPU table (a power of two). */
#define TS_XCPU_ENQUEUED_SLOTS 16384

#endif
