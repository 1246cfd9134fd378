#include "probes/xcpu.h"

#include <net/if.h>

#include <string>

#include "metrics/family.h"
#include "probes/skeleton_probe.h"
#include "probes/xcpu_metrics.h"
#include "xcpu.skel.h"

extern "C" {
#include "xcpu.bpf.h"
}

namespace tunescope::probes {
namespace {

constexpr ProbeMode kModes[] = {
    {"tp_btf", "_btf",
     "BTF-typed tracepoints sock:sk_data_ready, sock:sock_recv_length (kernel >= 6.6), "
     "net:netif_rx, net:netif_receive_skb and irq:softirq_exit"},
    {"raw_tp", "_raw",
     "raw tracepoints sock:sk_data_ready, sock:sock_recv_length, net:netif_rx, "
     "net:netif_receive_skb and irq:softirq_exit"},
};

constexpr std::string_view kMapNames[] = {"sockets", "xdp_queues", "packets"};
// The CPU each socket's data was last queued on: a read after a gap must not compare with it.
// Likewise a packet's enqueuing CPU, and the packet a CPU was processing when the probe went.
constexpr std::string_view kTransientMaps[] = {"queued_on", "enqueued_on", "rx_state"};

class XcpuProbe final : public SkeletonProbe<xcpu_bpf> {
 public:
  XcpuProbe()
      : SkeletonProbe({xcpu_bpf__open_opts, xcpu_bpf__load, xcpu_bpf__destroy},
                      {"xcpu",
                       "reads of the target ports on the CPU that queued the data vs another CPU; "
                       "receive processing of their backlog packets, by the CPU that enqueued "
                       "them; optional XDP rx-queue -> CPU counts",
                       kModes, kMapNames, kTransientMaps}) {}

  // XDP stays attached between windows: attaching XDP resets the rx queues of some drivers.
  void Stop() override {
    xdp_link_.reset();
    SkeletonProbe::Stop();
  }

  std::vector<prometheus::MetricFamily> Collect() const override {
    const xcpu_bpf& s = *skel();
    auto reads = metrics::CounterFamily(
        xcpu_metrics::kReads,
        "Reads on sockets of a target port, by whether the reader ran on the CPU that queued "
        "the data (same_cpu) or not (other_cpu).");
    for (size_t slot = 0; slot < ports_.size(); ++slot) {
      for (uint32_t locality : {TS_XCPU_SAME_CPU, TS_XCPU_OTHER_CPU}) {
        uint64_t total = 0;
        if (auto per_cpu =
                ReadPerCpu<uint64_t>(s.maps.reads, static_cast<uint32_t>(slot * 2 + locality))) {
          for (uint64_t v : *per_cpu) total += v;
        }
        reads.Counter({{"port", std::to_string(ports_[slot])},
                       {"locality", locality == TS_XCPU_SAME_CPU ? "same_cpu" : "other_cpu"}},
                      static_cast<double>(total));
      }
    }
    auto xdp = metrics::CounterFamily(
        xcpu_metrics::kXdpRxPackets,
        "Packets received on an rx queue of the --xdp-iface interface, per CPU that ran XDP.");
    if (!xdp_iface_.empty()) {
      for (uint32_t queue = 0; queue < TS_XDP_MAX_QUEUES; ++queue) {
        auto per_cpu = ReadPerCpu<uint64_t>(s.maps.xdp_rx, queue);
        if (!per_cpu) continue;
        for (size_t cpu = 0; cpu < per_cpu->size(); ++cpu) {
          if ((*per_cpu)[cpu] == 0) continue;
          xdp.Counter({{"device", xdp_iface_},
                       {"queue", std::to_string(queue)},
                       {"cpu", std::to_string(cpu)}},
                      static_cast<double>((*per_cpu)[cpu]));
        }
      }
    }
    std::vector<prometheus::MetricFamily> out;
    metrics::Append(out, std::move(reads));
    metrics::Append(out, std::move(xdp));
    CollectBacklog(s, out);
    return out;
  }

 protected:
  Status Configure(xcpu_bpf& s, const ProbeMode&, const ProbeConfig& config) override {
    if (Status st = UniqueTargetPorts(config, TS_XCPU_MAX_PORTS, ports_); !st.ok()) return st;
    if (bpf_map__set_max_entries(s.maps.backlog, static_cast<uint32_t>(PossibleCpus())) != 0) {
      return Status::Error(ErrnoMessage("size map backlog", errno));
    }
    xdp_iface_ = config.xdp_iface;
    bpf_program__set_autoload(s.progs.ts_xcpu_xdp, !xdp_iface_.empty());
    if (bpf_map__set_max_entries(s.maps.queued_on, config.max_sockets) != 0) {
      return Status::Error(ErrnoMessage("set map size", errno));
    }
    return {};
  }

