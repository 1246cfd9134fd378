#include "probes/qdisc.h"

#include <cstring>
#include <map>
#include <string>

#include "metrics/family.h"
#include "probes/skeleton_probe.h"
#include "qdisc.skel.h"

extern "C" {
#include "qdisc.bpf.h"
}

namespace tunescope::probes {
namespace {

constexpr ProbeMode kModes[] = {
    {"tp_btf", "_btf",
     "BTF-typed tracepoints net:net_dev_queue, qdisc:qdisc_enqueue, lock:contention_begin/end "
     "(kernel >= 5.19)"},
    {"raw_tp", "_raw",
     "raw tracepoints net:net_dev_queue, qdisc:qdisc_enqueue, lock:contention_begin/end"},
};

constexpr std::string_view kMapNames[] = {"devices", "stats"};
// Per-CPU lock waits and contended enqueues in progress.
constexpr std::string_view kTransientMaps[] = {"waiting"};

std::string CString(const char* s, size_t max) {
  return std::string(s, strnlen(s, max));
}

class QdiscProbe final : public SkeletonProbe<qdisc_bpf> {
 public:
  QdiscProbe()
      : SkeletonProbe(
            {qdisc_bpf__open_opts, qdisc_bpf__load, qdisc_bpf__destroy},
            {"qdisc",
             "qdisc root lock and busylock contention per device, packets enqueued, qdisc kind",
             kModes, kMapNames, kTransientMaps}) {}

  std::vector<prometheus::MetricFamily> Collect() const override {
    struct Row {
      std::map<std::string, bool> kinds;
      qdisc_stat stat{};
    };
    // Devices of different network namespaces may share a name: their series add up.
    std::map<std::string, Row> rows;
    const qdisc_bpf& s = *skel();
    int devices_fd = bpf_map__fd(s.maps.devices);
    int stats_fd = bpf_map__fd(s.maps.stats);
    for (uint64_t dev : MapKeys<uint64_t>(devices_fd, max_devices_)) {
      qdisc_dev d{};
      if (bpf_map_lookup_elem(devices_fd, &dev, &d) != 0) continue;
      std::string device = CString(d.name, sizeof(d.name));
      if (device.empty()) device = "ifindex" + std::to_string(d.ifindex);
      Row& row = rows[device];
      std::string kind = CString(d.kind, sizeof(d.kind));
      row.kinds[kind.empty() ? "unknown" : kind] = true;
      if (auto per_cpu = ReadPerCpu<qdisc_stat>(stats_fd, &dev)) {
        for (const qdisc_stat& st : *per_cpu) {
          row.stat.packets += st.packets;
          row.stat.contentions += st.contentions;
          row.stat.wait_ns += st.wait_ns;
        }
      }
    }
    auto contentions = metrics::CounterFamily(
        "tunescope_qdisc_lock_contentions_total",
        "Contended qdisc lock acquisitions of a device: enqueues that found the qdisc running "
        "on another CPU (serialized on busylock and root lock), plus contended root lock or "
        "busylock acquisitions seen by lock:contention_begin elsewhere.");
    auto wait = metrics::CounterFamily(
        "tunescope_qdisc_lock_wait_seconds_total",
        "Time spent waiting for a device's qdisc root lock and busylock in those acquisitions.");
    auto packets = metrics::CounterFamily(
        "tunescope_qdisc_packets_total",
        "Packets handed to a device's qdisc (devices with noqueue have none).");
    auto info = metrics::GaugeFamily(
        "tunescope_qdisc_info", "The kind of each device's root qdisc (1 per device and kind).");
    for (const auto& [device, row] : rows) {
      metrics::Labels labels{{"device", device}};
      contentions.Counter(labels, static_cast<double>(row.stat.contentions));
      wait.Counter(labels, static_cast<double>(row.stat.wait_ns) * 1e-9);
      packets.Counter(labels, static_cast<double>(row.stat.packets));
      for (const auto& [kind, unused] : row.kinds)
        info.Gauge({{"device", device}, {"kind", kind}}, 1);
    }
    std::vector<prometheus::MetricFamily> out;
    metrics::Append(out, std::move(contentions));
    metrics::Append(out, std::move(wait));
    metrics::Append(out, std::move(packets));
    metrics::Append(out, std::move(info));
    return out;
  }

 protected:
  Status Configure(qdisc_bpf& s, const ProbeMode&, const ProbeConfig& config) override {
    max_devices_ = config.max_qdisc_devices;
    if (bpf_map__set_max_entries(s.maps.devices, max_devices_) != 0 ||
        bpf_map__set_max_entries(s.maps.stats, max_devices_) != 0 ||
        bpf_map__set_max_entries(s.maps.locks, 4 * max_devices_) != 0) {
      return Status::Error(ErrnoMessage("set map size", errno));
    }
    return {};
  }

 private:
  uint32_t max_devices_ = 256;
};

}  // namespace

std::unique_ptr<Probe> MakeQdiscProbe() {
  return std::make_unique<QdiscProbe>();
}

}  // namespace tunescope::probes
