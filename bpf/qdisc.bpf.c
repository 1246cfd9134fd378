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
 *    is invisible to them, which is why the enqueue-side signal exists.
 *
 * CPU time in the qdisc path (what replacing the qdisc with noqueue removes, plus the residue
 * both paths share): net_dev_queue fires in __dev_queue_xmit() after the txq and its qdisc are
 * chosen, for qdisc and noqueue devices alike; net_dev_start_xmit fires in xmit_one() just
 * before the driver and net_dev_xmit just after it. Between them: __dev_xmit_skb() (busylock,
 * root lock, bypass or enqueue, qdisc_run_begin, dequeue, sch_direct_xmit, validate_xmit_skb,
 * HARD_TX_LOCK) on a qdisc device; validate_xmit_skb and HARD_TX_LOCK only on a noqueue one.
 * One per-CPU span, tagged with its skb (BH is disabled on the whole path; spans nest only
 * under a stacked device with its own qdisc, a vlan or bond over a NIC, where the lower
 * device's span ends the upper one as unpaired):
 *
 *  - opened at net_dev_queue; closed and timed at the start_xmit of that skb (or of its first
 *    GSO segment: the skb heading to the driver is tracked as `cur`);
 *  - start_xmit of another skb inside the span (this CPU's qdisc run sends older packets
 *    first) pauses it: that driver work is not qdisc time; its net_dev_xmit resumes it; the
 *    older packets count as "dequeued" here (their dequeue);
 *  - qdisc_enqueue while another CPU runs the qdisc, or a qdisc run that ends (dequeue of
 *    NULL) without sending the skb: the span ends there, its time is counted and the packet
 *    is "unpaired" (another CPU, the TX softirq or a qdisc watchdog sends it later);
 *  - qdisc_dequeue outside a span (sending packets queued by other CPUs or earlier) opens a
 *    dequeue-side span closed by the next start_xmit, counted as "dequeued" on this CPU;
 *  - after a driver call of this CPU's qdisc run, from its net_dev_xmit to the run's next
 *    dequeue: sch_direct_xmit re-takes the root lock, which the other CPUs' enqueues hold and
 *    bounce between caches. On a 2-vCPU VM under pfifo this tail was 0.7-0.9 us a packet,
 *    most of what pfifo cost (bpftrace, 2026-12-03), and a span ending at start_xmit missed it.
 * Not seen: qdisc_run_end and the unlocks after the run's last dequeue (no tracepoint). */
#include "common/ts_bpf.h"

#include "qdisc.bpf.h"

/* Userspace forgets a device that has sent nothing for a while (daemon/probes/qdisc.cpp): the
 * entries of destroyed devices (a host that churns through veths) do not fill the map. */
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

/* Everything a CPU has in flight; one lookup per program. */
struct cpu_state {
  __u64 start_ns;
  __u64 lock; /* lock tracepoint window: the lock waited for */
  __u64 dev;
  __u64 enqueue_start_ns; /* contended-enqueue window: from net_dev_queue ... */
  __u64 enqueue_skb;      /* ... to qdisc_enqueue of this skb */
  __u64 enqueue_dev;
  /* Qdisc-path span (see the top of this file). */
  __u64 span_skb; /* 0: no span */
  __u64 span_dev;
  __u64 span_start_ns; /* 0: paused while the driver sends another skb */
  __u64 span_acc_ns;   /* time of the finished segments */
  __u64 span_cur;      /* the skb this CPU is taking to the driver next */
  __u64 deq_dev;       /* dequeue-side span ... */
  __u64 deq_start_ns;  /* ... 0: none */
  __u64 deq_packets;
  __u64 span_qdisc;    /* the span's device has a qdisc: its run goes on after our driver call */
  __u64 run_dev;       /* this CPU runs that device's qdisc and has just called its driver ... */
  __u64 tail_start_ns; /* ... since this net_dev_xmit; 0: no tail open */
};

struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
  __uint(max_entries, 1);
  __type(key, __u32);
  __type(value, struct cpu_state);
} cpu_state SEC(".maps");

static __always_inline struct cpu_state* this_cpu_state(void) {
  __u32 zero = 0;
  return bpf_map_lookup_elem(&cpu_state, &zero);
}

