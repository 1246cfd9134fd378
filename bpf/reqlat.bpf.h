/* Shared between reqlat.bpf.c and daemon/probes/reqlat.cpp. */
#ifndef TUNESCOPE_REQLAT_H
#define TUNESCOPE_REQLAT_H

#define TS_REQLAT_MAX_PORTS 64 /* distinct --target-port values */

/* hists[] index: 0..TS_REQLAT_MAX_PORTS-1 socket modes, one per target port slot; then the
 * two USDT intervals. */
#define TS_REQLAT_HIST_USDT_SERVE TS_REQLAT_MAX_PORTS         /* parsed -> queued */
#define TS_REQLAT_HIST_USDT_ARRIVAL (TS_REQLAT_MAX_PORTS + 1) /* arrival -> parsed */
#define TS_REQLAT_HISTS (TS_REQLAT_MAX_PORTS + 2)

/* ports[] value for a port learned from a USDT request (not a --target-port slot). */
#define TS_REQLAT_LEARNED_PORT 0xffffffffU

/* ts_map_full slots. */
#define TS_REQLAT_FULL_SOCKETS 0
#define TS_REQLAT_FULL_INFLIGHT 1

/* Per server socket: the first request bytes not yet answered (socket modes) or not yet read
 * (usdt mode), and the state needed to tell the two apart. */
struct reqlat_sock {
  __u64 arrival_ns;        /* first payload segment since the last answer (or read) */
  __u64 answered_ns;       /* an arrival already answered whose send hook has not run yet */
  __u64 read_arrival_ns;   /* usdt: arrival of the bytes the server read last */
  __u32 arrival_write_seq; /* tcp write_seq when arrival_ns was taken */
  __u32 pad;
};

/* usdt mode: one request between request_parsed and response_queued. */
struct reqlat_request {
  __u32 tgid;
  __s32 fd;
  __u64 seq;
};

#endif
