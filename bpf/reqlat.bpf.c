// SPDX-License-Identifier: GPL-2.0
/* Request latency seen from the kernel.
 *
 * socket modes (any TCP server on a --target-port): an exchange starts when request bytes
 * are queued on a server socket (tcp:tcp_probe, which fires in tcp_rcv_established for every
 * segment; segments without payload are skipped) and ends when the server next writes on
 * that socket. One sample per exchange: on a keep-alive connection that is one per request;
 * a pipelined batch answered by one write is one sample, timed from its first bytes.
 *   socket:          sock:sock_send_length (kernel >= 6.3, fires after the send returned)
 *   socket_syscall:  syscalls:sys_enter_{write,writev,sendto,sendmsg}, fd -> socket through
 *                    the task's file table (any kernel with syscall tracepoints)
 * The send hook of `socket` runs after the data left, so on loopback the client may already
 * have sent its next request. An arrival therefore remembers tcp write_seq: if write_seq has
 * moved when the next arrival comes, the earlier arrival was answered and is kept aside for
 * the pending send hook (answered_ns) instead of swallowing the new request.
 *
 * usdt mode: refserver's request_parsed / response_queued notes, keyed by (tgid, fd, seq).
 * When sock:sock_recv_length exists, the arrival of the bytes the server read last gives the
 * arrival -> parsed part too (the socket is found from the fd; its port is learned). */
#include "common/ts_bpf.h"

#include <bpf/usdt.bpf.h>

#include "reqlat.bpf.h"

#define TS_IPPROTO_TCP 6
#define TS_TCP_CLOSE 7
#define TS_MSG_PEEK 2
#define TS_S_IFMT 0170000
#define TS_S_IFSOCK 0140000

/* Local port -> target slot + 1, or TS_REQLAT_LEARNED_PORT; 0: not watched. */
struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, 65536);
  __type(key, __u32);
  __type(value, __u32);
} ports SEC(".maps");

/* Server socket -> exchange state. LRU: a socket that never closes cleanly ages out. */
struct {
  __uint(type, BPF_MAP_TYPE_LRU_HASH);
  __uint(max_entries, 65536); /* userspace sets --reqlat.max-sockets */
  __type(key, __u64);
  __type(value, struct reqlat_sock);
} socks SEC(".maps");

/* usdt: parse time of requests whose response is not queued yet. */
struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, 65536); /* userspace sets --reqlat.max-inflight */
  __type(key, struct reqlat_request);
  __type(value, __u64);
} inflight SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
  __uint(max_entries, TS_REQLAT_HISTS);
  __type(key, __u32);
  __type(value, struct ts_hist);
} hists SEC(".maps");

static __always_inline void hist_add(__u32 index, __u64 delta) {
  struct ts_hist* h = bpf_map_lookup_elem(&hists, &index);
  if (h) ts_hist_add(h, delta);
}

static __always_inline __u32 port_value(const struct sock* sk, bool btf) {
  __u32 port = TS_READ(btf, sk, __sk_common.skc_num);
  __u32* v = bpf_map_lookup_elem(&ports, &port);
  return v ? *v : 0;
}

static __always_inline __u32 write_seq(const struct sock* sk, bool btf) {
  if (!btf) return BPF_CORE_READ((const struct tcp_sock*)sk, write_seq);
  /* A cast would lose the BTF type the verifier needs for the direct read. */
  struct tcp_sock* tp = bpf_skc_to_tcp_sock((void*)sk);
  return tp ? tp->write_seq : 0;
}

