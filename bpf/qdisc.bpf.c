// SPDX-License-Identifier: GPL-2.0
/* Contention on qdisc locks, per device. net:net_dev_queue runs for every packet handed to a
 * device after the transmit queue is picked: from skb->dev and skb->queue_mapping it finds
 * that queue's qdisc (dev->_tx[queue].qdisc) and learns the addresses of its root lock
 * (qdisc_lock(q) = &q->q.lock) and busylock. Two signals, never counted twice:
 *
 *  - contended enqueue: at net_dev_queue the qdisc is already running on another CPU
 *    (__QDISC_STATE2_RUNNING), which is exactly when __dev_xmit_skb() serializes this CPU on
 *    the busylock and then the root lock. The wait is the time from net_dev_queue to
 *    qdisc:qdisc_enqueue for that skb on this CPU (both locks acquired, enqueue done).
 *  - lock:contention_begin/end on a learned lock outside such a window (the dequeue side,
 *    net_tx_action). These tracepoints only fire when a spinlock waiter queues (MCS path):
 *    a lone waiter spinning on the pending bit, or any waiter in a VM using virt_spin_lock,
 *    is invisible to them, which is why the enqueue-side signal exists. */
#include "common/ts_bpf.h"

#include "qdisc.bpf.h"

struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, 256); /* userspace sets --qdisc.max-devices */
  __type(key, __u64);       /* struct net_device * */
  __type(value, struct qdisc_dev);
} devices SEC(".maps");

/* Learned lock address -> device. LRU: locks of destroyed qdiscs age out. */
struct {
  __uint(type, BPF_MAP_TYPE_LRU_HASH);
  __uint(max_entries, 1024); /* 4 x max devices */
  __type(key, __u64);
  __type(value, __u64);
} locks SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_HASH);
  __uint(max_entries, 256); /* max devices */
  __type(key, __u64);
  __type(value, struct qdisc_stat);
} stats SEC(".maps");

struct wait_state {
  __u64 start_ns;
  __u64 lock; /* lock tracepoint window: the lock waited for */
  __u64 dev;
  __u64 enqueue_start_ns; /* contended-enqueue window: from net_dev_queue ... */
  __u64 enqueue_skb;      /* ... to qdisc_enqueue of this skb */
  __u64 enqueue_dev;
};

struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
  __uint(max_entries, 1);
  __type(key, __u32);
  __type(value, struct wait_state);
} waiting SEC(".maps");

static __always_inline struct wait_state* this_cpu_wait(void) {
  __u32 zero = 0;
  return bpf_map_lookup_elem(&waiting, &zero);
}

#define TS_TCQ_F_NOLOCK 0x100

/* The kernel's own "contended" test in __dev_xmit_skb(): another CPU is running the qdisc. */
static __always_inline bool qdisc_running(struct Qdisc* q) {
  if (!bpf_core_field_exists(q->state2)) return false;
  return BPF_CORE_READ(q, state2) & (1UL << __QDISC_STATE2_RUNNING);
}

static __always_inline struct qdisc_stat* stat_of(__u64 dev) {
  struct qdisc_stat* st = bpf_map_lookup_elem(&stats, &dev);
  if (st) return st;
  struct qdisc_stat zero = {};
  if (bpf_map_update_elem(&stats, &dev, &zero, BPF_NOEXIST) != 0 &&
      bpf_map_lookup_elem(&stats, &dev) == 0) {
    ts_note_map_full(TS_QDISC_FULL_STATS);
    return 0;
  }
  return bpf_map_lookup_elem(&stats, &dev);
}

static __always_inline void learn_device(__u64 dev_key, struct net_device* dev) {
  struct qdisc_dev d = {};
  struct Qdisc* root = BPF_CORE_READ(dev, qdisc);
  d.root_qdisc = (__u64)root;
  d.ifindex = BPF_CORE_READ(dev, ifindex);
  bpf_probe_read_kernel_str(d.name, sizeof(d.name), &dev->name);
  if (root) {
    const struct Qdisc_ops* ops = BPF_CORE_READ(root, ops);
    if (ops) bpf_probe_read_kernel_str(d.kind, sizeof(d.kind), &ops->id);
  }
  if (bpf_map_update_elem(&devices, &dev_key, &d, BPF_ANY) != 0) {
    ts_note_map_full(TS_QDISC_FULL_DEVICES);
  }
}

static __always_inline void learn_locks(__u64 dev_key, struct Qdisc* q) {
  __u64 root_lock = (__u64)&q->q.lock;
  bpf_map_update_elem(&locks, &root_lock, &dev_key, BPF_ANY);
  if (bpf_core_field_exists(q->busylock)) {
    __u64 busylock = (__u64)&q->busylock;
    bpf_map_update_elem(&locks, &busylock, &dev_key, BPF_ANY);
  }
}

