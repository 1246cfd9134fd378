// SPDX-License-Identifier: GPL-2.0
/* Cross-CPU packet handling for the server's ports. sock:sock_recv_length fires on the CPU of
 * the thread that read from a socket. A read is "same_cpu" when the socket's last data was
 * received on the reader's CPU (the cache-hot case that IRQ/RPS/XPS pinning aims at), else
 * "other_cpu". TCP keeps that CPU itself (sk_incoming_cpu, set by tcp_v4/v6_rcv in the
 * receive softirq), so TCP reads cost one program and no map. UDP updates it only for
 * connected sockets, so for UDP sock:sk_data_ready remembers the CPU that queued the data.
 *
 * Backlog packets: netif_rx puts a packet on a CPU's backlog (loopback, veth, and any device
 * with RPS, which may pick another CPU). A target-port packet's enqueuing CPU is kept, by its
 * skb's address, until net:netif_receive_skb, and the time from there to the next packet on that
 * CPU or the end of the NET_RX run is its receive processing: what clearing an RPS mask moves back
 * to the CPU that sent it.
 *
 * The optional XDP program counts packets per rx queue; the per-CPU array gives the CPU,
 * so userspace gets the rx-queue -> CPU matrix (IRQ affinity / RSS placement). */
#include "common/ts_bpf.h"

#include <bpf/bpf_endian.h>

#include "xcpu.bpf.h"

#define TS_MSG_PEEK 2
#define TS_IPPROTO_TCP 6
#define TS_IPPROTO_UDP 17
#define TS_ETH_P_IP 0x0800
#define TS_ETH_P_IPV6 0x86DD
#define TS_NET_RX_SOFTIRQ 3

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

/* skb -> enqueuing CPU, from netif_rx to netif_receive_skb: a direct-mapped table indexed by
 * the skb's address, each slot the address's low 48 bits with the CPU + 1 above them, so that
 * one 64-bit store and load pass both between CPUs. An array lookup is inlined and takes no
 * lock: with the LRU hash before it, the netif_rx and netif_receive_skb programs took twice
 * the time (bench/README.md, "xcpu's packet table"). A packet whose slot holds one still in
 * flight overwrites it, and the earlier packet is not timed (counted in ts_map_full); one
 * dropped on the way keeps its slot until the next packet there takes it over. */
struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, TS_XCPU_ENQUEUED_SLOTS);
  __type(key, __u32);
  __type(value, __u64);
} enqueued_on SEC(".maps");

#define TS_XCPU_ADDR_MASK 0xffffffffffffULL

/* The skb (the tracepoint's first argument) as a number. A BTF-typed pointer allows no
 * arithmetic, so tp_btf programs read the raw argument; raw_tp ones have a number already. */
static __always_inline __u64 skb_address(unsigned long long* ctx, bool btf) {
  if (!btf) return ctx[0];
  __u64 v = 0;
  bpf_probe_read_kernel(&v, sizeof(v), ctx);
  return v;
}

static __always_inline __u64* enqueued_slot(__u64 addr) {
  /* skb heads are 256-byte slab objects: the bits above that pick the slot. */
  __u32 key = (__u32)((addr >> 8) ^ (addr >> 22)) & (TS_XCPU_ENQUEUED_SLOTS - 1);
  return bpf_map_lookup_elem(&enqueued_on, &key);
}

struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
  __uint(max_entries, 1);
  __type(key, __u32);
  __type(value, struct xcpu_rx_state);
} rx_state SEC(".maps");

/* backlog[enqueuing CPU], per processing CPU; userspace sizes it to the possible CPUs. */
struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
  __uint(max_entries, 1);
  __type(key, __u32);
  __type(value, struct xcpu_backlog);
} backlog SEC(".maps");

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

static __always_inline bool is_target_port(__u16 be_port) {
  __u32 port = bpf_ntohs(be_port);
  __u32* slot = bpf_map_lookup_elem(&ports, &port);
  return slot && *slot;
}

/* Whether a packet whose data starts at its IP header (netif_rx comes after eth_type_trans)
 * carries a target port as its source or destination. */