  Status Populate(xcpu_bpf& s, const ProbeConfig&) override {
    return FillPortSlots(bpf_map__fd(s.maps.ports), ports_);
  }

  Status Attach(xcpu_bpf& s, const ProbeMode&, const ProbeConfig&) override {
    bpf_program* prog;
    bpf_object__for_each_program(prog, s.obj) {
      if (!bpf_program__autoload(prog) || prog == s.progs.ts_xcpu_xdp) continue;
      bpf_link* link = bpf_program__attach(prog);
      if (link == nullptr) {
        return Status::Error(ErrnoMessage(std::string("attach ") + bpf_program__name(prog), errno));
      }
      links().emplace_back(link);
    }
    if (xdp_iface_.empty() || xdp_link_) return {};
    unsigned int ifindex = if_nametoindex(xdp_iface_.c_str());
    if (ifindex == 0) return Status::Error(ErrnoMessage("xdp interface " + xdp_iface_, errno));
    // A bpf_link, not a netlink attach: the program goes away with the daemon, even on kill -9.
    bpf_link* link = bpf_program__attach_xdp(s.progs.ts_xcpu_xdp, static_cast<int>(ifindex));
    if (link == nullptr) {
      return Status::Error(ErrnoMessage("attach XDP on " + xdp_iface_, errno));
    }
    xdp_link_.reset(link);
    return {};
  }

 private:
  // backlog[enqueuing CPU] holds one value per processing CPU: the time is exported by the CPU
  // that processed (same or other than the one that enqueued) and by the CPU that sent away.
  static void CollectBacklog(const xcpu_bpf& s, std::vector<prometheus::MetricFamily>& out) {
    const auto cpus = static_cast<uint32_t>(PossibleCpus());
    std::vector<xcpu_backlog> same(cpus), other(cpus);
    std::vector<double> sent_away(cpus);
    for (uint32_t from = 0; from < cpus; ++from) {
      auto per_cpu = ReadPerCpu<xcpu_backlog>(s.maps.backlog, from);
      if (!per_cpu) continue;
      for (uint32_t cpu = 0; cpu < cpus && cpu < per_cpu->size(); ++cpu) {
        const xcpu_backlog& b = (*per_cpu)[cpu];
        xcpu_backlog& into = cpu == from ? same[cpu] : other[cpu];
        into.ns += b.ns;
        into.packets += b.packets;
        if (cpu != from) sent_away[from] += static_cast<double>(b.ns) * 1e-9;
      }
    }
    auto seconds = metrics::CounterFamily(
        xcpu_metrics::kBacklogSeconds,
        "Receive processing time of target-port packets that went through a CPU's backlog "
        "(loopback, veth, RPS), per CPU that processed them, by whether that CPU enqueued them "
        "(same_cpu) or another did (other_cpu: RPS steered them).");
    auto packets = metrics::CounterFamily(
        xcpu_metrics::kBacklogPackets,
        "Target-port packets timed in tunescope_xcpu_backlog_seconds_total, with its labels.");
    auto away = metrics::CounterFamily(
        xcpu_metrics::kSentAwaySeconds,
        "Receive processing time other CPUs spent on target-port packets this CPU enqueued "
        "(RPS steered them away): the work clearing the mask brings back to this CPU, timed "
        "where RPS put it.");
    for (uint32_t cpu = 0; cpu < cpus; ++cpu) {
      const std::string c = std::to_string(cpu);
      for (const auto& [enqueued, b] :
           {std::pair{"same_cpu", same[cpu]}, {"other_cpu", other[cpu]}}) {
        if (b.packets == 0) continue;
        seconds.Counter({{"cpu", c}, {"enqueued", enqueued}}, static_cast<double>(b.ns) * 1e-9);
        packets.Counter({{"cpu", c}, {"enqueued", enqueued}}, static_cast<double>(b.packets));
      }
      if (sent_away[cpu] > 0) away.Counter({{"cpu", c}}, sent_away[cpu]);
    }
    metrics::Append(out, std::move(seconds));
    metrics::Append(out, std::move(packets));
    metrics::Append(out, std::move(away));
  }

  std::vector<uint16_t> ports_;
  std::string xdp_iface_;
  LinkPtr xdp_link_;
};

}  // namespace

std::unique_ptr<Probe> MakeXcpuProbe() {
  return std::make_unique<XcpuProbe>();
}

}  // namespace tunescope::probes