static __always_inline int on_dev_queue(struct sk_buff* skb, bool btf) {
  struct net_device* dev = TS_READ(btf, skb, dev);
  if (!dev) return 0;
  __u32 queue = TS_READ(btf, skb, queue_mapping);
  if (queue >= TS_READ(btf, dev, num_tx_queues)) return 0;
  struct netdev_queue* txq = TS_READ(btf, dev, _tx);
  if (!txq) return 0;
  /* An indexed pointer has no BTF type for the verifier: q and its fields are probe reads. */
  txq = (void*)txq + queue * bpf_core_type_size(struct netdev_queue);
  struct Qdisc* q = BPF_CORE_READ(txq, qdisc);
  if (!q) return 0;

  __u64 dev_key = (__u64)dev;
  struct qdisc_dev* d = bpf_map_lookup_elem(&devices, &dev_key);
  if (!d || d->root_qdisc != (__u64)TS_READ(btf, dev, qdisc)) {
    learn_device(dev_key, dev);
    d = bpf_map_lookup_elem(&devices, &dev_key);
    if (!d) return 0;
  }
  if (!BPF_CORE_READ(q, enqueue)) return 0; /* noqueue: no qdisc, no qdisc lock */
  if (d->last_qdisc != (__u64)q) {
    learn_locks(dev_key, q);
    d->last_qdisc = (__u64)q;
  }
  struct qdisc_stat* st = stat_of(dev_key);
  if (st) st->packets += 1;
  /* Lockless qdiscs (pfifo_fast, ...) take no root lock on enqueue. */
  if (BPF_CORE_READ(q, flags) & TS_TCQ_F_NOLOCK) return 0;
  struct wait_state* w = this_cpu_wait();
  if (!w) return 0;
  if (qdisc_running(q)) {
    w->enqueue_skb = (__u64)skb;
    w->enqueue_dev = dev_key;
    w->enqueue_start_ns = bpf_ktime_get_ns();
  } else {
    w->enqueue_skb = 0;
  }
  return 0;
}

static __always_inline int on_qdisc_enqueue(struct sk_buff* skb) {
  struct wait_state* w = this_cpu_wait();
  if (!w || !w->enqueue_skb || w->enqueue_skb != (__u64)skb) return 0;
  __u64 wait = bpf_ktime_get_ns() - w->enqueue_start_ns;
  w->enqueue_skb = 0;
  struct qdisc_stat* st = stat_of(w->enqueue_dev);
  if (st) {
    st->contentions += 1;
    st->wait_ns += wait;
  }
  return 0;
}

static __always_inline int on_contention_begin(void* lock) {
  __u64 addr = (__u64)lock;
  __u64* dev = bpf_map_lookup_elem(&locks, &addr);
  if (!dev) return 0;
  struct wait_state* w = this_cpu_wait();
  if (!w || w->enqueue_skb) return 0; /* inside a contended enqueue: already timed there */
  w->lock = addr;
  w->dev = *dev;
  w->start_ns = bpf_ktime_get_ns();
  return 0;
}

static __always_inline int on_contention_end(void* lock) {
  struct wait_state* w = this_cpu_wait();
  if (!w || w->lock != (__u64)lock) return 0;
  __u64 wait = bpf_ktime_get_ns() - w->start_ns;
  w->lock = 0;
  struct qdisc_stat* st = stat_of(w->dev);
  if (st) {
    st->contentions += 1;
    st->wait_ns += wait;
  }
  return 0;
}

SEC("tp_btf/net_dev_queue")
int BPF_PROG(ts_qdisc_dev_queue_btf, struct sk_buff* skb) {
  return on_dev_queue(skb, true);
}
SEC("tp_btf/qdisc_enqueue")
int BPF_PROG(ts_qdisc_enqueue_btf, struct Qdisc* q, const struct netdev_queue* txq,
             struct sk_buff* skb) {
  return on_qdisc_enqueue(skb);
}
SEC("tp_btf/contention_begin")
int BPF_PROG(ts_qdisc_contention_begin_btf, void* lock, unsigned int flags) {
  return on_contention_begin(lock);
}
SEC("tp_btf/contention_end")
int BPF_PROG(ts_qdisc_contention_end_btf, void* lock, int ret) {
  return on_contention_end(lock);
}

SEC("raw_tp/net_dev_queue")
int BPF_PROG(ts_qdisc_dev_queue_raw, struct sk_buff* skb) {
  return on_dev_queue(skb, false);
}
SEC("raw_tp/qdisc_enqueue")
int BPF_PROG(ts_qdisc_enqueue_raw, struct Qdisc* q, const struct netdev_queue* txq,
             struct sk_buff* skb) {
  return on_qdisc_enqueue(skb);
}
SEC("raw_tp/contention_begin")
int BPF_PROG(ts_qdisc_contention_begin_raw, void* lock, unsigned int flags) {
  return on_contention_begin(lock);
}
SEC("raw_tp/contention_end")
int BPF_PROG(ts_qdisc_contention_end_raw, void* lock, int ret) {
  return on_contention_end(lock);
}

char LICENSE[] SEC("license") = "GPL";