static __always_inline bool carries_target_port(struct sk_buff* skb, bool btf) {
  __u16 proto = bpf_ntohs(TS_READ(btf, skb, protocol));
  unsigned char* data = TS_READ(btf, skb, data);
  bool v4 = proto == TS_ETH_P_IP;
  if (!v4 && proto != TS_ETH_P_IPV6) return false;
  /* One read covers both families' fields: IPv4's version/IHL (0) and protocol (9), IPv6's
   * next header (6). */
  __u8 ip[10];
  if (bpf_probe_read_kernel(ip, sizeof(ip), data)) return false;
  __u8 l4 = v4 ? ip[9] : ip[6];
  __u32 offset = v4 ? (ip[0] & 0xf) * 4 : 40;
  if (l4 != TS_IPPROTO_TCP && l4 != TS_IPPROTO_UDP) return false;
  __u16 ports[2];
  if (bpf_probe_read_kernel(ports, sizeof(ports), data + (offset & 0x3f))) return false;
  return is_target_port(ports[0]) || is_target_port(ports[1]);
}

static __always_inline int on_netif_rx(unsigned long long* ctx, struct sk_buff* skb, bool btf) {
  if (!carries_target_port(skb, btf)) return 0;
  __u64 addr = skb_address(ctx, btf);
  __u64* slot = enqueued_slot(addr);
  if (!slot) return 0;
  if (*slot) ts_note_map_full(TS_XCPU_FULL_PACKETS);
  __u64 cpu = bpf_get_smp_processor_id();
  *slot = (addr & TS_XCPU_ADDR_MASK) | ((cpu + 1) << 48);
  return 0;
}

/* Ends the packet this CPU was processing, if it was timed. */
static __always_inline void close_packet(struct xcpu_rx_state* s, __u64 now) {
  if (!s->enqueued_on) return;
  __u32 from = s->enqueued_on - 1;
  struct xcpu_backlog* b = bpf_map_lookup_elem(&backlog, &from);
  if (b) {
    b->ns += now - s->start_ns;
    b->packets += 1;
  }
  s->enqueued_on = 0;
}

static __always_inline int on_receive(__u64 addr) {
  __u32 zero = 0;
  struct xcpu_rx_state* s = bpf_map_lookup_elem(&rx_state, &zero);
  if (!s) return 0;
  __u64* slot = enqueued_slot(addr);
  if (!slot) return 0;
  __u64 entry = *slot;
  bool timed = entry && (entry & TS_XCPU_ADDR_MASK) == (addr & TS_XCPU_ADDR_MASK);
  if (!timed && !s->enqueued_on) return 0;  // neither this packet nor the last is timed
  if (timed) *slot = 0;                     // before the clock read: outside the span
  __u64 now = bpf_ktime_get_ns();
  close_packet(s, now);
  if (timed) {
    s->start_ns = now;
    s->enqueued_on = (__u32)(entry >> 48);
  }
  return 0;
}

static __always_inline int on_softirq_exit(unsigned int vec) {
  if (vec != TS_NET_RX_SOFTIRQ) return 0;
  __u32 zero = 0;
  struct xcpu_rx_state* s = bpf_map_lookup_elem(&rx_state, &zero);
  if (s && s->enqueued_on) close_packet(s, bpf_ktime_get_ns());
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

SEC("tp_btf/netif_rx")
int BPF_PROG(ts_xcpu_netif_rx_btf, struct sk_buff* skb) {
  return on_netif_rx(ctx, skb, true);
}
SEC("tp_btf/netif_receive_skb")
int BPF_PROG(ts_xcpu_receive_btf, struct sk_buff* skb) {
  return on_receive(skb_address(ctx, true));
}
SEC("tp_btf/softirq_exit")
int BPF_PROG(ts_xcpu_softirq_exit_btf, unsigned int vec) {
  return on_softirq_exit(vec);
}

SEC("raw_tp/netif_rx")
int BPF_PROG(ts_xcpu_netif_rx_raw, struct sk_buff* skb) {
  return on_netif_rx(ctx, skb, false);
}
SEC("raw_tp/netif_receive_skb")
int BPF_PROG(ts_xcpu_receive_raw, struct sk_buff* skb) {
  return on_receive(skb_address(ctx, false));
}
SEC("raw_tp/softirq_exit")
int BPF_PROG(ts_xcpu_softirq_exit_raw, unsigned int vec) {
  return on_softirq_exit(vec);
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
