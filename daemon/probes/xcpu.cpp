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
     "BTF-typed tracepoints sock:sk_data_ready and sock:sock_recv_length (kernel >= 6.6)"},
    {"raw_tp", "_raw", "raw tracepoints sock:sk_data_ready and sock:sock_recv_length"},
};

constexpr std::string_view kMapNames[] = {"sockets", "xdp_queues"};
// The CPU each socket's data was last queued on: a read after a gap must not compare with it.
constexpr std::string_view kTransientMaps[] = {"queued_on"};

class XcpuProbe final : public SkeletonProbe<xcpu_bpf> {
 public:
  XcpuProbe()
      : SkeletonProbe({xcpu_bpf__open_opts, xcpu_bpf__load, xcpu_bpf__destroy},
                      {"xcpu",
                       "reads of the target ports on the CPU that queued the data vs another CPU; "
                       "optional XDP rx-queue -> CPU counts",
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
    return out;
  }

 protected:
  Status Configure(xcpu_bpf& s, const ProbeMode&, const ProbeConfig& config) override {
    if (Status st = UniqueTargetPorts(config, TS_XCPU_MAX_PORTS, ports_); !st.ok()) return st;
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
  std::vector<uint16_t> ports_;
  std::string xdp_iface_;
  LinkPtr xdp_link_;
};

}  // namespace

std::unique_ptr<Probe> MakeXcpuProbe() {
  return std::make_unique<XcpuProbe>();
}

}  // namespace tunescope::probes
