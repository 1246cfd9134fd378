#include "probes/reqlat.h"

#include <string>

#include "core/log.h"
#include "metrics/family.h"
#include "metrics/log2_histogram.h"
#include "probes/reqlat_metrics.h"
#include "probes/skeleton_probe.h"
#include "reqlat.skel.h"

extern "C" {
#include "reqlat.bpf.h"
}

namespace tunescope::probes {
namespace {

// Best first. usdt runs only when asked for (--reqlat.usdt-binary): it is the richer view of
// refserver but costs a uprobe hit per sampled request. Otherwise socket, the always-on mode,
// and socket_syscall where sock:sock_send_length does not exist (kernels before 6.3).
constexpr ProbeMode kModes[] = {
    {"usdt", "_usdt",
     "uprobes on refserver's USDT notes (--reqlat.usdt-binary); the arrival part also needs "
     "sock:sock_recv_length (kernel >= 6.3)"},
    {"socket", "_sock", "BTF tracepoints tcp:tcp_probe and sock:sock_send_length (kernel >= 6.3)"},
    {"socket_syscall", "_sys",
     "BTF tracepoint tcp:tcp_probe and syscalls:sys_enter_{write,writev,sendto,sendmsg}"},
};

constexpr std::string_view kMapNames[] = {"sockets", "inflight_requests"};
// Requests that arrived (socket modes) or were parsed (usdt) and are not answered yet.
constexpr std::string_view kTransientMaps[] = {"socks", "inflight"};

// 1.024 us .. 1.07 s: sub-10 us buckets for fast servers, anything above a second is +Inf.
constexpr metrics::Log2Buckets kLatencyBuckets{10, 30};

class ReqlatProbe final : public SkeletonProbe<reqlat_bpf> {
 public:
  ReqlatProbe()
      : SkeletonProbe(
            {reqlat_bpf__open_opts, reqlat_bpf__load, reqlat_bpf__destroy},
            {"reqlat",
             "request latency: refserver USDT (parsed -> queued, arrival -> parsed) or, for any "
             "TCP server port, request bytes queued -> response written",
             kModes, kMapNames, kTransientMaps}) {}

  std::vector<prometheus::MetricFamily> Collect() const override {
    const reqlat_bpf& s = *skel();
    auto latency = metrics::HistogramFamily(
        reqlat_metrics::kLatency,
        "Server-side request latency seen from the kernel. mode=socket|socket_syscall: from the "
        "first request bytes queued on the server's socket to the server's next write on it "
        "(one sample per request/response exchange); mode=usdt: refserver request parsed -> "
        "response queued (sampled requests).");
    auto arrival = metrics::HistogramFamily(
        reqlat_metrics::kArrivalToParsed,
        "refserver (usdt mode): from the arrival of the request bytes the server read last to "
        "the request being parsed (sampled requests).");
    if (usdt_) {
      latency.Histogram({{"mode", "usdt"}}, Read(s, TS_REQLAT_HIST_USDT_SERVE));
      if (arrival_part_) arrival.Histogram({}, Read(s, TS_REQLAT_HIST_USDT_ARRIVAL));
    } else {
      for (size_t slot = 0; slot < ports_.size(); ++slot) {
        latency.Histogram({{"mode", mode_}, {"port", std::to_string(ports_[slot])}},
                          Read(s, static_cast<uint32_t>(slot)));
      }
    }
    std::vector<prometheus::MetricFamily> out;
    metrics::Append(out, std::move(latency));
    metrics::Append(out, std::move(arrival));
    return out;
  }

  void Stop() override {
    attached_ = false;  // a new Start says what its attach has to say again
    SkeletonProbe::Stop();
  }

 protected:
  Status Configure(reqlat_bpf& s, const ProbeMode&, const ProbeConfig& config) override {
    if (Status st = UniqueTargetPorts(config, TS_REQLAT_MAX_PORTS, ports_); !st.ok()) return st;
    if (bpf_map__set_max_entries(s.maps.socks, config.max_request_sockets) != 0 ||
        bpf_map__set_max_entries(s.maps.inflight, config.max_requests_inflight) != 0) {
      return Status::Error(ErrnoMessage("set map size", errno));
    }
    return {};
  }