/* Request bytes queued on a watched server socket (tp_btf: direct reads). */
static __always_inline int on_arrival(const struct sock* sk, const struct sk_buff* skb) {
  if (!port_value(sk, true)) return 0;
  unsigned char* head = skb->head;
  __u16 th_off = skb->transport_header;
  __u32 len = skb->len;
  __u8 doff_byte = 0;
  /* doff is the high nibble of byte 12 of the TCP header. */
  if (bpf_probe_read_kernel(&doff_byte, 1, head + th_off + 12) != 0) return 0;
  if (len <= (__u32)(doff_byte >> 4) * 4) return 0; /* ACK, FIN, ...: no request bytes */

  __u64 key = (__u64)sk;
  __u64 now = bpf_ktime_get_ns();
  __u32 wseq = write_seq(sk, true);
  struct reqlat_sock* st = bpf_map_lookup_elem(&socks, &key);
  if (!st) {
    struct reqlat_sock fresh = {.arrival_ns = now, .arrival_write_seq = wseq};
    if (bpf_map_update_elem(&socks, &key, &fresh, BPF_NOEXIST) != 0)
      ts_note_map_full(TS_REQLAT_FULL_SOCKETS);
    return 0;
  }
  if (st->arrival_ns) {
    if (st->arrival_write_seq == wseq) return 0; /* same request (or pipelined batch) */
    /* The server wrote since that arrival: it was answered; its send hook is still to come. */
    if (!st->answered_ns) st->answered_ns = st->arrival_ns;
  }
  st->arrival_write_seq = wseq;
  st->arrival_ns = now;
  return 0;
}

/* The server wrote on the socket. `after_send`: the hook runs after the bytes were queued
 * (write_seq already moved), so only arrivals taken before the write are answered by it. */
static __always_inline int on_send(const struct sock* sk, bool after_send, bool btf) {
  __u32 slot = port_value(sk, btf);
  if (!slot || slot > TS_REQLAT_MAX_PORTS) return 0;
  __u64 key = (__u64)sk;
  struct reqlat_sock* st = bpf_map_lookup_elem(&socks, &key);
  if (!st) return 0;
  __u64 now = bpf_ktime_get_ns();
  __u64 answered = st->answered_ns;
  if (answered) {
    st->answered_ns = 0;
    hist_add(slot - 1, now - answered);
  }
  __u64 arrival = st->arrival_ns;
  if (!arrival) return 0;
  if (after_send && st->arrival_write_seq == write_seq(sk, btf)) return 0;
  st->arrival_ns = 0;
  hist_add(slot - 1, now - arrival);
  return 0;
}

static __always_inline int on_close(const struct sock* sk, int newstate) {
  if (newstate != TS_TCP_CLOSE || !port_value(sk, true)) return 0;
  __u64 key = (__u64)sk;
  bpf_map_delete_elem(&socks, &key);
  return 0;
}

/* The TCP socket behind a file descriptor of the current process, or NULL. */
static __always_inline const struct sock* fd_to_tcp_sock(long fd) {
  if (fd < 0) return NULL;
  struct task_struct* task = (struct task_struct*)bpf_get_current_task();
  struct fdtable* fdt = BPF_CORE_READ(task, files, fdt);
  if (!fdt) return NULL;
  if ((unsigned long)fd >= BPF_CORE_READ(fdt, max_fds)) return NULL;
  struct file** fds = BPF_CORE_READ(fdt, fd);
  struct file* file = NULL;
  if (bpf_probe_read_kernel(&file, sizeof(file), &fds[fd]) != 0 || !file) return NULL;
  umode_t mode = BPF_CORE_READ(file, f_inode, i_mode);
  if ((mode & TS_S_IFMT) != TS_S_IFSOCK) return NULL;
  struct socket* sock = BPF_CORE_READ(file, private_data);
  const struct sock* sk = BPF_CORE_READ(sock, sk);
  if (!sk || BPF_CORE_READ(sk, sk_protocol) != TS_IPPROTO_TCP) return NULL;
  return sk;
}

/* Loaded in every mode. */
SEC("tp_btf/tcp_probe")
int BPF_PROG(ts_reqlat_arrival, struct sock* sk, struct sk_buff* skb) {
  return on_arrival(sk, skb);
}
SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(ts_reqlat_close, struct sock* sk, int oldstate, int newstate) {
  return on_close(sk, newstate);
}

