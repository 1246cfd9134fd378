#include "probes/qdisc.h"

#include <chrono>
#include <cstring>
#include <map>
#include <mutex>
#include <string>
#include <utility>

#include "metrics/family.h"
#include "probes/qdisc_metrics.h"
#include "probes/skeleton_probe.h"
#include "qdisc.skel.h"

extern "C" {
#include "qdisc.bpf.h"
}

namespace tunescope::probes {
namespace {

constexpr ProbeMode kModes[] = {
    {"tp_btf", "_btf",
     "BTF-typed tracepoints net:net_dev_queue, net:net_dev_start_xmit, net:net_dev_xmit, "
     "qdisc:qdisc_enqueue/dequeue, lock:contention_begin/end (kernel >= 5.19)"},
    {"raw_tp", "_raw",
     "raw tracepoints net:net_dev_queue, net:net_dev_start_xmit, net:net_dev_xmit, "
     "qdisc:qdisc_enqueue/dequeue, lock:contention_begin/end"},
};

constexpr std::string_view kMapNames[] = {"devices", "stats"};
// Per-CPU lock waits, contended enqueues and qdisc-path spans in progress.
constexpr std::string_view kTransientMaps[] = {"cpu_state"};

std::string CString(const char* s, size_t max) {
  return std::string(s, strnlen(s, max));
}

class QdiscProbe final : public SkeletonProbe<qdisc_bpf> {
 public:
  QdiscProbe()
      : SkeletonProbe(
            {qdisc_bpf__open_opts, qdisc_bpf__load, qdisc_bpf__destroy},
            {"qdisc",
             "CPU time in the qdisc path per device and CPU, qdisc root lock and busylock "
             "contention per device, packets enqueued, qdisc kind",
             kModes, kMapNames, kTransientMaps}) {}