  Status Populate(reqlat_bpf& s, const ProbeConfig&) override {
    return FillPortSlots(bpf_map__fd(s.maps.ports), ports_);
  }

  Status Attach(reqlat_bpf& s, const ProbeMode& mode, const ProbeConfig& config) override {
    // Every window re-attaches: what an attach has to say is said at the first one only (a
    // failed re-attach is reported by the probe set).
    Status st = AttachMode(s, mode, config, !attached_);
    if (st.ok()) attached_ = true;
    return st;
  }

 private:
  Status AttachMode(reqlat_bpf& s, const ProbeMode& mode, const ProbeConfig& config, bool say) {
    mode_ = std::string(mode.name);
    usdt_ = mode.name == "usdt";
    const bool had_arrival_part = arrival_part_;  // a re-attach that loses it says so
    arrival_part_ = false;
    if (!usdt_) {
      if (ports_.empty() && say) {
        TS_LOG(kInfo) << "probe reqlat: no --target-port, so no socket is watched";
      }
      return AttachLoadedPrograms(s.obj, links());
    }
    if (config.usdt_binary.empty()) {
      return Status::Error("usdt mode needs --reqlat.usdt-binary (the refserver executable)");
    }
    std::vector<pid_t> pids = config.target_pids;
    if (pids.empty()) pids.push_back(-1);  // every process running the binary
    for (pid_t pid : pids) {
      for (auto [prog, note] : {std::pair{s.progs.ts_reqlat_parsed_usdt, "request_parsed"},
                                std::pair{s.progs.ts_reqlat_queued_usdt, "response_queued"}}) {
        bpf_link* link = bpf_program__attach_usdt(prog, pid, config.usdt_binary.c_str(),
                                                  "refserver", note, nullptr);
        if (link == nullptr) {
          Status failed = Status::Error(
              ErrnoMessage("attach USDT refserver:" + std::string(note) + " in " +
                               config.usdt_binary + (pid > 0 ? " pid " + std::to_string(pid) : ""),
                           errno));
          // Asked for by name: falling back to another mode must not go unsaid.
          if (say) TS_LOG(kWarn) << "probe reqlat: --reqlat.usdt-binary: " << failed.error();
          return failed;
        }
        links().emplace_back(link);
      }
    }
    // The arrival -> parsed part is optional: it needs sock:sock_recv_length.
    std::vector<LinkPtr> optional;
    for (bpf_program* prog :
         {s.progs.ts_reqlat_arrival, s.progs.ts_reqlat_close, s.progs.ts_reqlat_read_usdt}) {
      bpf_link* link = bpf_program__attach(prog);
      if (link == nullptr) {
        if (say || had_arrival_part) {
          TS_LOG(kInfo) << "probe reqlat: no arrival -> parsed histogram ("
                        << ErrnoMessage(std::string("attach ") + bpf_program__name(prog), errno)
                        << ")";
        }
        return {};
      }
      optional.emplace_back(link);
    }
    for (LinkPtr& link : optional) links().push_back(std::move(link));
    arrival_part_ = true;
    return {};
  }

  static prometheus::ClientMetric::Histogram Read(const reqlat_bpf& s, uint32_t index) {
    ts_hist sum{};
    if (auto per_cpu = ReadPerCpu<ts_hist>(s.maps.hists, index)) sum = metrics::SumPerCpu(*per_cpu);
    return metrics::ToPrometheus(sum, kLatencyBuckets);
  }

  std::vector<uint16_t> ports_;
  std::string mode_;
  bool usdt_ = false;
  bool arrival_part_ = false;
  bool attached_ = false;  // an attach succeeded (Start's, or a window's)
};

}  // namespace

std::unique_ptr<Probe> MakeReqlatProbe() {
  return std::make_unique<ReqlatProbe>();
}

}  // namespace tunescope::probes