/* A span segment longer than this is not one pass through the transmit path (BH is disabled
 * there): a lost close event left the span open. Dropped, the packet counted unpaired. */
#define TS_QDISC_SEGMENT_MAX_NS 1000000ULL

#define TS_TCQ_F_NOLOCK 0x100

/* The kernel's own "contended" test in __dev_xmit_skb(): another CPU is running the qdisc. */
static __always_inline bool qdisc_running(struct Qdisc* q) {
  if (!bpf_core_field_exists(q->state2)) return false;
  return BPF_CORE_READ(q, state2) & (1UL << __QDISC_STATE2_RUNNING);
}

/* Lockless qdiscs (pfifo_fast) run under q->seqlock instead (qdisc_is_running()). */
static __always_inline bool nolock_qdisc_running(struct Qdisc* q) {
  if (!bpf_core_field_exists(q->seqlock)) return false;
  return BPF_CORE_READ(q, seqlock.rlock.raw_lock.val.counter) != 0;
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

/* `old`: the entry this device's pointer had, NULL if none. */
static __always_inline void learn_device(__u64 dev_key, struct net_device* dev,
                                         const struct qdisc_dev* old) {
  struct qdisc_dev d = {};
  struct Qdisc* root = BPF_CORE_READ(dev, qdisc);
  d.root_qdisc = (__u64)root;
  d.learned_ns = bpf_ktime_get_ns();
  d.ifindex = BPF_CORE_READ(dev, ifindex);
  if (bpf_core_field_exists(dev->nd_net.net)) { /* CONFIG_NET_NS */
    d.netns = BPF_CORE_READ(dev, nd_net.net, ns.inum);
  }
  d.has_parent = BPF_CORE_READ(dev, dev.parent) != 0;
  /* A new device where a destroyed one was: its counters start from zero, not from the old
   * one's (a series that appears is counted from zero). */
  if (old && (old->ifindex != d.ifindex || old->netns != d.netns)) {
    bpf_map_delete_elem(&stats, &dev_key);
  }
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

/* Ends the CPU's span: its time goes to the device, the packet counts as timed (it reached
 * the driver here) or unpaired. `now` 0: no open segment to add. */
static __always_inline void span_end(struct cpu_state* w, __u64 now, bool timed) {
  __u64 total = w->span_acc_ns;
  bool sane = true;
  if (now && w->span_start_ns) {
    __u64 seg = now - w->span_start_ns;
    if (seg > TS_QDISC_SEGMENT_MAX_NS) sane = false;
    total += seg;
  }
  __u64 dev = w->span_dev;
  w->span_skb = 0;
  struct qdisc_stat* st = stat_of(dev);
  if (!st) return;
  if (!sane) {
    st->unpaired += 1;
    return;
  }
  st->path_ns += total;
  if (timed) {
    st->timed += 1;
  } else {
    st->unpaired += 1;
  }
}

/* Ends the CPU's span without its time: a span left open past a run that ended untraced
 * (a stopped driver queue, a spent quota) would otherwise carry whatever ran meanwhile. */
static __always_inline void span_drop(struct cpu_state* w) {
  w->span_skb = 0;
  struct qdisc_stat* st = stat_of(w->span_dev);
  if (st) st->unpaired += 1;
}

static __always_inline void tail_end(struct cpu_state* w, __u64 now) {
  __u64 t = now - w->tail_start_ns;
  w->tail_start_ns = 0;
  struct qdisc_stat* st = w->run_dev ? stat_of(w->run_dev) : 0;
  if (st && t <= TS_QDISC_SEGMENT_MAX_NS) st->path_ns += t;
}

static __always_inline void span_open(struct cpu_state* w, __u64 skb, __u64 dev_key,
                                      bool has_qdisc) {
  if (w->span_skb) span_end(w, 0, false); /* never reached the driver here, never handed off */
  w->deq_start_ns = 0;
  w->run_dev = 0; /* a run left without its last dequeue (quota spent): its tail is not ours */
  w->tail_start_ns = 0;
  w->span_qdisc = has_qdisc;
  w->span_skb = skb;
  w->span_cur = skb;
  w->span_dev = dev_key;
  w->span_acc_ns = 0;
  w->span_start_ns = bpf_ktime_get_ns(); /* last: the span holds as little of us as possible */
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
    learn_device(dev_key, dev, d);
    d = bpf_map_lookup_elem(&devices, &dev_key);
    if (!d) return 0;
  }
  struct cpu_state* w = this_cpu_state();
  if (!w) return 0;
  /* noqueue: no qdisc, no qdisc lock; its span is the baseline a qdisc adds to. */
  if (!BPF_CORE_READ(q, enqueue)) {
    w->enqueue_skb = 0;
    span_open(w, (__u64)skb, dev_key, false);
    return 0;
  }
  if (d->last_qdisc != (__u64)q) {
    learn_locks(dev_key, q);
    d->last_qdisc = (__u64)q;
  }
  struct qdisc_stat* st = stat_of(dev_key);
  if (st) st->packets += 1;
  /* Lockless qdiscs (pfifo_fast, ...) take no root lock on enqueue. */
  if (!(BPF_CORE_READ(q, flags) & TS_TCQ_F_NOLOCK) && qdisc_running(q)) {
    w->enqueue_skb = (__u64)skb;
    w->enqueue_dev = dev_key;
    w->enqueue_start_ns = bpf_ktime_get_ns();
  } else {
    w->enqueue_skb = 0;
  }
  span_open(w, (__u64)skb, dev_key, true);
  return 0;
}

static __always_inline int on_qdisc_enqueue(struct Qdisc* q, struct sk_buff* skb) {
  struct cpu_state* w = this_cpu_state();
  if (!w) return 0;
  __u64 now = bpf_ktime_get_ns();
  if (w->enqueue_skb && w->enqueue_skb == (__u64)skb) {
    __u64 wait = now - w->enqueue_start_ns;
    w->enqueue_skb = 0;
    struct qdisc_stat* st = stat_of(w->enqueue_dev);
    if (st) {
      st->contentions += 1;
      st->wait_ns += wait;
    }
  }
  /* Enqueued while another CPU runs the qdisc: that CPU sends it, this one leaves now. The
   * test is exact for locked qdiscs (we hold the root lock, under which the bit changes). */
  if (w->span_skb == (__u64)skb) {
    bool nolock = BPF_CORE_READ(q, flags) & TS_TCQ_F_NOLOCK;
    if (nolock ? nolock_qdisc_running(q) : qdisc_running(q)) span_end(w, now, false);
  }
  return 0;
}

static __always_inline int on_qdisc_dequeue(const struct netdev_queue* txq, int packets,
                                            struct sk_buff* skb, bool btf) {
  struct cpu_state* w = this_cpu_state();
  if (!w) return 0;
  __u64 now = bpf_ktime_get_ns();
  __u64 dev = (__u64)TS_READ(btf, txq, dev);
  w->enqueue_skb = 0; /* a bypass or a drop left it: past the enqueue either way */
  if (w->tail_start_ns) {
    if (dev == w->run_dev) {
      tail_end(w, now);
    } else {
      w->tail_start_ns = 0; /* another device's run (a bypass has no run to go on with) */
    }
  }
  if (!skb) w->run_dev = 0;
  if (w->span_skb && dev != w->span_dev) span_drop(w);
  if (w->span_skb) {
    if (!skb) {
      span_end(w, now, false); /* the run ends and our skb is still queued */
      return 0;
    }
    if (!w->span_start_ns) w->span_start_ns = now; /* a driver call without net_dev_xmit */
    w->span_cur = (__u64)skb;
    if ((__u64)skb != w->span_skb) {
      /* Older packets ahead of ours, queued when another CPU's run ended early: this CPU
       * sends them for their enqueuers (unpaired there), inside its own span. */
      struct qdisc_stat* st = stat_of(w->span_dev);
      if (st) st->dequeued += packets > 0 ? packets : 1;
    }
    return 0;
  }
  if (!skb) {
    w->deq_start_ns = 0;
    return 0;
  }
  /* Sending a packet queued earlier (by any CPU): its dequeue side runs here. */
  w->deq_dev = dev;
  w->deq_packets = packets > 0 ? packets : 1;
  w->deq_start_ns = bpf_ktime_get_ns();
  return 0;
}

static __always_inline int on_start_xmit(const struct sk_buff* skb) {
  __u64 now = bpf_ktime_get_ns();
  struct cpu_state* w = this_cpu_state();
  if (!w) return 0;
  w->tail_start_ns = 0; /* the next GSO segment: the driver loop, not the qdisc */
  w->enqueue_skb = 0;
  if (w->span_skb) {
    /* Ours: the skb itself (bulk dequeue), or what we took to the driver (GSO segments). */
    if (w->span_skb == (__u64)skb || (w->span_start_ns && w->span_cur == w->span_skb)) {
      if (w->span_qdisc) w->run_dev = w->span_dev;
      span_end(w, now, true);
    } else if (w->span_start_ns && now - w->span_start_ns > TS_QDISC_SEGMENT_MAX_NS) {
      span_drop(w); /* not one pass through the path: a close event was lost */
    } else if (w->span_start_ns) {
      w->span_acc_ns += now - w->span_start_ns;
      w->span_start_ns = 0;
    }
    return 0;
  }
  if (w->deq_start_ns) {
    __u64 t = now - w->deq_start_ns;
    w->deq_start_ns = 0;
    w->run_dev = w->deq_dev;
    struct qdisc_stat* st = stat_of(w->deq_dev);
    if (st && t <= TS_QDISC_SEGMENT_MAX_NS) {
      st->path_ns += t;
      st->dequeued += w->deq_packets;
    }
  }
  return 0;
}

/* The driver returned: a paused span resumes, or this CPU's qdisc run goes on to its next
 * dequeue (the tail). */
static __always_inline int on_dev_xmit(void) {
  __u64 now = bpf_ktime_get_ns();
  struct cpu_state* w = this_cpu_state();
  if (!w) return 0;
  if (w->span_skb) {
    if (!w->span_start_ns) w->span_start_ns = now;
    return 0;
  }
  if (w->run_dev) w->tail_start_ns = now;
  return 0;
}

static __always_inline int on_contention_begin(void* lock) {
  __u64 addr = (__u64)lock;
  __u64* dev = bpf_map_lookup_elem(&locks, &addr);
  if (!dev) return 0;
  struct cpu_state* w = this_cpu_state();
  if (!w || w->enqueue_skb) return 0; /* inside a contended enqueue: already timed there */
  w->lock = addr;
  w->dev = *dev;
  w->start_ns = bpf_ktime_get_ns();
  return 0;
}

static __always_inline int on_contention_end(void* lock) {
  struct cpu_state* w = this_cpu_state();
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
  return on_qdisc_enqueue(q, skb);
}
SEC("tp_btf/qdisc_dequeue")
int BPF_PROG(ts_qdisc_dequeue_btf, struct Qdisc* q, const struct netdev_queue* txq, int packets,
             struct sk_buff* skb) {
  return on_qdisc_dequeue(txq, packets, skb, true);
}
SEC("tp_btf/net_dev_start_xmit")
int BPF_PROG(ts_qdisc_start_xmit_btf, const struct sk_buff* skb, const struct net_device* dev) {
  return on_start_xmit(skb);
}
SEC("tp_btf/net_dev_xmit")
int BPF_PROG(ts_qdisc_dev_xmit_btf, struct sk_buff* skb, int rc, struct net_device* dev,
             unsigned int len) {
  return on_dev_xmit();
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
  return on_qdisc_enqueue(q, skb);
}
SEC("raw_tp/qdisc_dequeue")
int BPF_PROG(ts_qdisc_dequeue_raw, struct Qdisc* q, const struct netdev_queue* txq, int packets,
             struct sk_buff* skb) {
  return on_qdisc_dequeue(txq, packets, skb, false);
}
SEC("raw_tp/net_dev_start_xmit")
int BPF_PROG(ts_qdisc_start_xmit_raw, const struct sk_buff* skb, const struct net_device* dev) {
  return on_start_xmit(skb);
}
SEC("raw_tp/net_dev_xmit")
int BPF_PROG(ts_qdisc_dev_xmit_raw, struct sk_buff* skb, int rc, struct net_device* dev,
             unsigned int len) {
  return on_dev_xmit();
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
