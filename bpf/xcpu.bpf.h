/* Shared between xcpu.bpf.c and daemon/probes/xcpu.cpp. */
#ifndef TUNESCOPE_XCPU_H
#define TUNESCOPE_XCPU_H

#define TS_XCPU_MAX_PORTS 64 /* distinct --target-port values */
#define TS_XDP_MAX_QUEUES 64 /* rx queues counted per device; higher ones are counted as full */

/* reads[port_slot * 2 + locality] */
#define TS_XCPU_SAME_CPU 0
#define TS_XCPU_OTHER_CPU 1

/* ts_map_full slots. */
#define TS_XCPU_FULL_SOCKETS 0
#define TS_XCPU_FULL_XDP_QUEUES 1

#endif