  std::vector<prometheus::MetricFamily> Collect() const override {
    struct Row {
      std::string kind;
      uint64_t learned_ns = 0;  // of the entry whose kind holds
      bool has_parent = false;
      std::vector<qdisc_stat> per_cpu;  // indexed by CPU
    };
    // Names repeat across network namespaces (every container's eth0): a device is its name in
    // its namespace. A destroyed device not yet forgotten and a new one of the same name add
    // up, and the newer one's kind holds.
    std::map<std::pair<std::string, uint32_t>, Row> rows;
    const qdisc_bpf& s = *skel();
    int devices_fd = bpf_map__fd(s.maps.devices);
    int stats_fd = bpf_map__fd(s.maps.stats);
    std::lock_guard lock(idle_mutex_);
    const auto now = std::chrono::steady_clock::now();
    std::map<uint64_t, Activity> active;
    for (uint64_t dev : MapKeys<uint64_t>(devices_fd, max_devices_)) {
      qdisc_dev d{};
      if (bpf_map_lookup_elem(devices_fd, &dev, &d) != 0) continue;
      auto per_cpu = ReadPerCpu<qdisc_stat>(stats_fd, &dev);
      uint64_t events = 0;
      for (const qdisc_stat& st : per_cpu.value_or(std::vector<qdisc_stat>{})) {
        events += st.packets + st.timed + st.unpaired + st.dequeued + st.contentions;
      }
      Activity a{events, now};
      if (auto it = activity_.find(dev); it != activity_.end() && it->second.events == events) {
        a.since = it->second.since;
      }
      if (now - a.since >= forget_after_) {  // idle (or destroyed): make room for new devices
        bpf_map_delete_elem(stats_fd, &dev);
        bpf_map_delete_elem(devices_fd, &dev);
        continue;
      }
      active[dev] = a;
      std::string device = CString(d.name, sizeof(d.name));
      if (device.empty()) device = "ifindex" + std::to_string(d.ifindex);
      Row& row = rows[{device, d.netns}];
      if (row.kind.empty() || d.learned_ns > row.learned_ns) {
        std::string kind = CString(d.kind, sizeof(d.kind));
        row.kind = kind.empty() ? "unknown" : kind;
        row.learned_ns = d.learned_ns;
        row.has_parent = d.has_parent != 0;
      }
      if (per_cpu) {
        row.per_cpu.resize(per_cpu->size());
        for (size_t cpu = 0; cpu < per_cpu->size(); ++cpu) {
          const qdisc_stat& st = (*per_cpu)[cpu];
          qdisc_stat& sum = row.per_cpu[cpu];
          sum.packets += st.packets;
          sum.contentions += st.contentions;
          sum.wait_ns += st.wait_ns;
          sum.path_ns += st.path_ns;
          sum.timed += st.timed;
          sum.unpaired += st.unpaired;
          sum.dequeued += st.dequeued;
        }
      }
    }
    activity_ = std::move(active);
    auto contentions = metrics::CounterFamily(
        qdisc_metrics::kLockContentions,
        "Contended qdisc lock acquisitions of a device: enqueues that found the qdisc running "
        "on another CPU (serialized on busylock and root lock), plus contended root lock or "
        "busylock acquisitions seen by lock:contention_begin elsewhere.");
    auto wait = metrics::CounterFamily(
        qdisc_metrics::kLockWaitSeconds,
        "Time spent waiting for a device's qdisc root lock and busylock in those acquisitions.");
    auto packets = metrics::CounterFamily(
        qdisc_metrics::kPackets,
        "Packets handed to a device's qdisc, per CPU that enqueued them (devices with noqueue "
        "have none).");
    auto seconds = metrics::CounterFamily(
        qdisc_metrics::kSeconds,
        "CPU time in a device's transmit path between net:net_dev_queue (txq and qdisc chosen) "
        "and net:net_dev_start_xmit (the driver), per CPU where it ran: enqueue, qdisc locks, "
        "dequeue, sch_direct_xmit, validate_xmit_skb; plus dequeue-to-driver time of packets "
        "sent from the queue later, and a qdisc run's time from each driver return "
        "(net:net_dev_xmit) to its next dequeue (the root lock re-taken). On noqueue devices only "
        "the shared residue "
        "(validate_xmit_skb, tx lock): the difference is what a qdisc costs.");
    auto timed = metrics::CounterFamily(
        qdisc_metrics::kTimedPackets,
        "Packets timed from net_dev_queue to their own net_dev_start_xmit on the same CPU.");
    auto unpaired = metrics::CounterFamily(
        qdisc_metrics::kUnpairedPackets,
        "Packets that entered a device's transmit path on a CPU but did not reach the driver "
        "there (queued for another CPU's or a later qdisc run, dropped): their time until "
        "they left is counted, their later dequeue side on the CPU that sends them.");
    auto dequeued = metrics::CounterFamily(
        qdisc_metrics::kDequeuedPackets,
        "Packets a CPU dequeued from a device's qdisc and sent after their own enqueue had "
        "left (queued earlier or by another CPU); dequeue-to-driver time is counted.");
    auto info = metrics::GaugeFamily(
        qdisc_metrics::kInfo,
        "The kind of each device's root qdisc, and whether the device is virtual (no bus device "
        "below it: lo, veth, bridge); 1 per device.");
    for (const auto& [key, row] : rows) {
      const auto& [device, netns_inode] = key;
      const std::string netns = std::to_string(netns_inode);
      qdisc_stat total{};
      for (size_t cpu = 0; cpu < row.per_cpu.size(); ++cpu) {
        const qdisc_stat& st = row.per_cpu[cpu];
        total.contentions += st.contentions;
        total.wait_ns += st.wait_ns;
        // Only CPUs that sent on this device get series: cardinality stays devices x senders.
        if (st.packets == 0 && st.path_ns == 0 && st.timed == 0 && st.unpaired == 0 &&
            st.dequeued == 0) {
          continue;
        }
        metrics::Labels labels{{"device", device}, {"netns", netns}, {"cpu", std::to_string(cpu)}};
        if (st.packets != 0) packets.Counter(labels, static_cast<double>(st.packets));
        seconds.Counter(labels, static_cast<double>(st.path_ns) * 1e-9);
        timed.Counter(labels, static_cast<double>(st.timed));
        unpaired.Counter(labels, static_cast<double>(st.unpaired));
        dequeued.Counter(labels, static_cast<double>(st.dequeued));
      }
      metrics::Labels labels{{"device", device}, {"netns", netns}};
      contentions.Counter(labels, static_cast<double>(total.contentions));
      wait.Counter(labels, static_cast<double>(total.wait_ns) * 1e-9);
      info.Gauge({{"device", device},
                  {"netns", netns},
                  {"kind", row.kind},
                  {"virtual", row.has_parent ? "false" : "true"}},
                 1);
    }
    std::vector<prometheus::MetricFamily> out;
    metrics::Append(out, std::move(contentions));
    metrics::Append(out, std::move(wait));
    metrics::Append(out, std::move(packets));
    metrics::Append(out, std::move(seconds));
    metrics::Append(out, std::move(timed));
    metrics::Append(out, std::move(unpaired));
    metrics::Append(out, std::move(dequeued));
    metrics::Append(out, std::move(info));
    return out;
  }

 protected:
  Status Configure(qdisc_bpf& s, const ProbeMode&, const ProbeConfig& config) override {
    max_devices_ = config.max_qdisc_devices;
    forget_after_ = std::chrono::duration_cast<std::chrono::steady_clock::duration>(
        std::chrono::duration<double>(config.qdisc_forget_idle_s));
    if (bpf_map__set_max_entries(s.maps.devices, max_devices_) != 0 ||
        bpf_map__set_max_entries(s.maps.stats, max_devices_) != 0 ||
        bpf_map__set_max_entries(s.maps.locks, 4 * max_devices_) != 0) {
      return Status::Error(ErrnoMessage("set map size", errno));
    }
    return {};
  }

 private:
  // A device's events (packets, spans, contentions) when last seen to change.
  struct Activity {
    uint64_t events = 0;
    std::chrono::steady_clock::time_point since;
  };
  uint32_t max_devices_ = 256;
  std::chrono::steady_clock::duration forget_after_ = std::chrono::minutes(10);
  mutable std::mutex idle_mutex_;
  mutable std::map<uint64_t, Activity> activity_;
};

}  // namespace

std::unique_ptr<Probe> MakeQdiscProbe() {
  return std::make_unique<QdiscProbe>();
}

}  // namespace tunescope::probes