/* socket */
SEC("tp_btf/sock_send_length")
int BPF_PROG(ts_reqlat_send_sock, struct sock* sk, int ret, int flags) {
  if (ret <= 0 || sk->sk_protocol != TS_IPPROTO_TCP) return 0;
  return on_send(sk, true, true);
}

/* socket_syscall: the fd is the first argument of all four. */
static __always_inline int on_send_syscall(const struct trace_event_raw_sys_enter* ctx) {
  const struct sock* sk = fd_to_tcp_sock((long)ctx->args[0]);
  return sk ? on_send(sk, false, false) : 0;
}
SEC("tracepoint/syscalls/sys_enter_write")
int ts_reqlat_write_sys(struct trace_event_raw_sys_enter* ctx) {
  return on_send_syscall(ctx);
}
SEC("tracepoint/syscalls/sys_enter_writev")
int ts_reqlat_writev_sys(struct trace_event_raw_sys_enter* ctx) {
  return on_send_syscall(ctx);
}
SEC("tracepoint/syscalls/sys_enter_sendto")
int ts_reqlat_sendto_sys(struct trace_event_raw_sys_enter* ctx) {
  return on_send_syscall(ctx);
}
SEC("tracepoint/syscalls/sys_enter_sendmsg")
int ts_reqlat_sendmsg_sys(struct trace_event_raw_sys_enter* ctx) {
  return on_send_syscall(ctx);
}

/* usdt */
/* raw_tp, not tp_btf: a tp_btf program fails to load where the tracepoint does not exist
 * (before 6.3), and this one is optional. */
SEC("raw_tp/sock_recv_length")
int BPF_PROG(ts_reqlat_read_usdt, const struct sock* sk, int ret, int flags) {
  if (ret <= 0 || (flags & TS_MSG_PEEK) || !port_value(sk, false)) return 0;
  __u64 key = (__u64)sk;
  struct reqlat_sock* st = bpf_map_lookup_elem(&socks, &key);
  if (!st) return 0;
  /* 0 when no arrival was seen for these bytes: better no sample than a wrong one. */
  st->read_arrival_ns = st->arrival_ns;
  st->arrival_ns = 0;
  return 0;
}

SEC("usdt")
int BPF_USDT(ts_reqlat_parsed_usdt, int fd, __u64 seq) {
  __u64 now = bpf_ktime_get_ns();
  struct reqlat_request req = {.tgid = bpf_get_current_pid_tgid() >> 32, .fd = fd, .seq = seq};
  if (bpf_map_update_elem(&inflight, &req, &now, BPF_ANY) != 0)
    ts_note_map_full(TS_REQLAT_FULL_INFLIGHT);

  const struct sock* sk = fd_to_tcp_sock(fd);
  if (!sk) return 0;
  /* Learn the server's port so that arrivals on its sockets are timestamped. */
  __u32 port = BPF_CORE_READ(sk, __sk_common.skc_num);
  __u32* pv = bpf_map_lookup_elem(&ports, &port);
  if (pv && !*pv) *pv = TS_REQLAT_LEARNED_PORT;
  __u64 key = (__u64)sk;
  struct reqlat_sock* st = bpf_map_lookup_elem(&socks, &key);
  if (st && st->read_arrival_ns && st->read_arrival_ns <= now)
    hist_add(TS_REQLAT_HIST_USDT_ARRIVAL, now - st->read_arrival_ns);
  return 0;
}

SEC("usdt")
int BPF_USDT(ts_reqlat_queued_usdt, int fd, __u64 seq, int status) {
  struct reqlat_request req = {.tgid = bpf_get_current_pid_tgid() >> 32, .fd = fd, .seq = seq};
  __u64* parsed = bpf_map_lookup_elem(&inflight, &req);
  if (!parsed) return 0;
  __u64 delta = bpf_ktime_get_ns() - *parsed;
  bpf_map_delete_elem(&inflight, &req);
  hist_add(TS_REQLAT_HIST_USDT_SERVE, delta);
  return 0;
}

char LICENSE[] SEC("license") = "GPL";
