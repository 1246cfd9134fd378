// SPDX-License-Identifier: GPL-2.0
/* Cross-CPU packet handling for the server's ports. sock:sock_recv_length fires on the CPU of
 * the thread that read from a socket. A read is "same_cpu" when the socket's last data was
 * received on the reader's CPU (the cache-hot case that IRQ/RPS/XPS pinning aims at), else
 * "other_cpu". TCP keeps that CPU itself (sk_incoming_cpu, set by tcp_v4/v6_rcv in the
 * receive softirq), so TCP reads cost one program and no map. UDP updates it only for
 * connected sockets, so for UDP sock:sk_data_ready remembers the CPU that queued the data.
 *
 * The optional XDP program counts packets per rx queue; the per-CPU array gives the CPU,
 * so userspace gets the rx-queue -> CPU matrix (IRQ affinity / RSS placement). */
#include "common/ts_bpf.h"

#include "xcpu.bpf.h"

#define TS_MSG_PEEK 2
#define TS_IPPROTO_TCP 6

/* Local port -> slot + 1 (0: not a target). An array: one lookup with no hashing. */
struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, 65536);
  __type(key, __u32);
  __type(value, __u32);
} ports SEC(".maps");

/* UDP socket -> CPU that last queued data onto it. */
struct {
  __uint(type, BPF_MAP_TYPE_LRU_HASH);
  __uint(max_entries, 65536); /* userspace sets --xcpu.max-sockets */
  __type(key, __u64);
  __type(value, __u32);
} queued_on SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
  __uint(max_entries, TS_XCPU_MAX_PORTS * 2);
  __type(key, __u32);
  __type(value, __u64);
} reads SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
  __uint(max_entries, TS_XDP_MAX_QUEUES);
  __type(key, __u32);
  __type(value, __u64);
} xdp_rx SEC(".maps");

static __always_inline __u32 port_slot(const struct sock* sk, bool btf) {
  __u32 port = TS_READ(btf, sk, __sk_common.skc_num);
  __u32* slot = bpf_map_lookup_elem(&ports, &port);
  return slot ? *slot : 0;
}

static __always_inline bool is_tcp(const struct sock* sk, bool btf) {
  return TS_READ(btf, sk, sk_protocol) == TS_IPPROTO_TCP;
}

static __always_inline int on_data_ready(const struct sock* sk, bool btf) {
  if (is_tcp(sk, btf) || !port_slot(sk, btf)) return 0;
  __u64 key = (__u64)sk;
  __u32 cpu = bpf_get_smp_processor_id();
  __u32* last = bpf_map_lookup_elem(&queued_on, &key);
  if (last) {
    if (*last != cpu) *last = cpu;
    return 0;
  }
  /* An LRU map evicts instead of failing; a read that finds no entry is counted as lost. */
  bpf_map_update_elem(&queued_on, &key, &cpu, BPF_ANY);
  return 0;
}

static __always_inline int on_recv(const struct sock* sk, int ret, int flags, bool btf) {
  if (ret <= 0 || (flags & TS_MSG_PEEK)) return 0;
  __u32 slot = port_slot(sk, btf);
  if (!slot || slot > TS_XCPU_MAX_PORTS) return 0;
  __u32 queued_cpu;
  if (is_tcp(sk, btf)) {
    queued_cpu = TS_READ(btf, sk, __sk_common.skc_incoming_cpu);
  } else {
    __u64 key = (__u64)sk;
    __u32* last = bpf_map_lookup_elem(&queued_on, &key);
    if (!last) {
      ts_note_map_full(TS_XCPU_FULL_SOCKETS);
      return 0;
    }
    queued_cpu = *last;
  }
  __u32 locality = queued_cpu == bpf_get_smp_processor_id() ? TS_XCPU_SAME_CPU : TS_XCPU_OTHER_CPU;
  __u32 index = (slot - 1) * 2 + locality;
  __u64* n = bpf_map_lookup_elem(&reads, &index);
  if (n) *n += 1;
  return 0;
}

SEC("tp_btf/sk_data_ready")
int BPF_PROG(ts_xcpu_data_ready_btf, const struct sock* sk) {
  return on_data_ready(sk, true);
}
SEC("tp_btf/sock_recv_length")
int BPF_PROG(ts_xcpu_recv_btf, struct sock* sk, int ret, int flags) {
  return on_recv(sk, ret, flags, true);
}

SEC("raw_tp/sk_data_ready")
int BPF_PROG(ts_xcpu_data_ready_raw, const struct sock* sk) {
  return on_data_ready(sk, false);
}
SEC("raw_tp/sock_recv_length")
int BPF_PROG(ts_xcpu_recv_raw, struct sock* sk, int ret, int flags) {
  return on_recv(sk, ret, flags, false);
}

SEC("xdp")
int ts_xcpu_xdp(struct xdp_md* ctx) {
  __u32 queue = ctx->rx_queue_index;
  __u64* n = bpf_map_lookup_elem(&xdp_rx, &queue);
  if (n) {
    *n += 1;
  } else {
    ts_note_map_full(TS_XCPU_FULL_XDP_QUEUES);
  }
  return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
